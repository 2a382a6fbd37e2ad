import { parseTrustedKeys, topicNames, type AuthorityCode, type SigningKey, type TopicSet } from '#contracts';
import type { GeneratedEvent } from '#datagen';
import { createKafka, provisionKafka } from '#platform';
import {
  TEST_KAFKA_BROKERS,
  TEST_KAFKA_PRINCIPALS,
  createTestDatabase,
  createTestSigningKeys,
  signingKeysOf,
  type TestDatabase,
  type TestSigningKeys,
} from '#testing';
import { replayRegistry, type ReplayOptions, type ReplayResult } from '../apps/registry/src/replay/replay.js';

export interface BenchSetup {
  database: TestDatabase;
  prefix: string;
  topics: TopicSet;
  keys: TestSigningKeys;
  signers: Record<AuthorityCode, SigningKey>;
}

/** What every benchmark starts from: its own database, fresh provisioned topics and fresh authority keys. */
export async function benchSetup(name: string): Promise<BenchSetup> {
  const database = await createTestDatabase(`rx_${name}`);
  const prefix = `${name.replace(/_/g, '')}${Date.now().toString(36)}.`;
  const topics = topicNames(prefix);
  const keys = createTestSigningKeys();
  await provisionKafka(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: name, ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'ERROR' }), {
    topicPrefix: prefix,
  });
  return { database, prefix, topics, keys, signers: signingKeysOf(keys) };
}

/** Replays a benchmark's topics from its live `registry` schema into `registry_replay`, as `npm run replay` does. */
export function replayBench(
  setup: Pick<BenchSetup, 'database' | 'topics' | 'keys'>,
  options: Pick<ReplayOptions, 'expectedDigest' | 'progress'> = {},
): Promise<ReplayResult> {
  return replayRegistry({
    kafka: createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-replay', ...TEST_KAFKA_PRINCIPALS.registry, logLevel: 'ERROR' }),
    databaseUrl: setup.database.url,
    liveSchema: 'registry',
    targetSchema: 'registry_replay',
    topics: setup.topics,
    trustedKeys: parseTrustedKeys(setup.keys.trustedKeys),
    ...options,
  });
}

/**
 * Produces the events, each on its authority's topic as that authority, 2 000 per send, in order. `partitionOf`
 * places each event (default: the producer's partitioner, by key); `afterSend` sees each send's events with the
 * partition they went to, in send order (one request in flight, so offsets follow that order).
 */
export async function produceEvents(
  events: readonly GeneratedEvent[],
  topics: TopicSet,
  options: { partitionOf?: (event: GeneratedEvent) => number; afterSend?: (sent: { event: GeneratedEvent; partition?: number }[]) => void } = {},
): Promise<void> {
  for (const authority of ['CN', 'HK', 'MO'] as const) {
    const producer = createKafka({
      brokers: TEST_KAFKA_BROKERS,
      clientId: `bench-${authority}`,
      ...TEST_KAFKA_PRINCIPALS[authority],
      logLevel: 'ERROR',
    }).producer({ maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const mine = events.filter((e) => e.authority === authority);
      for (let i = 0; i < mine.length; i += 2000) {
        const sent = mine.slice(i, i + 2000).map((event) => ({ event, partition: options.partitionOf?.(event) }));
        await producer.send({
          topic: topics[authority],
          acks: -1,
          messages: sent.map(({ event, partition }) => ({ key: event.key, value: event.value, partition })),
        });
        options.afterSend?.(sent);
      }
    } finally {
      await producer.disconnect();
    }
  }
}

/**
 * The registry's merge transactions so far, from its /metrics: how many, with how many messages, in how many seconds
 * (summed over transactions that ran side by side), and how many seconds they waited for merge locks in all.
 */
export async function mergeFigures(
  base: string,
): Promise<{ count: number; messages: number; seconds: number; lockWaitSeconds: number; lockBlockedSeconds: number; retries: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    count: value('registry_merge_latency_seconds_count'),
    messages: value('registry_batch_size_sum'),
    seconds: value('registry_merge_latency_seconds_sum'),
    // Time in the statements that take merge locks (round trips included), and in those another merge held up.
    lockWaitSeconds: value('registry_merge_lock_wait_seconds_sum'),
    lockBlockedSeconds: value('registry_merge_lock_blocked_seconds_sum') || 0,
    // Merge transactions rolled back and run again after losing a lock race (0 when none: the counter is not printed).
    retries: value('registry_merge_retries_total') || 0,
  };
}
