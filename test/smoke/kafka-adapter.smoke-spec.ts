/**
 * The Kafka adapter (libs/platform/src/kafka) on BOTH its implementations, kafkajs and @platformatic/kafka, against
 * the real local broker (SASL/SCRAM-SHA-512, the ACLs of provisionKafka): what the apps rely on, so that the client
 * that is not the default cannot rot. One topic set per run, removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { topicNames, type TopicSet } from '#contracts';
import { KAFKA_CLIENT_NAMES, createKafka, partitionForKey, provisionKafka, type EachBatchPayload, type Kafka, type KafkaClientName } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';

const RUN_ID = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function kafka(client: KafkaClientName, principal: keyof typeof TEST_KAFKA_PRINCIPALS, password?: string): Kafka {
  const credentials = TEST_KAFKA_PRINCIPALS[principal];
  return createKafka({
    client,
    brokers: TEST_KAFKA_BROKERS,
    clientId: `adapter-smoke-${client}`,
    username: credentials.username,
    password: password ?? credentials.password,
    logLevel: 'NOTHING',
    ...(password ? { retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 } } : {}),
  });
}

interface Seen {
  partition: number;
  offset: string;
  key: string;
  stale: boolean;
}

describe.each(KAFKA_CLIENT_NAMES)('the Kafka adapter on %s', (client) => {
  let topics: TopicSet;
  const group = `registry-adapter-${client}-${RUN_ID}`;
  const keys = Array.from({ length: 12 }, (_, i) => `HK-2026-${String(i).padStart(6, '0')}`);

  beforeAll(async () => {
    topics = topicNames(`adapter-${client}-${RUN_ID}.`);
    await provisionKafka(kafka(client, 'admin'), { topics });
  }, 60_000);

  afterAll(async () => {
    const admin = kafka(client, 'admin').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);

  it('produces idempotently with acks=all, to the key’s murmur2 partition, and reports base offsets', async () => {
    const producer = kafka(client, 'HK').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      // Twice each key: the second send's base offsets follow the first's.
      for (let round = 0; round < 2; round++) {
        const metadata = await producer.send({
          topic: topics.HK,
          acks: -1,
          messages: keys.map((key) => ({ key, value: Buffer.from(JSON.stringify({ key, round })), headers: { 'event-id': `${key}-${round}` } })),
        });
        const partitions = new Set(keys.map((key) => partitionForKey(topics.HK, key, 6)));
        expect(new Set(metadata.map((m) => m.partition))).toEqual(partitions);
        for (const m of metadata) expect(m.baseOffset).toMatch(/^\d+$/);
      }
    } finally {
      await producer.disconnect();
    }
    const admin = kafka(client, 'registry').admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topics.HK);
      expect(offsets).toHaveLength(6);
      expect(offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)).toBe(keys.length * 2);
      for (const { partition, high } of offsets) {
        const expected = keys.filter((key) => partitionForKey(topics.HK, key, 6) === partition).length * 2;
        expect(Number(high)).toBe(expected);
      }
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [topics.HK, topics.QUARANTINE] });
      expect(Object.fromEntries(metadata.map((t) => [t.name, t.partitions.length]))).toEqual({ [topics.HK]: 6, [topics.QUARANTINE]: 3 });
      expect((await admin.describeCluster()).brokers).toHaveLength(1);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('a group consumer seeks on assignment, hands ordered per-partition batches, seeks back mid-run and commits manually', async () => {
    const consumer = kafka(client, 'registry').consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
    const seen: Seen[] = [];
    const assignments: Record<string, number[]>[] = [];
    // Where the registry would resume: each partition's second message (offset 1), as if the first were applied.
    consumer.onAssignment((assignment) => {
      assignments.push(assignment);
      for (const partition of assignment[topics.HK] ?? []) consumer.seek({ topic: topics.HK, partition, offset: '1' });
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topics.HK], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        eachBatch: async ({ batch, resolveOffset, isStale }: EachBatchPayload) => {
          for (const message of batch.messages) {
            seen.push({ partition: batch.partition, offset: message.offset, key: message.key?.toString() ?? '', stale: isStale() });
            resolveOffset(message.offset);
          }
          const next = (BigInt(batch.messages[batch.messages.length - 1].offset) + 1n).toString();
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          expect(BigInt(batch.highWatermark)).toBeGreaterThanOrEqual(BigInt(next));
        },
      });
      const total = keys.length * 2;
      const partitions = new Set(keys.map((key) => partitionForKey(topics.HK, key, 6))).size;
      await waitFor(() => seen.length >= total - partitions, { timeoutMs: 45_000, description: 'every message past offset 0' });
      expect(assignments.length).toBeGreaterThanOrEqual(1);
      expect(seen.filter((s) => s.offset === '0')).toEqual([]);
      // Back to the start of one partition while running: its offset 0 comes (once more than before).
      const first = seen[0].partition;
      consumer.seek({ topic: topics.HK, partition: first, offset: '0' });
      await waitFor(() => seen.some((s) => s.partition === first && s.offset === '0'), { timeoutMs: 30_000, description: 'offset 0 after the seek' });
      // Per partition, in offset order from each starting point.
      for (const partition of new Set(seen.map((s) => s.partition))) {
        const offsets = seen.filter((s) => s.partition === partition).map((s) => Number(s.offset));
        const restart = offsets.indexOf(0);
        const runs = restart > 0 ? [offsets.slice(0, restart), offsets.slice(restart)] : [offsets];
        for (const run of runs) expect(run).toEqual([...run].sort((a, b) => a - b));
      }
    } finally {
      await consumer.disconnect();
    }

    // The committed offsets are where a member without an assignment hook resumes: only a new message comes.
    const producer = kafka(client, 'HK').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.HK, messages: [{ key: 'HK-2026-LATE', value: 'late' }] });
    await producer.disconnect();
    const again = kafka(client, 'registry').consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
    const resumed: string[] = [];
    await again.connect();
    try {
      await again.subscribe({ topics: [topics.HK], fromBeginning: true });
      await again.run({
        autoResolve: true,
        eachBatch: ({ batch }) => {
          resumed.push(...batch.messages.map((m) => m.key?.toString() ?? ''));
          return Promise.resolve();
        },
      });
      await waitFor(() => resumed.includes('HK-2026-LATE'), { timeoutMs: 45_000, description: 'the late message' });
    } finally {
      await again.disconnect();
    }
    // Nothing before it (a rebalance may hand the uncommitted late message twice: at least once).
    expect(new Set(resumed)).toEqual(new Set(['HK-2026-LATE']));
  }, 120_000);

  it('refuses a wrong password and a write outside the principal’s topic', async () => {
    const intruder = kafka(client, 'HK', 'not-the-password').producer();
    await expect(intruder.connect().then(() => intruder.send({ topic: topics.HK, messages: [{ key: 'x', value: 'x' }] }))).rejects.toThrow();
    await intruder.disconnect().catch(() => undefined);
    const producer = kafka(client, 'HK').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await expect(producer.send({ topic: topics.CN, messages: [{ key: 'x', value: 'forged' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  }, 60_000);
});
