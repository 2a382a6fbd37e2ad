import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { acceptedByCompiledContract } from './compiled-validation.js';

/** One reason one field was refused; `field` is a dotted path such as `mark.transliterations.0.script`. */
export interface FieldError {
  field: string;
  reason: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Finds keys that could pollute prototypes anywhere in a parsed JSON value. */
function forbiddenKeyPaths(value: unknown, path: string, found: FieldError[], depth = 0): void {
  if (depth > 32) {
    found.push({ field: path || '(body)', reason: 'is nested too deeply' });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => forbiddenKeyPaths(item, joinPath(path, String(index)), found, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) found.push({ field: joinPath(path, key), reason: 'is a forbidden key' });
      else forbiddenKeyPaths((value as Record<string, unknown>)[key], joinPath(path, key), found, depth + 1);
    }
  }
}

/** Whether forbiddenKeyPaths would find anything: the same walk, without building paths (every event takes it). */
function hasForbiddenKeys(value: unknown, depth = 0): boolean {
  if (depth > 32) return true;
  if (Array.isArray(value)) return value.some((item) => hasForbiddenKeys(item, depth + 1));
  if (value === null || typeof value !== 'object') return false;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key) || hasForbiddenKeys((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

function joinPath(parent: string, child: string): string {
  return parent ? `${parent}.${child}` : child;
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = joinPath(parent, error.property);
    for (const reason of Object.values(error.constraints ?? {})) {
      out.push({ field, reason: reason.replace(/^property \S+ should not exist$/, 'is not an allowed field') });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * Validates an untrusted, already-parsed JSON value against a class-validator class.
 * Unknown fields are refused, never silently dropped.
 */
export function validatePlain<T extends object>(cls: ClassConstructor<T>, plain: unknown): Validated<T> {
  const checked = checkPlain(cls, plain);
  if (!checked.ok) return checked;
  // Class fields exist on every instance even when the request did not send them; hand back only what was sent.
  return { ok: true, value: JSON.parse(JSON.stringify(checked.instance)) as T };
}

/**
 * The same checks as validatePlain, for a caller that keeps the plain value it passed (the registry's decoding of
 * every event: the copy validatePlain hands back was a twentieth of decoding an event). A value the compiled
 * contract accepts (compiled-validation.ts) is not run through class-validator again: most are, and the rest get
 * class-validator's own verdict and messages.
 */
export function findContractErrors(cls: ClassConstructor<object>, plain: unknown): FieldError[] {
  if (acceptedByCompiledContract(cls, plain) && !hasForbiddenKeys(plain)) return [];
  const checked = checkPlain(cls, plain);
  return checked.ok ? [] : checked.errors;
}

function checkPlain<T extends object>(cls: ClassConstructor<T>, plain: unknown): { ok: true; instance: T } | { ok: false; errors: FieldError[] } {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    return { ok: false, errors: [{ field: '(body)', reason: 'must be a JSON object' }] };
  }
  const forbidden: FieldError[] = [];
  forbiddenKeyPaths(plain, '', forbidden);
  if (forbidden.length) return { ok: false, errors: forbidden };

  const instance = plainToInstance(cls, plain, { enableImplicitConversion: false });
  let errors: ValidationError[];
  try {
    errors = validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
  } catch (error) {
    // A constraint function that throws on some input (validator's isEmail did, on a lone surrogate) refuses the
    // value instead of failing the request or the consumer.
    return { ok: false, errors: [{ field: '(body)', reason: `could not be validated: ${(error as Error).message}` }] };
  }
  if (errors.length) return { ok: false, errors: flattenValidationErrors(errors) };
  return { ok: true, instance };
}

/** Names every listed field that is absent (undefined or null) in a plain object. */
export function missingFields(plain: Record<string, unknown>, required: readonly string[]): FieldError[] {
  return required.filter((field) => plain[field] === undefined || plain[field] === null).map((field) => ({ field, reason: 'is required' }));
}
