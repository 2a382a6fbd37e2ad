import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonical-json.js';
import { CreateRecordationDto } from './recordation.js';
import { validatePlain } from './validation.js';

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

function fieldsOf(body: unknown): string[] {
  const result = validatePlain(CreateRecordationDto, body);
  return result.ok ? [] : result.errors.map((e) => e.field);
}

describe('validatePlain with the recordation contract', () => {
  it('accepts a valid recordation', () => {
    expect(validatePlain(CreateRecordationDto, valid)).toMatchObject({ ok: true });
  });

  it.each([
    [{ ...valid, extra: 1 }, 'extra'],
    [{ ...valid, niceClasses: [0] }, 'niceClasses'],
    [{ ...valid, niceClasses: [46] }, 'niceClasses'],
    [{ ...valid, niceClasses: ['18'] }, 'niceClasses'],
    [{ ...valid, mark: { ...valid.mark, type: 'sound' } }, 'mark.type'],
    [{ ...valid, mark: { ...valid.mark, text: '   ' } }, 'mark.text'],
    [{ ...valid, mark: { ...valid.mark, text: 'a\u0000b' } }, 'mark.text'],
    [{ ...valid, mark: { ...valid.mark, script: 'chinese' } }, 'mark.script'],
    [{ ...valid, mark: { ...valid.mark, transliterations: [{ script: 'Latn' }] } }, 'mark.transliterations.0.text'],
    [{ ...valid, rightsHolder: { name: 'X', country: 'France' } }, 'rightsHolder.country'],
    [{ ...valid, validFrom: '2024-02-30' }, 'validFrom'],
    [{ ...valid, validUntil: '99999-01-01' }, 'validUntil'],
    [{ ...valid, representative: { name: 'R', email: 'not-an-email' } }, 'representative.email'],
    [{ ...valid, genuineGoods: [{ description: 'Bags', hsCode: 'ABC' }] }, 'genuineGoods.0.hsCode'],
    [{ ...valid, restrictions: [{ field: 'goods', sharedWith: ['HK'] }] }, 'restrictions.0.field'],
    [{ ...valid, restrictions: [{ field: 'knownInfringers', sharedWith: ['TW'] }] }, 'restrictions.0.sharedWith'],
    [{ ...valid, mark: 'HERMES' }, 'mark'],
  ])('names the offending field (%#)', (body, field) => {
    expect(fieldsOf(body)).toContain(field);
  });

  it('refuses prototype-polluting keys anywhere', () => {
    const polluted = JSON.parse('{"mark":{"__proto__":{"admin":true},"text":"X","type":"word"}}');
    expect(fieldsOf(polluted)).toContain('mark.__proto__');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses an email with a lone surrogate as that field, instead of throwing (validator isEmail raised URIError)', () => {
    const result = validatePlain(CreateRecordationDto, { ...valid, representative: { name: 'Ms Chan', email: 'chan\uD800@example.org' } });
    expect(result).toEqual({ ok: false, errors: [{ field: 'representative.email', reason: 'must be an email address' }] });
  });

  it('refuses non-objects', () => {
    expect(fieldsOf([valid])).toEqual(['(body)']);
    expect(fieldsOf('text')).toEqual(['(body)']);
    expect(fieldsOf(null)).toEqual(['(body)']);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives equal values equal bytes whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: '愛' })).toBe(canonicalJson({ y: '愛', x: 1 }));
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
  });
});

describe('validatePlain result', () => {
  it('holds only the fields that were sent', () => {
    const result = validatePlain(CreateRecordationDto, { goods: 'Bags' });
    expect(result.ok && Object.keys(result.value)).toEqual(['goods']);
  });
});
