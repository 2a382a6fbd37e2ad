import { describe, expect, it } from '@jest/globals';
import type { RecordationFields, RecordationState } from '#contracts';
import { AUTHORITY_RULES } from './authority-rules.js';
import { addMonths, addYears } from './calendar.js';
import {
  amendRecordation,
  cancelRecordation,
  createRecordation,
  expireRecordation,
  reinstateRecordation,
  renewRecordation,
  revokeRecordation,
  suspendRecordation,
  type Transition,
} from './lifecycle.js';

const CN = AUTHORITY_RULES.CN;
const HK = AUTHORITY_RULES.HK;
const today = '2026-11-28';

const cnInput: Omit<RecordationFields, 'validUntil'> = {
  ipType: 'trademark',
  mark: { text: '爱马仕', script: 'Hans', type: 'word' },
  niceClasses: [18],
  goods: 'Handbags',
  rightsHolder: { name: 'Hermès International', country: 'FR' },
  trademarkRegistration: { office: 'CNIPA', number: '1234567', expiresOn: '2040-12-31' },
  validFrom: '2024-05-01',
};

function stateOf(result: Transition): RecordationState {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result)}`);
  return result.state;
}
function fieldsOf(result: Transition): string[] {
  return !result.ok && result.kind === 'invalid' ? result.errors.map((e) => e.field) : [];
}

describe('createRecordation', () => {
  it('computes the Mainland term: 10 years from approval less a day', () => {
    const result = createRecordation(cnInput, 'T2024-01234', CN, today);
    expect(result).toMatchObject({ ok: true, type: 'recordation.created' });
    expect(stateOf(result)).toMatchObject({ validUntil: '2034-04-30', status: 'active', version: 1, authority: 'CN' });
  });

  it("caps the Mainland term at the right's own expiry", () => {
    const input = { ...cnInput, trademarkRegistration: { ...cnInput.trademarkRegistration, expiresOn: '2030-06-30' } };
    expect(stateOf(createRecordation(input, 'T2024-01234', CN, today)).validUntil).toBe('2030-06-30');
    expect(fieldsOf(createRecordation({ ...input, validUntil: '2031-01-01' }, 'T2024-01234', CN, today))).toEqual(['validUntil']);
  });

  it('requires validUntil where the holder chooses the term (Hong Kong, Macao)', () => {
    const input = {
      ...cnInput,
      mark: { text: '愛馬仕', script: 'Hant', type: 'word' as const },
      trademarkRegistration: { office: 'HKIPD', number: '300123456' },
    };
    expect(fieldsOf(createRecordation(input, 'HK-2024-000001', HK, today))).toEqual(['validUntil']);
    expect(stateOf(createRecordation({ ...input, validUntil: '2029-01-01' }, 'HK-2024-000001', HK, today)).validUntil).toBe('2029-01-01');
  });

  it.each([
    ['a number in another format', { number: 'HK-2024-000001' }, 'recordationNumber'],
    ["another office's registration", { input: { trademarkRegistration: { office: 'HKIPD', number: '1' } } }, 'trademarkRegistration.office'],
    ['a script the authority does not write', { input: { mark: { text: 'X', script: 'Cyrl', type: 'word' } } }, 'mark.script'],
    ['an end before the start', { input: { validUntil: '2024-04-01' } }, 'validUntil'],
    ['an end already past', { input: { validFrom: '2016-01-01', validUntil: '2020-01-01' } }, 'validUntil'],
    [
      'a field restricted twice',
      {
        input: {
          restrictions: [
            { field: 'knownInfringers', sharedWith: ['HK'] },
            { field: 'knownInfringers', sharedWith: ['MO'] },
          ],
        },
      },
      'restrictions.1.field',
    ],
  ] as [string, { number?: string; input?: object }, string][])('refuses %s', (_label, change, field) => {
    const result = createRecordation({ ...cnInput, ...change.input }, change.number ?? 'T2024-01234', CN, today);
    expect(fieldsOf(result)).toContain(field);
  });
});

describe('transitions', () => {
  const active = stateOf(createRecordation(cnInput, 'T2024-01234', CN, today));

  it('amends only what changed and bumps the version', () => {
    const result = amendRecordation(active, { goods: 'Handbags; wallets', niceClasses: [18] }, CN, today);
    expect(result).toMatchObject({ ok: true, type: 'recordation.amended', changedFields: ['goods'] });
    expect(stateOf(result)).toMatchObject({ goods: 'Handbags; wallets', version: 2 });
  });

  it('publishes nothing for an amendment that changes nothing', () => {
    expect(amendRecordation(active, { goods: 'Handbags' }, CN, today)).toMatchObject({ ok: true, unchanged: true });
  });

  it('checks the rules again after an amendment', () => {
    expect(fieldsOf(amendRecordation(active, { validUntil: '2045-01-01' }, CN, today))).toEqual(['validUntil']);
    expect(fieldsOf(amendRecordation(active, { validUntil: '2026-01-01' }, CN, today))).toEqual(['validUntil']);
  });

  it('suspends, reinstates, and refuses the wrong order', () => {
    const suspended = stateOf(suspendRecordation(active, 'ownership review'));
    expect(suspended).toMatchObject({ status: 'suspended', statusReason: 'ownership review', version: 2 });
    expect(suspendRecordation(suspended, 'again')).toMatchObject({ ok: false, kind: 'conflict' });
    expect(reinstateRecordation(active, 'x', today)).toMatchObject({ ok: false, kind: 'conflict' });
    expect(stateOf(reinstateRecordation(suspended, 'review done', today))).toMatchObject({ status: 'active', version: 3 });
  });

  it('cancels with a statutory reason and keeps the note', () => {
    expect(stateOf(cancelRecordation(active, 'transferred', 'assigned to a new owner'))).toMatchObject({
      status: 'cancelled',
      statusReason: 'transferred: assigned to a new owner',
    });
  });

  it('treats cancelled, revoked and expired as terminal', () => {
    for (const ended of [stateOf(cancelRecordation(active, 'abandoned')), stateOf(revokeRecordation(active, 'untruthful'))]) {
      expect(amendRecordation(ended, { goods: 'x' }, CN, today)).toMatchObject({ kind: 'conflict' });
      expect(renewRecordation(ended, '2040-01-01', CN, today)).toMatchObject({ kind: 'conflict' });
      expect(suspendRecordation(ended, 'x')).toMatchObject({ kind: 'conflict' });
      expect(revokeRecordation(ended, 'x')).toMatchObject({ kind: 'conflict' });
      expect(cancelRecordation(ended, 'abandoned')).toMatchObject({ kind: 'conflict' });
      expect(expireRecordation(ended, '2099-01-01')).toMatchObject({ kind: 'conflict' });
    }
  });

  it('expires only after the last valid day', () => {
    expect(expireRecordation(active, active.validUntil)).toMatchObject({ ok: false, kind: 'conflict' });
    const expired = expireRecordation(active, '2034-05-01');
    expect(expired).toMatchObject({ ok: true, type: 'recordation.expired' });
    expect(stateOf(expired).status).toBe('expired');
  });
});

describe('renewRecordation (Mainland: last 6 months, at most 10 more years, within the right)', () => {
  const active = stateOf(createRecordation(cnInput, 'T2024-01234', CN, today)); // validUntil 2034-04-30

  it('refuses before the window opens', () => {
    expect(renewRecordation(active, '2040-01-01', CN, addMonths('2034-04-30', -7))).toMatchObject({
      ok: false,
      kind: 'conflict',
      reason: expect.stringContaining('2033-10-30'),
    });
  });

  it('renews inside the window', () => {
    const result = renewRecordation(active, '2040-12-31', CN, '2034-01-15');
    expect(result).toMatchObject({ ok: true, type: 'recordation.renewed', changedFields: ['validUntil'] });
    expect(stateOf(result)).toMatchObject({ validUntil: '2040-12-31', version: 2 });
  });

  it("refuses past the right's expiry or more than 10 years", () => {
    expect(fieldsOf(renewRecordation(active, '2041-01-01', CN, '2034-01-15'))).toEqual(['validUntil']);
    const longRight = { ...active, trademarkRegistration: { ...active.trademarkRegistration, expiresOn: '2060-01-01' } };
    expect(fieldsOf(renewRecordation(longRight, addYears('2034-04-30', 10), CN, '2034-01-15'))).toEqual([]);
    expect(fieldsOf(renewRecordation(longRight, '2044-05-01', CN, '2034-01-15'))).toEqual(['validUntil']);
  });

  it('refuses a renewal that does not move the end forward', () => {
    expect(fieldsOf(renewRecordation(active, '2034-04-30', CN, '2034-01-15'))).toEqual(['validUntil']);
  });

  it('lets Hong Kong extend at any time while active', () => {
    const hk = { ...active, authority: 'HK' as const, recordationNumber: 'HK-2024-000001', trademarkRegistration: { office: 'HKIPD', number: '1' } };
    expect(renewRecordation(hk, '2045-01-01', HK, today)).toMatchObject({ ok: true });
  });

  it('refuses a suspended or expired recordation', () => {
    expect(renewRecordation(stateOf(suspendRecordation(active, 'x')), '2040-01-01', CN, '2034-01-15')).toMatchObject({ kind: 'conflict' });
    expect(renewRecordation(active, '2040-01-01', CN, '2034-05-01')).toMatchObject({ kind: 'conflict' });
  });
});
