import { describe, expect, it } from '@jest/globals';
import { decodeSignedEvent, generateSigningKeyPair, parsePrivateKey, parseTrustedKeys, type AuthorityCode } from '#contracts';
import { generateEvents } from './events.js';

const pairs = { CN: generateSigningKeyPair(), HK: generateSigningKeyPair(), MO: generateSigningKeyPair() };
const keys = Object.fromEntries(Object.entries(pairs).map(([a, p]) => [a, { keyId: `${a}-k`, privateKey: parsePrivateKey(p.privateKey) }])) as Record<AuthorityCode, { keyId: string; privateKey: ReturnType<typeof parsePrivateKey> }>;
const trusted = parseTrustedKeys(Object.entries(pairs).map(([a, p]) => `${a}:${a}-k:${p.publicKey}`).join(','));

describe('generateEvents', () => {
  const events = generateEvents({ seed: 5, events: 2000, keys });

  it('makes the requested number of signed events that pass the contract', () => {
    expect(events).toHaveLength(2000);
    for (const generated of events) {
      expect(decodeSignedEvent(generated.value, trusted, generated.authority)).toMatchObject({ ok: true });
    }
  });

  it('numbers each recordation 1, 2, 3 … in order, with unique event ids', () => {
    const sequences = new Map<string, number[]>();
    for (const { authority, event } of events) sequences.set(`${authority}:${event.subject}`, [...(sequences.get(`${authority}:${event.subject}`) ?? []), event.sequence]);
    for (const list of sequences.values()) expect(list).toEqual(list.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
  });

  it('gives another seed other event ids', () => {
    const other = new Set(generateEvents({ seed: 6, events: 2000, keys }).map((e) => e.event.id));
    expect(events.some((e) => other.has(e.event.id))).toBe(false);
  });

  it('is deterministic apart from signatures', () => {
    const again = generateEvents({ seed: 5, events: 2000, keys });
    expect(again.map((e) => e.event)).toEqual(events.map((e) => e.event));
  });
});
