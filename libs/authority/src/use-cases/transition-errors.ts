import { ConflictException, NotFoundException } from '@nestjs/common';
import { FieldValidationException } from '#platform';
import type { Transition } from '#domain';

/** Turns a refused domain transition into its HTTP answer: 400 naming the fields, or 409 with the reason. */
export function throwIfRefused(result: Transition): asserts result is Extract<Transition, { ok: true }> {
  if (result.ok) return;
  if (result.kind === 'invalid') throw new FieldValidationException(result.errors);
  throw new ConflictException({ statusCode: 409, error: 'Conflict', message: result.reason });
}

export function recordationNotFound(recordationNumber: string): NotFoundException {
  return new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no recordation ${recordationNumber}` });
}
