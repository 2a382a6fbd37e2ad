import { describe, expect, it, jest } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { BulkCreateUseCase } from './bulk-create.use-case.js';
import { checkIdempotencyKey } from './idempotent-write.js';

// Found by the hostile-HTTP fault scenario: an empty Idempotency-Key header (a lone tab, trimmed away) was refused
// on POST /recordations but made valid per-item keys `:0`, `:1` on the bulk route, which then created everything.
describe('bulk create and the Idempotency-Key header', () => {
  const run = jest.fn(() => Promise.resolve({ statusCode: 201, body: {} }));
  const bulk = new BulkCreateUseCase({ run } as never, {} as never);

  it.each(['', 'a b', 'x'.repeat(201), 'clé'])('refuses the whole request for the key %j, before any item', async (key) => {
    await expect(bulk.execute([{}], key)).rejects.toBeInstanceOf(BadRequestException);
    expect(run).not.toHaveBeenCalled();
  });

  it('checkIdempotencyKey takes an absent or a visible-ASCII key', () => {
    expect(() => checkIdempotencyKey(undefined)).not.toThrow();
    expect(() => checkIdempotencyKey('bulk-2026-01-01')).not.toThrow();
    expect(() => checkIdempotencyKey('')).toThrow(BadRequestException);
  });
});
