import { HttpException, Injectable } from '@nestjs/common';
import { CreateRecordationDto, validatePlain, type FieldError } from '#contracts';
import { FieldValidationException } from '#platform';
import { CreateRecordationUseCase } from './create-recordation.use-case.js';
import { IdempotentWrite, checkIdempotencyKey } from './idempotent-write.js';
import { preparePicture } from './mark-picture.js';
import type { WriteResult } from './recordation-writer.js';

export const MAX_BULK_ITEMS = 10_000;

export type BulkItemResult =
  | { index: number; status: 'created'; recordationNumber: string; version: number; eventId: string }
  | { index: number; status: 'rejected'; statusCode: number; errors: FieldError[] };

export interface BulkResult {
  created: number;
  rejected: number;
  results: BulkItemResult[];
}

/** Parses a bulk body: a JSON array, or NDJSON text (one recordation per line). */
export function parseBulkBody(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'string') {
    return body
      .split('\n')
      .map((line, index) => ({ line: line.trim(), index }))
      .filter(({ line }) => line.length > 0)
      .map(({ line, index }) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return new InvalidLine(index + 1);
        }
      });
  }
  throw new FieldValidationException([{ field: '(body)', reason: 'must be a JSON array or NDJSON (application/x-ndjson)' }]);
}

class InvalidLine {
  constructor(readonly lineNumber: number) {}
}

/** Creates many recordations; each item stands alone, so one bad item never rejects the others. */
@Injectable()
export class BulkCreateUseCase {
  constructor(
    private readonly idempotent: IdempotentWrite,
    private readonly create: CreateRecordationUseCase,
  ) {}

  /** With an Idempotency-Key, item i is idempotent under `<key>:<i>`: a retried bulk request creates nothing twice. */
  async execute(items: unknown[], idempotencyKey?: string): Promise<BulkResult> {
    // The whole request's key, checked before items get `<key>:<i>`: an empty header made valid keys `:0`, `:1`…
    checkIdempotencyKey(idempotencyKey);
    if (items.length === 0) throw new FieldValidationException([{ field: '(body)', reason: 'must hold at least one recordation' }]);
    if (items.length > MAX_BULK_ITEMS) throw new FieldValidationException([{ field: '(body)', reason: `must hold at most ${MAX_BULK_ITEMS} recordations` }]);
    const results: BulkItemResult[] = [];
    for (const [index, item] of items.entries()) {
      if (item instanceof InvalidLine) {
        results.push({ index, status: 'rejected', statusCode: 400, errors: [{ field: '(line)', reason: `line ${item.lineNumber} is not valid JSON` }] });
        continue;
      }
      const validated = validatePlain(CreateRecordationDto, item);
      if (!validated.ok) {
        results.push({ index, status: 'rejected', statusCode: 400, errors: validated.errors });
        continue;
      }
      try {
        const pictures = await preparePicture(validated.value);
        const response = await this.idempotent.run({ idempotencyKey, item: index, method: 'POST', path: '/recordations', body: item }, async (manager) => ({
          statusCode: 201,
          body: await this.create.execute(manager, validated.value, pictures),
        }));
        results.push({ index, status: 'created', ...(response.body as WriteResult) });
      } catch (error) {
        if (!(error instanceof HttpException)) throw error;
        results.push({ index, status: 'rejected', statusCode: error.getStatus(), errors: errorsOf(error) });
      }
    }
    const created = results.filter((r) => r.status === 'created').length;
    return { created, rejected: results.length - created, results };
  }
}

function errorsOf(error: HttpException): FieldError[] {
  if (error instanceof FieldValidationException) return error.errors;
  const response = error.getResponse();
  // Nest's HttpException bodies carry `message` as a string or a list of strings.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? error.message);
  return [{ field: '(item)', reason: message }];
}
