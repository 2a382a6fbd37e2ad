import { describe, expect, it } from '@jest/globals';
import { alterSignedPayload } from '#testing';
import { parsePrivateKey, parseTrustedKeys, generateSigningKeyPair } from './signing.js';
import { decodeSignedEvent, encodeSignedEvent } from './event-codec.js';
import { RECORDATION_DATASCHEMA_V1, type RecordationEvent } from './envelope.js';

const cnPair = generateSigningKeyPair();
const hkPair = generateSigningKeyPair();
const trusted = parseTrustedKeys(`CN:cn-1:${cnPair.publicKey},HK:hk-1:${hkPair.publicKey}`);
const cnKey = { keyId: 'cn-1', privateKey: parsePrivateKey(cnPair.privateKey) };
const hkKey = { keyId: 'hk-1', privateKey: parsePrivateKey(hkPair.privateKey) };

function sampleEvent(overrides: Partial<RecordationEvent> = {}): RecordationEvent {
  return {
    specversion: '1.0',
    id: '01920000-0000-7000-8000-000000000001',
    type: 'recordation.created',
    source: 'CN',
    subject: 'T2024-01234',
    sequence: 1,
    time: '2024-05-01T08:00:00.000Z',
    dataschema: RECORDATION_DATASCHEMA_V1,
    datacontenttype: 'application/json',
    changedFields: ['mark'],
    data: {
      recordationNumber: 'T2024-01234',
      authority: 'CN',
      status: 'active',
      version: 1,
      ipType: 'trademark',
      mark: { text: '爱马仕', script: 'Hans', type: 'word', transliterations: [{ script: 'Latn', text: 'HERMES' }] },
      niceClasses: [18, 25],
      goods: 'Handbags; leather goods',
      rightsHolder: { name: 'Hermès International', country: 'FR' },
      trademarkRegistration: { office: 'CNIPA', number: '1234567', expiresOn: '2031-06-30' },
      validFrom: '2024-05-01',
      validUntil: '2031-06-30',
    },
    ...overrides,
  };
}

/** The sample event signed by CN, then its holder changed. */
function altered(): Buffer {
  return alterSignedPayload(encodeSignedEvent(sampleEvent(), cnKey), (payload) => void (payload.data.rightsHolder.name = 'Counterfeiter Ltd'));
}

describe('signed event codec', () => {
  it('round-trips a signed event and names the key that verified it', () => {
    const decoded = decodeSignedEvent(encodeSignedEvent(sampleEvent(), cnKey), trusted, 'CN');
    expect(decoded).toMatchObject({ ok: true, keyId: 'cn-1', verified: true });
    if (decoded.ok) expect(decoded.event.data.mark.text).toBe('爱马仕');
  });

  it('refuses a payload altered after signing', () => {
    expect(decodeSignedEvent(altered(), trusted, 'CN')).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses an unknown key', () => {
    const stranger = { keyId: 'x-1', privateKey: parsePrivateKey(generateSigningKeyPair().privateKey) };
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), stranger), trusted, 'CN')).toMatchObject({ ok: false, reason: 'unknown-key', keyId: 'x-1' });
  });

  it('refuses one authority signing for another', () => {
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), hkKey), trusted, 'CN')).toMatchObject({ ok: false, reason: 'signer-mismatch' });
  });

  it("refuses an event on another authority's topic", () => {
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), cnKey), trusted, 'HK')).toMatchObject({ ok: false, reason: 'topic-mismatch' });
  });

  it('refuses garbage, non-envelopes and schema violations with reasons', () => {
    expect(decodeSignedEvent(Buffer.from([0xff, 0x00, 0x13]), trusted, 'CN')).toMatchObject({ ok: false, reason: 'unparseable' });
    expect(decodeSignedEvent(Buffer.from('{"hello":1}'), trusted, 'CN')).toMatchObject({ ok: false, reason: 'bad-envelope' });
    const bad = sampleEvent({ sequence: 2 });
    const decoded = decodeSignedEvent(encodeSignedEvent(bad, cnKey), trusted, 'CN');
    expect(decoded).toMatchObject({ ok: false, reason: 'schema-violation' });
    if (!decoded.ok) expect(decoded.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['data.version', 'sequence']));
  });

  it('refuses an event time that is not RFC 3339 (a date alone, no offset)', () => {
    for (const time of ['2024-05-01', '2024-05-01T08:00:00', '2024-05-01 08:00:00Z', '20240501T080000Z']) {
      const decoded = decodeSignedEvent(encodeSignedEvent(sampleEvent({ time }), cnKey), trusted, 'CN');
      expect(decoded).toMatchObject({ ok: false, reason: 'schema-violation' });
      if (!decoded.ok) expect(decoded.errors?.map((e) => e.field)).toContain('time');
    }
    for (const time of ['2024-05-01T08:00:00Z', '2024-05-01T08:00:00.123456+08:00']) {
      expect(decodeSignedEvent(encodeSignedEvent(sampleEvent({ time }), cnKey), trusted, 'CN')).toMatchObject({ ok: true });
    }
  });

  it('refuses an event whose data lacks a required field', () => {
    const event = sampleEvent();
    delete (event.data as Partial<typeof event.data>).goods;
    const decoded = decodeSignedEvent(encodeSignedEvent(event, cnKey), trusted, 'CN');
    expect(decoded).toMatchObject({ ok: false, reason: 'schema-violation' });
    if (!decoded.ok) expect(decoded.errors).toContainEqual({ field: 'data.goods', reason: 'is required' });
  });
});

describe('with signature checks off (VERIFY_SIGNATURES=false)', () => {
  it('accepts a good event, saying it was not verified', () => {
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), cnKey), trusted, 'CN', false)).toMatchObject({ ok: true, keyId: 'cn-1', verified: false });
  });

  it('accepts a payload altered after signing, unverified: the signature is what it does not check', () => {
    expect(decodeSignedEvent(altered(), trusted, 'CN')).toMatchObject({ ok: false, reason: 'bad-signature' });
    const decoded = decodeSignedEvent(altered(), trusted, 'CN', false);
    expect(decoded).toMatchObject({ ok: true, verified: false });
    if (decoded.ok) expect(decoded.event.data.rightsHolder.name).toBe('Counterfeiter Ltd');
  });

  it('still refuses an unknown or missing key, a key of another authority, the wrong topic and schema violations', () => {
    const stranger = { keyId: 'x-1', privateKey: parsePrivateKey(generateSigningKeyPair().privateKey) };
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), stranger), trusted, 'CN', false)).toMatchObject({
      ok: false,
      reason: 'unknown-key',
      keyId: 'x-1',
    });
    const unsigned = { ...JSON.parse(encodeSignedEvent(sampleEvent(), cnKey).toString()), signatures: [] };
    expect(decodeSignedEvent(Buffer.from(JSON.stringify(unsigned)), trusted, 'CN', false)).toMatchObject({ ok: false, reason: 'no-signature' });
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), hkKey), trusted, 'CN', false)).toMatchObject({ ok: false, reason: 'signer-mismatch' });
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent(), cnKey), trusted, 'HK', false)).toMatchObject({ ok: false, reason: 'topic-mismatch' });
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent({ sequence: 2 }), cnKey), trusted, 'CN', false)).toMatchObject({
      ok: false,
      reason: 'schema-violation',
    });
  });

  it('takes the first signature whose key is trusted, as the check does', () => {
    const envelope = JSON.parse(encodeSignedEvent(sampleEvent(), cnKey).toString());
    envelope.signatures.unshift({ keyid: 'x-1', sig: 'AAAA' });
    expect(decodeSignedEvent(Buffer.from(JSON.stringify(envelope)), trusted, 'CN', false)).toMatchObject({ ok: true, keyId: 'cn-1', verified: false });
    expect(decodeSignedEvent(Buffer.from(JSON.stringify(envelope)), trusted, 'CN')).toMatchObject({ ok: true, keyId: 'cn-1', verified: true });
  });
});

describe('NUL characters', () => {
  it('refuses an event carrying a NUL, which PostgreSQL could never store', () => {
    const event = sampleEvent();
    event.changedFields = ['mark\u0000'];
    expect(decodeSignedEvent(encodeSignedEvent(event, cnKey), trusted, 'CN')).toMatchObject({
      ok: false,
      reason: 'schema-violation',
      detail: expect.stringMatching(/NUL/),
    });
  });
});

describe('key validity windows (issue 22, item 7)', () => {
  // The Mainland rotated on 2025-01-01: cn-old retired then, cn-new valid from then.
  const oldPair = generateSigningKeyPair();
  const newPair = generateSigningKeyPair();
  const windowed = parseTrustedKeys(`CN:cn-old:${oldPair.publicKey}@/2025-01-01T00:00:00Z,CN:cn-new:${newPair.publicKey}@2025-01-01T00:00:00Z/`);
  const oldKey = { keyId: 'cn-old', privateKey: parsePrivateKey(oldPair.privateKey) };
  const newKey = { keyId: 'cn-new', privateKey: parsePrivateKey(newPair.privateKey) };

  it('still verifies what a retired key signed while it was valid (replay, /api/audit/verify)', () => {
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent({ time: '2024-12-31T23:59:59.999Z' }), oldKey), windowed, 'CN')).toMatchObject({
      ok: true,
      keyId: 'cn-old',
    });
  });

  it('quarantines an event a retired key signed after its notAfter, as such, even with checks off', () => {
    for (const verify of [true, false]) {
      expect(decodeSignedEvent(encodeSignedEvent(sampleEvent({ time: '2025-01-01T00:00:00.000Z' }), oldKey), windowed, 'CN', verify)).toMatchObject({
        ok: false,
        reason: 'key-expired',
        keyId: 'cn-old',
      });
    }
  });

  it("quarantines an event signed before its key's notBefore", () => {
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent({ time: '2024-06-01T00:00:00Z' }), newKey), windowed, 'CN')).toMatchObject({
      ok: false,
      reason: 'key-not-yet-valid',
    });
    expect(decodeSignedEvent(encodeSignedEvent(sampleEvent({ time: '2026-06-01T00:00:00Z' }), newKey), windowed, 'CN')).toMatchObject({ ok: true });
  });

  it('keeps the earlier TRUSTED_KEYS format (no window: valid at any time) and refuses a malformed window', () => {
    expect(trusted.get('cn-1')).toMatchObject({ keyId: 'cn-1', authority: 'CN' });
    expect(trusted.get('cn-1')?.notAfter).toBeUndefined();
    expect(windowed.get('cn-old')).toMatchObject({ notAfter: Date.parse('2025-01-01T00:00:00Z') });
    expect(() => parseTrustedKeys(`CN:x:${oldPair.publicKey}@2025-01-01`)).toThrow(/window/);
    expect(() => parseTrustedKeys(`CN:x:${oldPair.publicKey}@2026-01-01T00:00:00Z/2025-01-01T00:00:00Z`)).toThrow(/before/);
  });
});
