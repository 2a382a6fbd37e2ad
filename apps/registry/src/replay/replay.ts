import pg from 'pg';
import { DataSource } from 'typeorm';
import { authorityForTopic, authorityTopics, canonicalJson, type RecordationEvent, type TopicSet, type TrustedKey } from '#contracts';
import { digestOfRegistry, eventRefOf, mergeEvent, recordationId, unpackProvenance, type RegistryRecordation } from '#domain';
import { dataSourceOptions, quoteIdent, runMigrations, type Kafka } from '#platform';
import { DecodePool } from '../consumer/decode-pool.js';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { MarkGrouping } from '../store/mark-grouping.js';
import { PictureStore, storeEventPictures } from '../store/picture-store.js';
import { RegistryBulkLoad } from '../store/registry-bulk-load.js';
import { RegistryQueries } from '../store/registry-queries.js';
import type { IncomingMessage } from '../store/registry-store.js';
import { RegistryTables } from '../store/registry-tables.js';
import { Progress } from './progress.js';

/** Decoded messages waiting to be merged before the replay stops fetching (memory: a few KB each). */
const MAX_QUEUED_MESSAGES = 50_000;

export interface ReplayOptions {
  kafka: Kafka;
  databaseUrl: string;
  liveSchema: string;
  targetSchema: string;
  topics: TopicSet;
  trustedKeys: ReadonlyMap<string, TrustedKey>;
  /** Only events whose time is at or before this. */
  until?: Date;
  /** Merged events written per COPY (tests make it small to cross batch boundaries). */
  flushEvery?: number;
  /** Compare with this digest instead of the live registry's (the benchmark's independent fold of the same log). */
  expectedDigest?: string;
  progress?: boolean;
}

export interface ReplayResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  replayDigest: string;
  liveDigest: string;
  match: boolean;
  differences: { recordation: string; live: unknown; replay: unknown }[];
}

/**
 * Rebuilds the registry from the Kafka log, from offset 0 of every partition up to the end offsets seen at the
 * start, into a fresh schema: signatures verified on the decode pool's threads, events merged by the EventMerger
 * the live consumer uses, the result written with COPY (RegistryBulkLoad); then compares digests.
 */
export async function replayRegistry(options: ReplayOptions): Promise<ReplayResult> {
  if (options.targetSchema === options.liveSchema) throw new Error('the replay target must be another schema than the live registry');
  const live = new RegistryTables(options.liveSchema);
  const target = new RegistryTables(options.targetSchema);
  const setup = new DataSource(dataSourceOptions({ url: options.databaseUrl, schema: 'public', migrations: [] }));
  await setup.initialize();
  try {
    await setup.query(`DROP SCHEMA IF EXISTS ${quoteIdent(options.targetSchema)} CASCADE`);
  } finally {
    await setup.destroy();
  }
  await runMigrations({ url: options.databaseUrl, schema: options.targetSchema, migrations: REGISTRY_MIGRATIONS });
  const dataSource = new DataSource(
    dataSourceOptions({ url: options.databaseUrl, schema: options.targetSchema, migrations: REGISTRY_MIGRATIONS, poolSize: 4 }),
  );
  await dataSource.initialize();
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: 'registry-replay' });
  await client.connect();
  const pool = new DecodePool(options.trustedKeys);
  const targetPictures = new PictureStore(target);
  try {
    // Aliases are administrators' data, not events: the replay starts from the live table.
    await client.query(`INSERT INTO ${target.aliases} SELECT * FROM ${live.aliases}`);
    const aliases = await new MarkGrouping(target).loadAliases(dataSource.manager);
    const load = new RegistryBulkLoad(client, target, options.flushEvery, async () => {
      const indexClient = new pg.Client({ connectionString: options.databaseUrl, application_name: 'registry-replay-indexes' });
      await indexClient.connect();
      return indexClient;
    });
    await load.begin();

    const ends = await endOffsets(options.kafka, authorityTopics(options.topics));
    const total = ends.reduce((sum, end) => sum + Number(end.high - end.low), 0);
    const progress = options.progress ? new Progress('replay', total) : undefined;
    const started = Date.now();
    let done = 0;

    const consumer = options.kafka.consumer({
      groupId: `registry-replay-${Date.now().toString(36)}`,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 8 * 1024 * 1024,
    });
    const remaining = new Set(ends.filter((end) => end.high > end.low).map((end) => `${end.topic}:${end.partition}`));
    // Batches of several partitions are decoded at once (on the pool's threads) and merged one after another, in
    // the order their decoding ends. A partition's next batch is only fetched once this one is queued for merging,
    // so each partition stays in log order.
    let merging: Promise<void> = Promise.resolve();
    /** Per partition, the offset after the last message queued for merging. */
    const queuedUpTo = new Map<string, bigint>();
    let queued = 0;
    let failure: unknown;
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: authorityTopics(options.topics), fromBeginning: true });
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      if (remaining.size === 0) finish();
      await consumer.run({
        partitionsConsumedConcurrently: 4,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const end = ends.find((e) => e.topic === batch.topic && e.partition === batch.partition)!;
          // This consumer commits no offsets: after a rebalance (heartbeats late under load) kafkajs fetches a
          // partition again from its start. What was queued already is not queued twice (RegistryBulkLoad.add
          // skips it too).
          const partitionKey = `${batch.topic}:${batch.partition}`;
          const from = queuedUpTo.get(partitionKey) ?? 0n;
          const inRange = batch.messages.filter((m) => BigInt(m.offset) < end.high && BigInt(m.offset) >= from);
          if (!inRange.length || failure) return;
          queuedUpTo.set(partitionKey, BigInt(inRange[inRange.length - 1].offset) + 1n);
          const authority = authorityForTopic(batch.topic, options.topics);
          const receivedAt = new Date().toISOString();
          const decoded = await pool.decodeAll(
            inRange.map((m) => m.value),
            authority,
          );
          await storeEventPictures(targetPictures, dataSource, decoded);
          let messages: IncomingMessage[] = inRange.map((m, index) => ({
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? Buffer.alloc(0),
            decoded: decoded[index],
            receivedAt,
          }));
          if (options.until) messages = messages.filter((m) => !m.decoded.ok || Date.parse(m.decoded.event.time) <= options.until!.getTime());
          const last = inRange[inRange.length - 1].offset;
          queued += inRange.length;
          merging = merging
            .then(async () => {
              if (failure) return;
              await load.add({ topic: batch.topic, partition: batch.partition, messages });
              queued -= inRange.length;
              done += inRange.length;
              progress?.update(done);
              if (BigInt(last) + 1n >= end.high) {
                remaining.delete(`${batch.topic}:${batch.partition}`);
                if (remaining.size === 0) finish();
              }
            })
            .catch((error: unknown) => {
              failure ??= error;
              finish();
            });
          // The next fetch (and decoding) goes on while this batch merges, up to a bounded backlog. Heartbeats go on
          // while waiting for it: under load a wait outlasted the session (30 s), the group dropped this member and
          // the rejoined consumer fetched every partition again from its committed offset.
          if (queued > MAX_QUEUED_MESSAGES) {
            let drained = false;
            const drain = merging.then(() => {
              drained = true;
            });
            while (!drained) {
              await Promise.race([drain, new Promise((resolve) => setTimeout(resolve, 1000))]);
              await heartbeat();
            }
          }
          resolveOffset(last);
          // The group is this replay's own: committing what was queued only spares a member that rejoins after a
          // rebalance fetching it all again (what is queued twice is skipped anyway). Not awaited: informative only.
          void consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(BigInt(last) + 1n) }]).catch(() => undefined);
          await heartbeat();
        },
      });
      await finished;
      await merging;
    } finally {
      await consumer.disconnect();
    }
    // Rethrows what a batch handler caught (an Error from kafkajs, pg or our own code).
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (failure) throw failure;
    await load.finish(aliases, await targetPictures.allSimilar(dataSource));
    progress?.update(done, true);
    const seconds = (Date.now() - started) / 1000;

    const replayDigest = (await new RegistryQueries(dataSource, target).digest()).digest;
    const liveDigest =
      options.expectedDigest ??
      (options.until ? await digestFromEventStore(dataSource, live, options.until) : (await new RegistryQueries(dataSource, live).digest()).digest);
    const match = replayDigest === liveDigest;
    return {
      events: done,
      seconds,
      eventsPerSecond: Math.round(done / Math.max(seconds, 0.001)),
      replayDigest,
      liveDigest,
      match,
      differences: options.expectedDigest !== undefined || (match && !options.until) ? [] : await firstDifferences(dataSource, live, target, 5),
    };
  } finally {
    await pool.close();
    await client.end();
    await dataSource.destroy();
  }
}

async function endOffsets(kafka: Kafka, topics: string[]): Promise<{ topic: string; partition: number; low: bigint; high: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: { topic: string; partition: number; low: bigint; high: bigint }[] = [];
    for (const topic of topics) {
      for (const offsets of await admin.fetchTopicOffsets(topic))
        out.push({ topic, partition: offsets.partition, low: BigInt(offsets.low), high: BigInt(offsets.high) });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

type Row = { authority: string; recordation_number: string; version: number; status: string; data: unknown; provenance: unknown; mark_id: string };

function comparable(row: Row): string {
  const provenance = Object.fromEntries(Object.entries(unpackProvenance(row.provenance)).map(([field, { receivedAt: _r, ...ref }]) => [field, ref]));
  return canonicalJson({ version: row.version, status: row.status, data: row.data, provenance, markId: row.mark_id });
}

/** The first recordations that differ between two registries (missing on either side counts). */
export async function firstDifferences(dataSource: DataSource, live: RegistryTables, replay: RegistryTables, limit: number) {
  const rows: (Row & { side: 'live' | 'replay' })[] = await dataSource.query(
    `SELECT 'live' AS side, authority, recordation_number, version, status, data, provenance, mark_id FROM ${live.recordations}
     UNION ALL SELECT 'replay', authority, recordation_number, version, status, data, provenance, mark_id FROM ${replay.recordations}
     ORDER BY authority, recordation_number`,
  );
  const byId = new Map<string, { live?: Row; replay?: Row }>();
  for (const row of rows) {
    const id = `${row.authority}:${row.recordation_number}`;
    byId.set(id, { ...byId.get(id), [row.side]: row });
  }
  const differences: { recordation: string; live: unknown; replay: unknown }[] = [];
  for (const [id, pair] of byId) {
    if (pair.live && pair.replay && comparable(pair.live) === comparable(pair.replay)) continue;
    differences.push({
      recordation: id,
      live: pair.live ? JSON.parse(comparable(pair.live)) : null,
      replay: pair.replay ? JSON.parse(comparable(pair.replay)) : null,
    });
    if (differences.length >= limit) break;
  }
  return differences;
}

/**
 * The digest the registry would have had with only the events whose time (or, `by: 'received'`, whose receipt) is
 * at or before `until`, computed from the stored applied events alone with the pure merge and grouping rules.
 */
export async function digestFromEventStore(
  dataSource: DataSource,
  tables: RegistryTables,
  until: Date,
  by: 'event-time' | 'received' = 'event-time',
): Promise<string> {
  const column = by === 'received' ? 'received_at' : "(payload->>'time')::timestamptz";
  const events: { payload: RecordationEvent; topic: string; partition: number; offset: string; received_at: Date; key_id: string; verified: boolean }[] =
    await dataSource.query(
      `SELECT payload, topic, partition, "offset", received_at, key_id, verified FROM ${tables.events}
     WHERE disposition = 'applied' AND ${column} <= $1 ORDER BY authority, recordation_number, sequence`,
      [until],
    );
  const aliases = new Map<string, string>(
    (await dataSource.query<{ from_key: string; to_key: string }[]>(`SELECT from_key, to_key FROM ${tables.aliases}`)).map((row) => [row.from_key, row.to_key]),
  );
  const recordations = new Map<string, RegistryRecordation>();
  for (const row of events) {
    const id = recordationId(row.payload.source, row.payload.subject);
    const ref = eventRefOf(row.payload, row.topic, row.partition, row.offset, row.received_at.toISOString(), row.key_id, row.verified);
    const outcome = mergeEvent(recordations.get(id), row.payload, ref, false);
    if (outcome.disposition === 'applied') recordations.set(id, outcome.next);
  }
  // Pictures received by then (a later one was in no recordation's keys then).
  const pictures = new PictureStore(tables);
  const known: { sha256: string }[] = await dataSource.query(`SELECT sha256 FROM ${tables.pictures} WHERE received_at <= $1 AND phash IS NOT NULL`, [until]);
  const similar = await pictures.similarOf(
    dataSource,
    known.map((row) => row.sha256),
  );
  const then = new Set(known.map((row) => row.sha256));
  return digestOfRegistry(recordations, aliases, (sha256) => (similar.get(sha256) ?? []).filter((other) => then.has(other)));
}
