import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { hasControlOrLoneSurrogate, validatePlain, type FieldError } from '#contracts';

/** A 400 whose body names each offending field and why. */
export class FieldValidationException extends BadRequestException {
  constructor(readonly errors: FieldError[]) {
    super({ statusCode: 400, error: 'Bad Request', message: 'Validation failed', errors });
  }
}

const PRIMITIVES = new Set<unknown>([String, Number, Boolean, Array, Object]);

/**
 * Validates bodies and queries with the same contract classes the consumer uses, refusing unknown
 * fields. Replaces Nest's ValidationPipe so that HTTP and Kafka share one definition of "valid".
 */
@Injectable()
export class ContractValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Path and query values are looked up in PostgreSQL, which cannot take a NUL (a 500 before this check);
    // no identifier, search text or parameter of ours holds control characters or lone surrogates.
    if (metadata.type === 'param' || metadata.type === 'query') {
      const bad = unreadableValues(value, metadata.data ?? '');
      if (bad.length)
        throw new FieldValidationException(
          bad.map((field) => ({ field: field || '(query)', reason: 'must not contain control characters or lone surrogates' })),
        );
    }
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const metatype = metadata.metatype;
    if (!metatype || PRIMITIVES.has(metatype)) return value;
    const result = validatePlain(metatype as new () => object, value ?? {});
    if (!result.ok) throw new FieldValidationException(result.errors);
    return result.value;
  }
}

/** Names of the strings (or keys) in a path or query value that hold control characters or lone surrogates. */
function unreadableValues(value: unknown, path: string): string[] {
  if (typeof value === 'string') return hasControlOrLoneSurrogate(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item) => unreadableValues(item, path));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      hasControlOrLoneSurrogate(key) ? [path ? `${path}.(key)` : '(key)'] : unreadableValues(item, path ? `${path}.${key}` : key),
    );
  }
  return [];
}
