import { describe, expect, it } from '@jest/globals';
import { CreateRecordationDto, RecordationFieldsDto } from './recordation.js';
import { validatePlain } from './validation.js';
import { hasControlOrLoneSurrogate, parseTimestamp } from './validators.js';

const valid = {
  ipType: 'trademark',
  mark: { text: '愛馬仕', script: 'Hant', type: 'word', transliterations: [{ script: 'Latn', text: 'HERMES' }] },
  niceClasses: [18, 25],
  goods: 'Handbags',
  rightsHolder: { name: 'Hermès International', country: 'FR' },
  trademarkRegistration: { office: 'HKIPD', number: '300123456' },
  validFrom: '2024-01-01',
  validUntil: '2029-01-01',
};

function refused(cls: new () => object, body: unknown): string[] {
  const result = validatePlain(cls, body);
  return result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.reason}`);
}

// Found by the hostile-HTTP fault scenario (test/faults/scenarios/hostile-http.ts).
describe('text PostgreSQL cannot store is refused at validation, not by the database (a 500 before)', () => {
  it.each(['Bag \ud800', '\udc00 Bag', 'Bag \ud83d'])('a lone surrogate in free text: %j', (text) => {
    expect(refused(CreateRecordationDto, { ...valid, goods: text })).toEqual(['goods: must not contain a lone UTF-16 surrogate']);
    expect(refused(CreateRecordationDto, { ...valid, mark: { ...valid.mark, text } })).toEqual(['mark.text: must not contain a lone UTF-16 surrogate']);
  });

  it('keeps whole surrogate pairs (emoji, CJK extension B)', () => {
    expect(refused(CreateRecordationDto, { ...valid, goods: 'Bags 👜 𠀀' })).toEqual([]);
  });

  it('a NUL or a lone surrogate in the genuine goods lists', () => {
    const goods = (extra: object) => ({ ...valid, genuineGoods: [{ description: 'Bags', ...extra }] });
    expect(refused(CreateRecordationDto, goods({ ports: ['Kwai\u0000Chung'] }))).toEqual(['genuineGoods.0.ports: must not contain control characters']);
    expect(refused(CreateRecordationDto, goods({ authorisedImporters: ['A \ud800'] }))).toEqual([
      'genuineGoods.0.authorisedImporters: must not contain a lone UTF-16 surrogate',
    ]);
    expect(refused(CreateRecordationDto, goods({ ports: ['Kwai Chung'], authorisedExporters: ['Hermès Sellier'] }))).toEqual([]);
  });
});

describe('a nested object must be an object, not an array (an array passed @ValidateNested and was stored)', () => {
  it.each(['mark', 'rightsHolder', 'trademarkRegistration'] as const)('%s as an array', (field) => {
    expect(refused(CreateRecordationDto, { ...valid, [field]: [] })).toContain(`${field}: must be an object`);
    expect(refused(CreateRecordationDto, { ...valid, [field]: [valid[field]] })).toContain(`${field}: must be an object`);
  });

  it('in an amendment', () => {
    expect(refused(RecordationFieldsDto, { mark: [] })).toEqual(['mark: must be an object']);
    expect(refused(RecordationFieldsDto, { representative: [] })).toEqual(['representative: must be an object']);
  });

  it('array items that are arrays', () => {
    expect(refused(RecordationFieldsDto, { licensees: [[{ name: 'A' }]] })).toContain('licensees: each item must be an object');
    expect(refused(RecordationFieldsDto, { mark: { ...valid.mark, transliterations: [[]] } })).toContain('mark.transliterations: each item must be an object');
    expect(refused(RecordationFieldsDto, { licensees: [{ name: 'A' }] })).toEqual([]);
  });
});

describe('parseTimestamp', () => {
  it.each(['2026-01-01', '2026-01-01T00:00:00Z', '2026-01-01T08:00:00.123+08:00', '1900-01-01T00:00:00Z'])('takes %s', (value) => {
    expect(parseTimestamp(value)).toBeInstanceOf(Date);
  });

  // ISO 8601 forms class-validator's strict check takes but new Date() cannot read: an Invalid Date reached the database.
  it.each(['20240101', '2024-W01', '2024W011', '2024-123', '2024-W01-1', '-2024-01-01', '+2024-01-01', '0000-01-01', 'yesterday', '', '2024-02-30'])(
    'refuses %j',
    (value) => {
      expect(parseTimestamp(value)).toBeUndefined();
    },
  );

  it('refuses what is not a string', () => {
    expect(parseTimestamp(20240101)).toBeUndefined();
    expect(parseTimestamp(null)).toBeUndefined();
  });
});

describe('hasControlOrLoneSurrogate', () => {
  it.each(['\u0000', 'A\u0000B', 'a\tb', 'a\nb', '\u007f', 'x\ud800'])('%j', (value) => expect(hasControlOrLoneSurrogate(value)).toBe(true));
  it.each(['HK-2026-000001', '愛馬仕', "' OR '1'='1", '👜', ''])('%j is fine', (value) => expect(hasControlOrLoneSurrogate(value)).toBe(false));
});
