import { describe, expect, it } from '@jest/globals';
import { validatePlain } from '#contracts';
import { ExportQuery } from './audit.controller.js';
import { AsOfQuery } from './lookup.dto.js';

// Found by the hostile-HTTP fault scenario: `asOf`/`since` forms that class-validator's strict ISO 8601 takes but
// new Date() cannot read (20240101, 2024-W01) became an Invalid Date query parameter: a 500.
describe('registry time parameters', () => {
  it.each(['20240101', '2024-W01', '2024-123', '-2024-01-01'])('refuses asOf and since = %s with a 400', (value) => {
    expect(validatePlain(AsOfQuery, { asOf: value })).toEqual({ ok: false, errors: [{ field: 'asOf', reason: 'must be an ISO 8601 timestamp' }] });
    expect(validatePlain(ExportQuery, { since: value })).toEqual({ ok: false, errors: [{ field: 'since', reason: 'must be an ISO 8601 time' }] });
  });

  it('takes ordinary timestamps', () => {
    expect(validatePlain(AsOfQuery, { asOf: '2026-01-01T00:00:00Z' }).ok).toBe(true);
    expect(validatePlain(ExportQuery, { since: '2026-01-01', format: 'csv' }).ok).toBe(true);
  });
});
