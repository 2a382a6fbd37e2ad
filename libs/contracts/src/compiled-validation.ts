import 'reflect-metadata';
import type { ClassConstructor } from 'class-transformer';
import { defaultMetadataStorage as transformerMetadata } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';

/**
 * A fast yes for the common case: whether class-validator (as `checkPlain` calls it: plainToInstance without
 * implicit conversion, then validateSync with whitelist, forbidNonWhitelisted and forbidUnknownValues) would accept
 * a plain JSON value, decided from the same decorators' metadata and with the same constraint functions, but once
 * compiled per class instead of looked up, grouped and wrapped in error objects for every value. It cost more than
 * the Ed25519 check of every event the registry decodes (~190 µs against ~145 µs here, bench/RESULTS.md).
 *
 * It only ever says "accepted": `false` means "not sure", and the caller asks class-validator, whose answer (and
 * error messages) stand. Anything the compiler does not reproduce exactly — promise or async validators, a
 * class-transformer @Transform/@Expose/@Exclude, a discriminator, a nested value that is not a plain object or an
 * array of them, unknown metadata types — makes it answer `false` for that class, never `true`.
 * `compiled-validation.spec.ts` compares both answers on generated events and on every field of them mutated.
 */
export function acceptedByCompiledContract(cls: ClassConstructor<object>, plain: unknown): boolean {
  try {
    return isPlainObject(plain) && checkerOf(cls)(plain);
  } catch {
    // A constraint function that throws: class-validator's answer decides.
    return false;
  }
}

type Checker = (value: Record<string, unknown>) => boolean;

interface CustomCheck {
  metadata: ValidationMetadata;
  validate: (value: unknown, args: ValidationArguments) => unknown;
}

interface PropertyCheck {
  name: string;
  conditions: ValidationMetadata[];
  /** IsDefined first, then the others, as class-validator runs them. */
  customs: CustomCheck[];
  /** The class of a nested value (its @Type), when the property is validated nested. */
  nested?: () => Checker;
}

const NEVER: Checker = () => false;
const checkers = new Map<ClassConstructor<object>, Checker>();

function checkerOf(cls: ClassConstructor<object>): Checker {
  let checker = checkers.get(cls);
  if (!checker) {
    // Set first: a class may nest itself.
    checkers.set(cls, NEVER);
    checker = compile(cls) ?? NEVER;
    checkers.set(cls, checker);
  }
  return checker;
}

function compile(cls: ClassConstructor<object>): Checker | undefined {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(cls, '', false, false, undefined);
  // forbidUnknownValues: an object of a class without metadata is refused.
  if (!metadatas.length) return undefined;
  if (transformerMetadata.getExposedMetadatas(cls).length || transformerMetadata.getExcludedMetadatas(cls).length) return undefined;
  if (transformerMetadata.getStrategy(cls) !== 'none') return undefined;
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyCheck[] = [];
  for (const [name, list] of Object.entries(grouped)) {
    if (transformerMetadata.findTransformMetadatas(cls, name, 0 /* PLAIN_TO_CLASS */).length) return undefined;
    const property: PropertyCheck = { name, conditions: [], customs: [] };
    const defined: CustomCheck[] = [];
    const customs: CustomCheck[] = [];
    let nested = false;
    for (const metadata of list) {
      switch (metadata.type) {
        case ValidationTypes.WHITELIST:
          break;
        case ValidationTypes.CONDITIONAL_VALIDATION:
          property.conditions.push(metadata);
          break;
        case ValidationTypes.NESTED_VALIDATION:
          nested = true;
          break;
        case ValidationTypes.IS_DEFINED:
        case ValidationTypes.CUSTOM_VALIDATION: {
          const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
          if (!constraints.length) return undefined;
          for (const constraint of constraints) {
            // validateSync skips async validators.
            if (constraint.async) continue;
            const instance = constraint.instance as { validate: CustomCheck['validate'] };
            (metadata.type === ValidationTypes.IS_DEFINED ? defined : customs).push({ metadata, validate: instance.validate.bind(instance) });
          }
          break;
        }
        default:
          return undefined;
      }
    }
    property.customs = [...defined, ...customs];
    if (nested) {
      const type = transformerMetadata.findTypeMetadata(cls, name);
      if (!type || type.options?.discriminator) return undefined;
      const nestedClass = type.typeFunction() as ClassConstructor<object> | undefined;
      if (typeof nestedClass !== 'function') return undefined;
      property.nested = () => checkerOf(nestedClass);
    }
    properties.push(property);
  }
  const allowed = new Set(properties.map((property) => property.name));
  // plainToInstance starts from `new cls()`: a field it sets (a default) or one without metadata (refused by the
  // whitelist whatever the value) is not reproduced.
  try {
    const blank = new cls() as Record<string, unknown>;
    if (Object.keys(blank).some((key) => !allowed.has(key) || blank[key] !== undefined)) return undefined;
  } catch {
    return undefined;
  }
  const targetName = cls.name;
  return (object) => {
    // whitelist + forbidNonWhitelisted
    for (const key of Object.keys(object)) if (!allowed.has(key)) return false;
    for (const property of properties) if (!checkProperty(property, object, targetName)) return false;
    return true;
  };
}

function checkProperty(property: PropertyCheck, object: Record<string, unknown>, targetName: string): boolean {
  const value = object[property.name];
  for (const condition of property.conditions) {
    if (!(condition.constraints[0] as (object: object, value: unknown) => boolean)(object, value)) return true;
  }
  for (const { metadata, validate } of property.customs) {
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    const args: ValidationArguments = { targetName, property: property.name, object, value, constraints: metadata.constraints };
    if (metadata.each && Array.isArray(value)) {
      for (const item of value) if (!isValid(validate(item, args))) return false;
    } else if (!isValid(validate(value, args))) return false;
  }
  if (property.nested && value !== undefined) return checkNested(value, property.nested());
  return true;
}

/** A validator's answer; a promise (not awaited by validateSync) is not a yes we can give. */
function isValid(result: unknown): boolean {
  return Boolean(result) && !(result instanceof Promise);
}

function checkNested(value: unknown, checker: Checker): boolean {
  if (Array.isArray(value)) return value.every((item) => isPlainObject(item) && checker(item));
  return isPlainObject(value) && checker(value);
}

/** An object as JSON.parse makes it: its prototype is an Object.prototype (of any realm: structuredClone's) or null. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}
