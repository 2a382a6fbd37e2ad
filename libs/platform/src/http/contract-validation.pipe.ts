import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { validatePlain, type FieldError } from '#contracts';

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
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const metatype = metadata.metatype;
    if (!metatype || PRIMITIVES.has(metatype)) return value;
    const result = validatePlain(metatype as new () => object, value ?? {});
    if (!result.ok) throw new FieldValidationException(result.errors);
    return result.value;
  }
}
