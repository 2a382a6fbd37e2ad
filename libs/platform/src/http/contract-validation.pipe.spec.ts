import { describe, expect, it } from '@jest/globals';
import { IsOptional, IsString } from 'class-validator';
import { ContractValidationPipe, FieldValidationException } from './contract-validation.pipe.js';

class Query {
  @IsString()
  q: string;

  @IsOptional()
  @IsString()
  cursor?: string;
}

// Found by the hostile-HTTP fault scenario: a NUL in a path parameter or a query reached PostgreSQL (a 500).
describe('ContractValidationPipe on path and query values', () => {
  const pipe = new ContractValidationPipe();
  const errorsOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof FieldValidationException) return error.errors;
      throw error;
    }
    return [];
  };

  it('refuses a NUL, a control character or a lone surrogate in a path parameter with a 400 naming it', () => {
    for (const value of ['HK-2026-000001\u0000', '\u0000', 'a\nb', 'x\ud800']) {
      expect(errorsOf(() => pipe.transform(value, { type: 'param', data: 'number', metatype: String }))).toEqual([
        { field: 'number', reason: 'must not contain control characters or lone surrogates' },
      ]);
    }
  });

  it('passes ordinary path parameters, injection strings included (they are only ever bound as values)', () => {
    for (const value of ['HK-2026-000001', "' OR '1'='1", '愛馬仕']) {
      expect(pipe.transform(value, { type: 'param', data: 'number', metatype: String })).toBe(value);
    }
  });

  it('refuses such a query value, repeated value or key', () => {
    expect(errorsOf(() => pipe.transform({ q: 'A\u0000B' }, { type: 'query', metatype: Query }))).toEqual([
      { field: 'q', reason: 'must not contain control characters or lone surrogates' },
    ]);
    expect(errorsOf(() => pipe.transform({ q: ['x', '\u0000'] }, { type: 'query', metatype: Query }))).toEqual([
      { field: 'q', reason: 'must not contain control characters or lone surrogates' },
    ]);
    expect(errorsOf(() => pipe.transform({ 'q\u0000': 'x' }, { type: 'query', metatype: Query }))).toEqual([
      { field: '(key)', reason: 'must not contain control characters or lone surrogates' },
    ]);
  });

  it('still validates an ordinary query', () => {
    expect(pipe.transform({ q: 'HERMES' }, { type: 'query', metatype: Query })).toEqual({ q: 'HERMES' });
  });
});
