import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import request from 'supertest';
import { parsePrivateKey, type AuthorityCode } from '#contracts';
import { generateEvents, type GeneratedEvent } from '#datagen';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, createTestDatabase, waitFor, type TestDatabase } from '#testing';
import { TOKENS, TestSystem } from '../../support/system.js';

const EVENTS = 3000;
const MAIN = 'dist/apps/registry/src/main.js';

/**
 * Exactly-once effect and scale-out (issue 4): a registry killed with SIGKILL mid-stream and restarted, and two
 * registries sharing one consumer group, each reach the same digest as one uninterrupted registry reading the
 * same log into another database.
 */
describe('registry consistency through crashes and scale-out', () => {
  let system: TestSystem;
  const extraDatabases: TestDatabase[] = [];
  const children: ChildProcess[] = [];
  let events: GeneratedEvent[];
  let reference: INestApplication<Server>;

  /** How many messages the registry in this database has merged (the sum of its stored next offsets). */
  async function mergedCount(databaseUrl: string): Promise<number> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return Number((await client.query('SELECT coalesce(sum(next_offset), 0) AS n FROM registry.consumer_offsets')).rows[0].n);
    } catch {
      return 0; // not migrated yet
    } finally {
      await client.end();
    }
  }

  async function registryDigest(app: INestApplication<Server>): Promise<string> {
    return (await request(app.getHttpServer()).get('/api/audit/digest').set('authorization', `Bearer ${TOKENS.auditor}`).expect(200)).body.digest;
  }

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npm test does)`);
    system = await TestSystem.create('crash');
    const keys = Object.fromEntries(
      Object.entries(system.keys.signers).map(([authority, signer]) => [authority, { keyId: signer.keyId, privateKey: parsePrivateKey(signer.privateKey) }]),
    ) as Record<AuthorityCode, { keyId: string; privateKey: ReturnType<typeof parsePrivateKey> }>;
    events = generateEvents({ seed: 99, events: EVENTS, keys });
    for (const authority of ['CN', 'HK', 'MO'] as const) {
      const producer = createKafka({
        brokers: TEST_KAFKA_BROKERS,
        clientId: `crash-${authority}`,
        ...TEST_KAFKA_PRINCIPALS[authority],
        logLevel: 'NOTHING',
      }).producer();
      await producer.connect();
      const mine = events.filter((e) => e.authority === authority);
      for (let i = 0; i < mine.length; i += 1000) {
        await producer.send({ topic: system.topics[authority], acks: -1, messages: mine.slice(i, i + 1000).map((e) => ({ key: e.key, value: e.value })) });
      }
      await producer.disconnect();
    }
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await system?.close();
    for (const database of extraDatabases) await database.drop().catch(() => undefined);
  });

  it('reaches the same digest after repeated SIGKILLs as an uninterrupted registry', async () => {
    // The reference: one registry, never interrupted, on a database of its own.
    const referenceDb = await createTestDatabase();
    extraDatabases.push(referenceDb);
    reference = await system.startRegistry({ DATABASE_URL: referenceDb.url, KAFKA_CONSUMER_GROUP: `registry-ref-${system.prefix}` });

    // The victim: a registry process killed with SIGKILL whenever it has made some progress, then restarted.
    // A short session: the broker gives a killed member's partitions away after 6 s instead of 30 s.
    const env = { ...system.registryEnv(), PORT: '0', KAFKA_CONSUMER_GROUP: `registry-victim-${system.prefix}`, CONSUMER_SESSION_TIMEOUT_MS: '6000' };
    const kills: number[] = [];
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [MAIN], { env, stdio: 'ignore' });
      children.push(child);
      const before = await mergedCount(system.database.url);
      if (before >= EVENTS) break;
      await waitFor(async () => (await mergedCount(system.database.url)) > before || undefined, {
        timeoutMs: 60_000,
        description: `progress in round ${round}`,
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      kills.push(await mergedCount(system.database.url));
    }
    expect(kills.length).toBeGreaterThanOrEqual(1);
    const last = await system.startRegistry({ KAFKA_CONSUMER_GROUP: `registry-victim-${system.prefix}`, CONSUMER_SESSION_TIMEOUT_MS: '6000' });

    await waitFor(async () => (await mergedCount(system.database.url)) >= EVENTS && (await mergedCount(referenceDb.url)) >= EVENTS, {
      timeoutMs: 120_000,
      description: 'both registries to merge every event',
    });
    const [victimDigest, referenceDigest] = [await registryDigest(last), await registryDigest(reference)];
    expect(victimDigest).toBe(referenceDigest);
    const counts = await request(last.getHttpServer()).get('/api/audit/digest').set('authorization', `Bearer ${TOKENS.auditor}`).expect(200);
    // Every offset stored once: nothing lost, nothing applied twice.
    expect(counts.body.events).toBe(EVENTS);
  });

  it('gives two instances in one consumer group the same digest as one instance', async () => {
    const pairDb = await createTestDatabase();
    extraDatabases.push(pairDb);
    const group = `registry-pair-${system.prefix}`;
    const first = await system.startRegistry({ DATABASE_URL: pairDb.url, KAFKA_CONSUMER_GROUP: group });
    await system.startRegistry({ DATABASE_URL: pairDb.url, KAFKA_CONSUMER_GROUP: group });
    await waitFor(async () => (await mergedCount(pairDb.url)) >= EVENTS, { timeoutMs: 120_000, description: 'the pair to merge every event' });
    expect(await registryDigest(first)).toBe(await registryDigest(reference));
  });
});
