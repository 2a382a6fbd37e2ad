import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeSignedEvent, encodeSignedEvent, parsePrivateKey, parseTrustedKeys, type AuthorityCode } from '#contracts';
import { generateEvents } from '#datagen';
import { createTestSigningKeys } from '#testing';
import type { DecodePool as DecodePoolClass } from './decode-pool.js';

// The pool's workers are the compiled decode-worker.js: under Jest the sources have none next to them (the pool then
// decodes inline), so this loads the build that `npm test` makes first.
const compiled = path.resolve('dist/apps/registry/src/consumer/decode-pool.js');

describe('DecodePool (worker threads)', () => {
  const keys = createTestSigningKeys();
  const trusted = parseTrustedKeys(keys.trustedKeys);
  const signers = Object.fromEntries(
    Object.entries(keys.signers).map(([a, s]) => [a, { keyId: s.keyId, privateKey: parsePrivateKey(s.privateKey) }]),
  ) as Record<AuthorityCode, { keyId: string; privateKey: ReturnType<typeof parsePrivateKey> }>;
  const events = generateEvents({ seed: 11, events: 300, keys: signers }).filter((e) => e.authority === 'HK');
  // Good events mixed with every kind of refusal, so order and outcome are checked on both.
  const forged = Buffer.from(events[1].value.toString('utf8').replace(/"sig":"[A-Za-z0-9+/]{4}/, '"sig":"AAAA'));
  const claimsMacao = encodeSignedEvent({ ...events[2].event, source: 'MO' }, signers.MO);
  const values: (Buffer | null)[] = [...events.map((e) => e.value), Buffer.from('not json'), null, forged, claimsMacao, Buffer.from('{"payloadType":1}')];
  const expected = values.map((value) => decodeSignedEvent(value, trusted, 'HK'));
  let pool: DecodePoolClass;

  beforeAll(async () => {
    if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build (npm test builds first)`);
    const { DecodePool } = (await import(compiled)) as typeof import('./decode-pool.js');
    pool = new DecodePool(trusted, { threads: 2 });
  });
  afterAll(() => pool?.close());

  it('runs on worker threads and gives, in message order, exactly what decoding on this thread gives', async () => {
    expect(pool.threads).toBe(2);
    expect(expected.filter((d) => d.ok).length).toBe(events.length);
    // Garbage, null, a forged signature, an event claiming Macao for a Hong Kong number, not an envelope.
    expect(expected.filter((d) => !d.ok).map((d) => !d.ok && d.reason)).toEqual([
      'unparseable',
      'unparseable',
      'bad-signature',
      'schema-violation',
      'bad-envelope',
    ]);
    expect(await pool.decodeAll(values, 'HK')).toEqual(expected);
  });

  it('with signature checks off, merges the forged event as unverified and still refuses the rest', async () => {
    const { DecodePool } = (await import(compiled)) as typeof import('./decode-pool.js');
    const unverified = new DecodePool(trusted, { threads: 2, verifySignatures: false });
    try {
      expect(unverified.threads).toBe(2);
      const decoded = await unverified.decodeAll(values, 'HK');
      expect(decoded).toEqual(values.map((value) => decodeSignedEvent(value, trusted, 'HK', false)));
      expect(decoded.filter((d) => d.ok).every((d) => d.ok && !d.verified)).toBe(true);
      expect(decoded[events.length + 2]).toMatchObject({ ok: true, verified: false });
      expect(decoded.filter((d) => !d.ok).map((d) => !d.ok && d.reason)).toEqual(['unparseable', 'unparseable', 'schema-violation', 'bad-envelope']);
    } finally {
      await unverified.close();
    }
  });

  it('decodes a small batch on the calling thread, with the same outcome', async () => {
    expect(await pool.decodeAll(values.slice(-6), 'HK')).toEqual(expected.slice(-6));
  });

  it('falls back to this thread when a worker dies, and loses no message', async () => {
    const workers = (pool as unknown as { workers: { worker: { terminate(): Promise<number> } }[] }).workers;
    await workers[0].worker.terminate();
    expect(await pool.decodeAll(values, 'HK')).toEqual(expected);
    expect(pool.threads).toBe(1);
  });
});
