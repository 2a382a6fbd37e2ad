import { describe, expect, it } from '@jest/globals';
import { validatePlain } from '#contracts';
import { ListRecordationsQuery } from './list-recordations.query.js';

// Found by the hostile-HTTP fault scenario: updatedSince=20240101 passed validation and reached the database as an
// Invalid Date (a 500).
describe('GET /recordations updatedSince', () => {
  it.each(['20240101', '2024-W01', '2024-123'])('refuses %s', (value) => {
    expect(validatePlain(ListRecordationsQuery, { updatedSince: value })).toEqual({
      ok: false,
      errors: [{ field: 'updatedSince', reason: 'must be an ISO 8601 date or timestamp' }],
    });
  });

  it('takes a date or a timestamp', () => {
    expect(validatePlain(ListRecordationsQuery, { updatedSince: '2026-01-01' }).ok).toBe(true);
    expect(validatePlain(ListRecordationsQuery, { updatedSince: '2026-01-01T08:00:00+08:00' }).ok).toBe(true);
  });
});
