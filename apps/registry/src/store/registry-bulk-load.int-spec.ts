import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { decodeSignedEvent, parseTrustedKeys, topicNames, type AuthorityCode } from '#contracts';
import { generateEvents } from '#datagen';
import { dataSourceOptions, runMigrations } from '#platform';
import { createTestDatabase, createTestSigningKeys, signingKeysOf, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { RegistryBulkLoad } from './registry-bulk-load.js';
import { RegistryStore, type BatchInput, type BatchResult } from './registry-store.js';
import { RegistryTables } from './registry-tables.js';

/** Every column a registry stores, except the moments of writing (updated_at). */
const TABLES: Record<string, string> = {
  events: `SELECT topic, partition, "offset", event_id, authority, recordation_number, sequence, type, event_time, received_at, disposition, key_id, verified, changes, payload, md5(signed) AS signed FROM %s.events ORDER BY 1, 2, 3`,
  recordations: `SELECT authority, recordation_number, version, status, data, provenance, mark_id, valid_until FROM %s.recordations ORDER BY 1, 2`,
  mark_keys: `SELECT key, authority, recordation_number, kind, literal FROM %s.mark_keys ORDER BY 1, 2, 3`,
  marks: `SELECT mark_id, display_text, display_source, recorded, conflict, conflicts, recordation_count FROM %s.marks ORDER BY 1`,
  quarantine: `SELECT topic, partition, "offset", reason, detail, key_id, message_key, raw, received_at FROM %s.quarantine ORDER BY 1, 2, 3`,
  consumer_offsets: `SELECT topic, partition, next_offset FROM %s.consumer_offsets ORDER BY 1, 2`,
};

/** A seeded pseudo-random sequence, so the log and its batches are the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * The replay's bulk load against the live consumer's store, on one log: generated events of the three authorities
 * over several partitions, with what delivery does to a log (events out of order, redeliveries, rivals of a
 * sequence, malformed messages), cut into batches of random sizes. Both must leave every table the same.
 */
describe('RegistryBulkLoad', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let dataSource: DataSource;
  const batches: BatchInput[] = [];
  /** Batches the bulk load is given a second time (redelivered from an earlier offset). */
  const redelivered: BatchInput[] = [];
  const live = new RegistryTables('registry');
  const bulk = new RegistryTables('registry_bulk');
  const grouped = new RegistryTables('registry_grouped');
  /** Per batch, what applyBatch (one transaction each) and applyBatches (several partitions per transaction) said. */
  const outcomes: { single: string[]; grouped: string[] }[] = [];
  const summary = (result: BatchResult) =>
    [
      ...result.dispositions.map((d) => `${d.authority}:${d.disposition}`),
      ...result.quarantined.map((q) => `q:${q.offset}:${q.reason}`),
      `next:${result.nextOffset}`,
    ].sort();

  beforeAll(async () => {
    database = await createTestDatabase('rx_bulk_load');
    for (const schema of [live.schema, bulk.schema, grouped.schema]) await runMigrations({ url: database.url, schema, migrations: REGISTRY_MIGRATIONS });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    for (const schema of [live.schema, bulk.schema, grouped.schema]) {
      await client.query(`INSERT INTO ${schema}.aliases (from_key, to_key, from_text, to_text, created_by) VALUES ('耐吉', '耐克', '耐吉', '耐克', 'test')`);
    }
    dataSource = new DataSource(dataSourceOptions({ url: database.url, schema: live.schema, migrations: [] }));
    await dataSource.initialize();

    const keys = createTestSigningKeys();
    const signers = signingKeysOf(keys);
    const trusted = parseTrustedKeys(keys.trustedKeys);
    const topics = topicNames('bulk.');
    const next = random(7);
    // Per partition (two per authority, by recordation), in log order, with faults.
    const logs = new Map<string, { topic: string; partition: number; authority: AuthorityCode; entries: { subject: string; value: Buffer }[] }>();
    for (const generated of generateEvents({ seed: 11, events: 1500, keys: signers })) {
      const { subject } = generated.event;
      const partition = subject.length % 2;
      const name = `${generated.authority}:${partition}`;
      if (!logs.has(name)) logs.set(name, { topic: topics[generated.authority], partition, authority: generated.authority, entries: [] });
      const log = logs.get(name)!.entries;
      const roll = next();
      const predecessor = log.findLastIndex((entry) => entry.subject === subject);
      // Up to 80 messages ahead of its predecessor (often in an earlier batch): held, then applied.
      if (roll < 0.08 && predecessor >= 0) log.splice(Math.max(0, predecessor - Math.floor(next() * 80)), 0, { subject, value: generated.value });
      else log.push({ subject, value: generated.value });
      if (roll > 0.97) log.push({ subject, value: generated.value }); // redelivered: duplicate
      if (roll > 0.5 && roll < 0.51) log.push({ subject, value: Buffer.from('{"not": "signed"') }); // quarantined
    }
    for (const { topic, partition, authority, entries } of logs.values()) {
      const values = entries.map((entry) => entry.value);
      let offset = 0;
      while (offset < values.length) {
        const size = 1 + Math.floor(next() * 60);
        const slice = values.slice(offset, offset + size);
        batches.push({
          topic,
          partition,
          messages: slice.map((value, index) => ({
            offset: String(offset + index),
            key: Buffer.from(`key-${offset + index}`),
            value,
            decoded: decodeSignedEvent(value, trusted, authority),
            receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, offset + index)).toISOString(),
          })),
        });
        offset += size;
      }
    }
    // Partitions interleaved, each in its own order, as a consumer sees them.
    batches.sort((a, b) => Number(a.messages[0].offset) - Number(b.messages[0].offset) || a.topic.localeCompare(b.topic) || a.partition - b.partition);

    const store = new RegistryStore(live);
    for (const batch of batches) outcomes.push({ single: summary(await dataSource.transaction((manager) => store.applyBatch(manager, batch))), grouped: [] });
    // The consumer's group commit: consecutive batches of up to four different partitions in one transaction.
    const groupedStore = new RegistryStore(grouped);
    for (let start = 0; start < batches.length;) {
      const group: number[] = [];
      const partitions = new Set<string>();
      for (let i = start; i < batches.length && group.length < 4 && !partitions.has(`${batches[i].topic}:${batches[i].partition}`); i++) {
        partitions.add(`${batches[i].topic}:${batches[i].partition}`);
        group.push(i);
      }
      const results = await dataSource.transaction((manager) =>
        groupedStore.applyBatches(
          manager,
          group.map((i) => batches[i]),
        ),
      );
      group.forEach((i, k) => (outcomes[i].grouped = summary(results[k])));
      start += group.length;
    }
    // With a second connection, as the replay runs it: the events' indexes are built there beside the grouping.
    const load = new RegistryBulkLoad(client, bulk, 100, async () => {
      const indexClient = new pg.Client({ connectionString: database.url });
      await indexClient.connect();
      return indexClient;
    });
    await load.begin();
    // What a replay's consumer gets after a rebalance (it commits no offsets): a partition again from an earlier
    // offset. Every fifth batch is added twice, the second time with the rest of its partition's previous batch.
    const previous = new Map<string, BatchInput>();
    batches.forEach((batch, index) => {
      const partition = `${batch.topic}:${batch.partition}`;
      if (index % 5 === 0) redelivered.push({ ...batch, messages: [...(previous.get(partition)?.messages.slice(-3) ?? []), ...batch.messages] });
      previous.set(partition, batch);
    });
    for (const batch of batches) {
      await load.add(batch);
      const again = redelivered.find((r) => r.topic === batch.topic && r.partition === batch.partition && r.messages.at(-1) === batch.messages.at(-1));
      if (again) await load.add(again);
    }
    await load.finish(new Map([['耐吉', '耐克']]));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await client?.end();
    await database?.drop();
  });

  it('covers events held across batches', () => {
    const batchOf = new Map<string, number>();
    batches.forEach((batch, index) => {
      for (const m of batch.messages)
        if (m.decoded.ok)
          batchOf.set(
            `${m.decoded.event.source}:${m.decoded.event.subject}:${m.decoded.event.sequence}`,
            batchOf.get(`${m.decoded.event.source}:${m.decoded.event.subject}:${m.decoded.event.sequence}`) ?? index,
          );
    });
    const heldAcross = batches.flatMap((batch, index) =>
      batch.messages.filter(
        (m) => m.decoded.ok && (batchOf.get(`${m.decoded.event.source}:${m.decoded.event.subject}:${m.decoded.event.sequence - 1}`) ?? -1) > index,
      ),
    );
    expect(heldAcross.length).toBeGreaterThan(3);
  });

  it('covers every disposition and a quarantine', async () => {
    const { rows } = await client.query(`SELECT disposition, count(*)::int AS n FROM registry.events GROUP BY 1`);
    const counts = Object.fromEntries(rows.map((row) => [row.disposition, row.n]));
    expect(counts.applied).toBeGreaterThan(1000);
    expect(counts.duplicate).toBeGreaterThan(10);
    const quarantined = await client.query(`SELECT count(*)::int AS n FROM registry.quarantine`);
    expect(quarantined.rows[0].n).toBeGreaterThan(3);
    // Some events were applied after waiting for their predecessor (in another batch, for some).
    const released = await client.query(`SELECT count(*)::int AS n FROM registry.events e WHERE disposition = 'applied' AND EXISTS (
      SELECT 1 FROM registry.events p WHERE p.authority = e.authority AND p.recordation_number = e.recordation_number AND p.sequence = e.sequence - 1 AND p."offset" > e."offset" AND p.partition = e.partition AND p.topic = e.topic)`);
    expect(released.rows[0].n).toBeGreaterThan(5);
  });

  const rowsOf = async (schema: string, table: string) =>
    // Rows as PostgreSQL prints them: a readable difference, and quick to compare.
    (await client.query(`SELECT t::text AS row FROM (${TABLES[table].replace('%s', schema)}) t`)).rows.map((r) => r.row as string);

  it.each(Object.keys(TABLES))('leaves %s as the live store does', async (table) => {
    const [expected, actual] = await Promise.all([rowsOf(live.schema, table), rowsOf(bulk.schema, table)]);
    expect(actual.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it.each(Object.keys(TABLES))('leaves %s the same when several partitions share a transaction (applyBatches)', async (table) => {
    const [expected, actual] = await Promise.all([rowsOf(live.schema, table), rowsOf(grouped.schema, table)]);
    expect(actual).toEqual(expected);
  });

  it('reports each batch of a shared transaction what it reports alone', () => {
    expect(outcomes.filter((o) => o.single.some((d) => d.endsWith(':held'))).length).toBeGreaterThan(0);
    expect(outcomes.map((o) => o.grouped)).toEqual(outcomes.map((o) => o.single));
  });

  it('builds the indexes the migrations define', async () => {
    const indexes = await client.query(
      `SELECT schemaname, indexname, replace(indexdef, schemaname || '.', '') AS definition FROM pg_indexes WHERE schemaname = ANY($1::text[]) ORDER BY indexname`,
      [[live.schema, bulk.schema]],
    );
    const of = (schema: string) => indexes.rows.filter((row) => row.schemaname === schema).map((row) => row.definition);
    expect(of(bulk.schema)).toEqual(of(live.schema));
    expect(of(bulk.schema).length).toBeGreaterThan(8);
  });

  it('was given redeliveries that overlap batches already added', () => {
    expect(redelivered.length).toBeGreaterThan(5);
    expect(redelivered.filter((batch) => batches.every((b) => b.messages[0] !== batch.messages[0])).length).toBeGreaterThan(3);
  });

  it('refuses to load into tables that hold rows', async () => {
    await expect(new RegistryBulkLoad(client, live).begin()).rejects.toThrow(/empty tables/);
  });
});
