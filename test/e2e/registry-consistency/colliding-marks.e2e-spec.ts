import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import {
  encodeSignedEvent,
  parsePrivateKey,
  parseTrustedKeys,
  RECORDATION_DATASCHEMA_V1,
  type AuthorityCode,
  type RecordationEvent,
  type RecordationState,
  type SigningKey,
} from '#contracts';
import { SeededRandom, createGenerated, generateDataset } from '#datagen';
import { AUTHORITY_RULES, amendRecordation, reinstateRecordation, suspendRecordation, type Transition } from '#domain';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, createTestDatabase, waitFor, type TestDatabase } from '#testing';
import { replayRegistry } from '../../../apps/registry/src/replay/replay.js';
import { TOKENS, TestSystem } from '../../support/system.js';

const RECORDATIONS = 400;
const EVENTS = 1600;
/**
 * Words shared as transliterations by recordations of every authority and partition: about four recordations a
 * word, and one in six bridging two words, so marks of varied size keep merging and splitting (one giant mark
 * would keep its id whatever the order of merges, and hide a race).
 */
const WORDS = Array.from({ length: 120 }, (_, i) => `COLLIDE${String.fromCharCode(65 + (i % 26))}${i}`);
const TODAY = '2026-11-28';

/** UUIDv7-shaped and deterministic, as the generator makes them. */
function eventId(counter: number, time: number): string {
  const hex = time.toString(16).padStart(12, '0').slice(-12);
  const c = `00001818${counter.toString(16).padStart(7, '0').slice(-7)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${c.slice(0, 3)}-8${c.slice(3, 6)}-${c.slice(6, 15).padStart(12, '0')}`;
}

interface Emitted {
  authority: AuthorityCode;
  key: string;
  value: Buffer;
}

/**
 * Events built so that merges of different partitions keep touching the same marks: every recordation takes one or
 * two words of a pool as transliterations (two words bridge two marks), and amendments move recordations
 * from word to word (marks merge and split), between status changes on the same marks (which change no key).
 */
function collidingEvents(keys: Record<AuthorityCode, SigningKey>): { events: Emitted[]; keyChanges: number; statusChanges: number } {
  const random = new SeededRandom(1818);
  const dataset = generateDataset({ seed: 1818, recordations: RECORDATIONS, now: new Date(`${TODAY}T00:00:00Z`), includeCatalogue: false });
  const words = () =>
    random.next() < 0.15 ? [WORDS[random.int(0, WORDS.length - 1)], WORDS[random.int(0, WORDS.length - 1)]] : [WORDS[random.int(0, WORDS.length - 1)]];
  const states = new Map<string, RecordationState>();
  const events: Emitted[] = [];
  let clock = Date.parse(`${TODAY}T00:00:00Z`) - 86_400_000;
  let keyChanges = 0;
  let statusChanges = 0;
  const emit = (result: Transition): boolean => {
    if (!result.ok || 'unchanged' in result || events.length >= EVENTS) return false;
    const state = result.state;
    states.set(`${state.authority}:${state.recordationNumber}`, state);
    clock += 5;
    const event: RecordationEvent = {
      specversion: '1.0',
      id: eventId(events.length + 1, clock),
      type: result.type,
      source: state.authority,
      subject: state.recordationNumber,
      sequence: state.version,
      time: new Date(clock).toISOString(),
      dataschema: RECORDATION_DATASCHEMA_V1,
      datacontenttype: 'application/json',
      data: state,
      changedFields: result.changedFields,
    };
    events.push({ authority: state.authority, key: state.recordationNumber, value: encodeSignedEvent(event, keys[state.authority]) });
    return true;
  };
  for (const recordation of dataset.recordations) {
    const body = { ...recordation.body, mark: { ...recordation.body.mark, transliterations: words().map((text) => ({ script: 'Latn', text })) } };
    emit(createGenerated({ ...recordation, body: body }, TODAY));
  }
  const ids = [...states.keys()];
  for (let attempts = 0; events.length < EVENTS && attempts < EVENTS * 4; attempts++) {
    const current = states.get(ids[random.int(0, ids.length - 1)])!;
    const roll = random.next();
    if (roll < 0.55) {
      const mark = { ...current.mark, transliterations: words().map((text) => ({ script: 'Latn' as const, text })) };
      if (emit(amendRecordation(current, { mark }, AUTHORITY_RULES[current.authority], TODAY))) keyChanges++;
    } else if (current.status === 'active') {
      if (emit(suspendRecordation(current, 'colliding test'))) statusChanges++;
    } else if (emit(reinstateRecordation(current, 'colliding test', TODAY))) statusChanges++;
  }
  return { events, keyChanges, statusChanges };
}

/** Every row the merge writes, in a fixed order, minus what differs by nature between runs (receipt times). */
async function snapshot(databaseUrl: string, schema: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query(sql)).rows;
    return {
      recordations: await q(`SELECT authority, recordation_number, version, status, data, mark_id,
        (SELECT jsonb_agg(r - 'receivedAt') FROM jsonb_array_elements(provenance->'refs') AS r) AS refs, provenance->'fields' AS fields
        FROM ${schema}.recordations ORDER BY authority, recordation_number`),
      marks: await q(`SELECT mark_id, display_text, display_source, recorded, conflict, conflicts, recordation_count FROM ${schema}.marks ORDER BY mark_id`),
      markKeys: await q(`SELECT key, authority, recordation_number, kind, literal FROM ${schema}.mark_keys ORDER BY key, authority, recordation_number, kind`),
      events: await q(`SELECT topic, partition, "offset", event_id, disposition, changes FROM ${schema}.events ORDER BY topic, partition, "offset"`),
    };
  } finally {
    await client.end();
  }
}

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

async function assignedPartitions(app: INestApplication): Promise<number> {
  const text = (await request(app.getHttpServer()).get('/metrics').set('authorization', `Bearer ${TOKENS.auditor}`)).text;
  return Number(/^registry_assigned_partitions (\d+)/m.exec(text)?.[1] ?? 0);
}

async function eventsMerged(app: INestApplication): Promise<number> {
  const text = (await request(app.getHttpServer()).get('/metrics').set('authorization', `Bearer ${TOKENS.auditor}`)).text;
  return [...text.matchAll(/^registry_events_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * Issue 18: merges run side by side. Two registry instances on one consumer group, each with several merge
 * transactions at once, under a workload whose marks span partitions and authorities, must store exactly what one
 * instance merging alone stores — row for row, mark ids included — and what a replay of the log rebuilds.
 */
describe('registry consistency: two instances on colliding marks', () => {
  let system: TestSystem;
  const databases: TestDatabase[] = [];
  let total = 0;
  let events: Emitted[] = [];

  beforeAll(async () => {
    system = await TestSystem.create('collide');
    const keys = Object.fromEntries(
      Object.entries(system.keys.signers).map(([authority, signer]) => [authority, { keyId: signer.keyId, privateKey: parsePrivateKey(signer.privateKey) }]),
    ) as Record<AuthorityCode, SigningKey>;
    const colliding = collidingEvents(keys);
    expect(colliding.keyChanges).toBeGreaterThan(400);
    expect(colliding.statusChanges).toBeGreaterThan(200);
    events = colliding.events;
    total = events.length;
  });

  /** Every event, on its authority's topic (after the pair of instances shares the partitions: see the test). */
  async function produceAll(): Promise<void> {
    for (const authority of ['CN', 'HK', 'MO'] as const) {
      const producer = createKafka({
        brokers: TEST_KAFKA_BROKERS,
        clientId: `collide-${authority}`,
        ...TEST_KAFKA_PRINCIPALS[authority],
        logLevel: 'NOTHING',
      }).producer();
      await producer.connect();
      const mine = events.filter((e) => e.authority === authority);
      for (let i = 0; i < mine.length; i += 500) {
        await producer.send({ topic: system.topics[authority], acks: -1, messages: mine.slice(i, i + 500).map((e) => ({ key: e.key, value: e.value })) });
      }
      await producer.disconnect();
    }
  }

  /** Partitions of the three topics. */
  async function partitionCount(): Promise<number> {
    const admin = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'collide-admin', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' }).admin();
    await admin.connect();
    try {
      let count = 0;
      for (const authority of ['CN', 'HK', 'MO'] as const) count += (await admin.fetchTopicOffsets(system.topics[authority])).length;
      return count;
    } finally {
      await admin.disconnect();
    }
  }

  afterAll(async () => {
    await system?.close();
    for (const database of databases) await database.drop().catch(() => undefined);
  });

  it('stores row for row what one instance stores, and what a replay rebuilds', async () => {
    const singleDb = await createTestDatabase();
    const pairDb = await createTestDatabase();
    databases.push(singleDb, pairDb);
    // One instance, one merge at a time: the reference.
    await system.startRegistry({ DATABASE_URL: singleDb.url, KAFKA_CONSUMER_GROUP: `registry-single-${system.prefix}`, CONSUMER_MERGES_CONCURRENTLY: '1' });
    // Two instances on one group, each running several merge transactions at once, small chunks of many partitions.
    const pairEnv = {
      DATABASE_URL: pairDb.url,
      KAFKA_CONSUMER_GROUP: `registry-pair-${system.prefix}`,
      CONSUMER_MERGES_CONCURRENTLY: '4',
      CONSUMER_MIN_BYTES: '1',
      CONSUMER_MAX_BYTES_PER_PARTITION: '16384',
    };
    const first = await system.startRegistry(pairEnv);
    const second = await system.startRegistry(pairEnv);
    // The log is written once both instances hold partitions: with it written before, the first instance to join
    // could merge it all before the second joined (it did, once decoding got faster), and the pair would be one.
    const partitions = await partitionCount();
    await waitFor(
      async () => {
        const [mine, theirs] = [await assignedPartitions(first), await assignedPartitions(second)];
        return mine > 0 && theirs > 0 && mine + theirs === partitions;
      },
      { timeoutMs: 120_000, description: 'the two instances to share the partitions' },
    );
    await produceAll();

    await waitFor(async () => (await mergedCount(singleDb.url)) >= total && (await mergedCount(pairDb.url)) >= total, {
      timeoutMs: 480_000,
      description: 'both registries to merge every event',
    });
    // Both instances of the pair took part.
    expect(await eventsMerged(first)).toBeGreaterThan(0);
    expect(await eventsMerged(second)).toBeGreaterThan(0);

    const [single, pair] = [await snapshot(singleDb.url, 'registry'), await snapshot(pairDb.url, 'registry')];
    expect(pair.events).toHaveLength(total);
    // The workload did what it is for: marks whose recordations come from several partitions and authorities.
    const spread = await (async () => {
      const client = new pg.Client({ connectionString: pairDb.url });
      await client.connect();
      try {
        return (
          await client.query(`SELECT max(parts) AS parts, max(authorities) AS authorities FROM (
            SELECT r.mark_id, count(DISTINCT (e.topic, e.partition)) AS parts, count(DISTINCT r.authority) AS authorities
            FROM registry.recordations r JOIN registry.events e ON e.authority = r.authority AND e.recordation_number = r.recordation_number
            GROUP BY r.mark_id) s`)
        ).rows[0];
      } finally {
        await client.end();
      }
    })();
    expect(Number(spread.parts)).toBeGreaterThanOrEqual(6);
    expect(Number(spread.authorities)).toBe(3);

    for (const table of ['recordations', 'marks', 'markKeys', 'events'] as const) expect({ table, rows: pair[table] }).toEqual({ table, rows: single[table] });

    // A replay of the same log into a fresh schema of the pair's database: the same rows, the same digest.
    const replay = await replayRegistry({
      kafka: createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'collide-replay', ...TEST_KAFKA_PRINCIPALS.registry, logLevel: 'NOTHING' as const }),
      databaseUrl: pairDb.url,
      liveSchema: 'registry',
      targetSchema: 'registry_replay',
      topics: system.topics,
      trustedKeys: parseTrustedKeys(system.keys.trustedKeys),
    });
    expect(replay).toMatchObject({ events: total, match: true });
    const replayed = await snapshot(pairDb.url, 'registry_replay');
    for (const table of ['recordations', 'marks', 'markKeys'] as const) expect({ table, rows: replayed[table] }).toEqual({ table, rows: single[table] });
  }, 600_000);
});
