import { describe, expect, it } from '@jest/globals';
import { decodeSignedEvent, generateSigningKeyPair, parsePrivateKey, parseTrustedKeys, type AuthorityCode, type RecordationState } from '#contracts';
import { applyOperation, createGenerated, generateEvents } from './events.js';
import { generateDataset } from './generator.js';

const pairs = { CN: generateSigningKeyPair(), HK: generateSigningKeyPair(), MO: generateSigningKeyPair() };
const keys = Object.fromEntries(Object.entries(pairs).map(([a, p]) => [a, { keyId: `${a}-k`, privateKey: parsePrivateKey(p.privateKey) }])) as Record<
  AuthorityCode,
  { keyId: string; privateKey: ReturnType<typeof parsePrivateKey> }
>;
const trusted = parseTrustedKeys(
  Object.entries(pairs)
    .map(([a, p]) => `${a}:${a}-k:${p.publicKey}`)
    .join(','),
);

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
    for (const { authority, event } of events)
      sequences.set(`${authority}:${event.subject}`, [...(sequences.get(`${authority}:${event.subject}`) ?? []), event.sequence]);
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

describe('the generated data set, on any day', () => {
  it('holds only creations and changes that the authorities accept (the demo sends them through the APIs)', () => {
    const refused: string[] = [];
    // Every eleventh day over three years: terms, renewal windows and registration expiries all move with the date.
    for (let day = 0; day < 3 * 365; day += 11) {
      const now = new Date(Date.UTC(2026, 10, 28 + day));
      const today = now.toISOString().slice(0, 10);
      const { recordations, operations } = generateDataset({ seed: 20240314, recordations: 300, now });
      const states = new Map<string, RecordationState>();
      for (const recordation of recordations) {
        const result = createGenerated(recordation, today);
        if (result.ok && 'state' in result) states.set(recordation.recordationNumber, result.state);
        else refused.push(`${today} create ${recordation.recordationNumber}: ${JSON.stringify(result)}`);
      }
      for (const op of operations) {
        const current = states.get(op.recordationNumber);
        if (!current) continue; // its creation is already among the refused
        const result = applyOperation(current, op, today);
        if (result.ok && 'state' in result) states.set(op.recordationNumber, result.state);
        else refused.push(`${today} ${op.kind} ${op.recordationNumber}: ${JSON.stringify(result).slice(0, 200)}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
