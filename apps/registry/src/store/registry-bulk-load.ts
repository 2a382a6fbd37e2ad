import type pg from 'pg';
import { copyRows, quoteIdent, type CopyValue } from '#platform';
import {
  EventMerger,
  eventRefOf,
  groupRegistry,
  packProvenance,
  storableText,
  storedMarkKeys,
  type AliasMap,
  type Disposition,
  type HeldEvent,
  type MergeState,
  type MergedEvent,
  type RegistryRecordation,
} from '#domain';
import { quarantineRow, screenMessage, type BatchInput } from './registry-store.js';
import type { RegistryTables } from './registry-tables.js';

interface PendingEvent {
  entry: MergedEvent;
  signed: Buffer;
}

/** The registry's tables that a bulk load fills, whose secondary indexes it builds once at the end. */
const LOADED_TABLES = ['events', 'recordations', 'mark_keys', 'marks', 'quarantine'] as const;

const EVENT_COLUMNS = [
  'topic',
  'partition',
  'offset',
  'event_id',
  'authority',
  'recordation_number',
  'sequence',
  'type',
  'event_time',
  'received_at',
  'disposition',
  'key_id',
  'verified',
  'changes',
  'payload',
  'signed',
] as const;

/**
 * Builds a registry in EMPTY tables from the whole log, as a replay does: every partition's messages in log order
 * through the same EventMerger the live store uses, with the whole registry held in memory (about 2.5 KB per
 * recordation), then written with COPY — events as they come, recordations, mark keys and marks once at the end,
 * grouped from scratch by the same domain code — and the secondary indexes built once, after the rows.
 * The result is the registry `RegistryStore.applyBatch` would have built from the same batches (the replay
 * integration test compares every table); it is not for a registry that already holds rows.
 */
export class RegistryBulkLoad {
  private readonly state: MergeState = { recordations: new Map<string, RegistryRecordation>(), held: new Map<string, HeldEvent[]>(), seen: new Set<string>() };
  /** Merged events not written yet; a held one stays here until it is applied, found stale or the load ends. */
  private pending: PendingEvent[] = [];
  private readonly heldPending = new Map<string, PendingEvent>();
  /** Held events among the pending rows (merged since the last flush), by position. */
  private readonly unflushedHeld = new Map<string, PendingEvent>();
  private quarantine: CopyValue[][] = [];
  private readonly nextOffsets = new Map<string, { topic: string; partition: number; next: bigint }>();
  private readonly dropped: { table: string; name: string; definition: string }[] = [];
  readonly counts: Record<Disposition | 'quarantined', number> = { applied: 0, stale: 0, duplicate: 0, held: 0, quarantined: 0 };

  /**
   * @param indexConnection a second connection to the same database (closed by the load when done): with it, the
   *   events' indexes are built on it while this connection groups and writes the recordations (two cores busy
   *   instead of one waiting on the other); without it, every index is built after the rows, on `client`.
   */
  constructor(
    private readonly client: pg.ClientBase,
    private readonly tables: RegistryTables,
    private readonly flushEvery = 10_000,
    private readonly indexConnection?: () => Promise<pg.ClientBase & { end(): Promise<void> }>,
  ) {}

  /** Checks the tables are empty and drops their secondary indexes (rebuilt by `finish`, as the migrations define them). */
  async begin(): Promise<void> {
    const { rows } = await this.client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM ${this.tables.events}) + (SELECT count(*) FROM ${this.tables.recordations}) AS n`,
    );
    if (Number(rows[0].n) > 0) throw new Error(`a bulk load needs empty tables; ${this.tables.schema} holds rows`);
    const indexes = await this.client.query<{ tablename: string; indexname: string; indexdef: string }>(
      `SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
       WHERE i.schemaname = $1 AND i.tablename = ANY($2::text[])
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
      [this.tables.schema, [...LOADED_TABLES]],
    );
    for (const index of indexes.rows) {
      await this.client.query(`DROP INDEX ${quoteIdent(this.tables.schema)}.${quoteIdent(index.indexname)}`);
      this.dropped.push({ table: index.tablename, name: index.indexname, definition: index.indexdef });
    }
  }

  /**
   * One batch of one partition, in log order, messages already decoded (a partition's batches in order too).
   * Messages below the partition's next offset were added already and are skipped, as the live store skips what
   * is below its stored offset: a consumer that commits no offsets (the replay) gets a partition again from its
   * start after a rebalance or a restart of the fetch, and adding those messages again would write their log
   * positions twice (the `events_pkey` violation a replay under load hit).
   */
  async add(batch: BatchInput): Promise<void> {
    const added = this.nextOffsets.get(`${batch.topic}:${batch.partition}`)?.next;
    const messages = added === undefined ? batch.messages : batch.messages.filter((message) => BigInt(message.offset) >= added);
    if (!messages.length) return;
    const merger = new EventMerger(this.state);
    for (const message of messages.map(screenMessage)) {
      if (!message.decoded.ok) {
        const { raw, detail } = quarantineRow(message.value, message.decoded.detail);
        this.quarantine.push([
          batch.topic,
          batch.partition,
          message.offset,
          message.decoded.reason,
          storableText(detail),
          message.decoded.keyId ? storableText(message.decoded.keyId) : null,
          message.key,
          raw,
          message.receivedAt,
        ]);
        this.counts.quarantined++;
        continue;
      }
      const { event, keyId, verified } = message.decoded;
      const entry = merger.merge(event, eventRefOf(event, batch.topic, batch.partition, message.offset, message.receivedAt, keyId, verified));
      const row = { entry, signed: message.value };
      this.pending.push(row);
      if (entry.disposition === 'held') this.unflushedHeld.set(positionOf(entry), row);
    }
    merger.finish();
    // A held event of an earlier batch is still in memory (held ones are written last): it takes its new disposition.
    // Or it was merged by an earlier batch since the last flush, and is still among the pending rows: updated in place.
    for (const resolved of merger.resolvedEarlier) {
      const key = positionOf(resolved);
      const flushed = this.heldPending.get(key);
      const waiting = flushed ?? this.unflushedHeld.get(key)!;
      waiting.entry.disposition = resolved.disposition;
      waiting.entry.changes = resolved.changes;
      if (flushed) {
        this.heldPending.delete(key);
        this.pending.push(flushed);
      }
    }
    const last = messages[messages.length - 1];
    this.nextOffsets.set(`${batch.topic}:${batch.partition}`, { topic: batch.topic, partition: batch.partition, next: BigInt(last.offset) + 1n });
    if (this.pending.length >= this.flushEvery) await this.flush();
  }

  /** Writes the events merged so far, except the held ones (their disposition may still change). */
  private async flush(): Promise<void> {
    const ready = this.pending.filter((row) => {
      if (row.entry.disposition !== 'held') return true;
      this.heldPending.set(positionOf(row.entry), row);
      return false;
    });
    this.pending = [];
    this.unflushedHeld.clear();
    await this.writeEvents(ready);
    if (this.quarantine.length) {
      await copyRows(
        this.client,
        this.tables.quarantine,
        ['topic', 'partition', 'offset', 'reason', 'detail', 'key_id', 'message_key', 'raw', 'received_at'],
        this.quarantine,
      );
      this.quarantine = [];
    }
  }

  private async writeEvents(rows: PendingEvent[]): Promise<void> {
    for (const { entry } of rows) this.counts[entry.disposition]++;
    await copyRows(
      this.client,
      this.tables.events,
      EVENT_COLUMNS,
      rows.map(({ entry: { ref, event, disposition, changes }, signed }) => [
        ref.topic,
        ref.partition,
        ref.offset,
        event.id,
        event.source,
        event.subject,
        event.sequence,
        event.type,
        event.time,
        ref.receivedAt,
        disposition,
        ref.keyId,
        ref.verified,
        changes,
        event,
        signed,
      ]),
    );
  }

  /**
   * Writes what is left (held events that never found their predecessor stay `held`), then the recordations, their
   * keys and their marks, and the partitions' next offsets; rebuilds the indexes and analyses the tables.
   */
  async finish(
    aliases: AliasMap,
    similarPictures: ReadonlyMap<string, readonly string[]> = new Map(),
  ): Promise<{ recordations: number; marks: number; markKeys: number }> {
    await this.flush();
    await this.writeEvents([...this.heldPending.values()]);
    this.heldPending.clear();
    // The events and the quarantine are complete: their indexes can be built beside the rest of the work.
    const complete = new Set(['events', 'quarantine']);
    const beside = this.indexConnection ? this.dropped.filter((index) => complete.has(index.table)) : [];
    const building = beside.length ? rebuildIndexesOn(this.indexConnection!, beside) : Promise.resolve();
    let written: Awaited<ReturnType<typeof writeRegistryState>>;
    try {
      written = await writeRegistryState(this.client, this.tables, this.state.recordations, aliases, similarPictures);
      await copyRows(
        this.client,
        this.tables.consumerOffsets,
        ['topic', 'partition', 'next_offset'],
        [...this.nextOffsets.values()].map((o) => [o.topic, o.partition, o.next.toString()]),
      );
    } finally {
      // Never left running (or failing unobserved) when the writes above fail.
      await building.catch(() => undefined);
    }
    await building;
    const rest = this.dropped.filter((index) => !beside.includes(index));
    // Then the mark keys' indexes (the trigram GIN builds longest) there too, the others here, side by side.
    const keys = this.indexConnection ? rest.filter((index) => index.table === 'mark_keys') : [];
    const builds = await Promise.allSettled([
      keys.length ? rebuildIndexesOn(this.indexConnection!, keys) : Promise.resolve(),
      rebuildIndexes(
        this.client,
        rest.filter((index) => !keys.includes(index)),
      ),
    ]);
    for (const build of builds) if (build.status === 'rejected') throw build.reason;
    await this.client.query(`ANALYZE ${LOADED_TABLES.map((table) => `${quoteIdent(this.tables.schema)}.${table}`).join(', ')}`);
    return written;
  }
}

function positionOf(entry: MergedEvent): string {
  return `${entry.ref.topic}:${entry.ref.partition}:${entry.ref.offset}`;
}

/**
 * COPYs recordations (provenance packed), their stored keys (grouping keys and pinyin readings, as MarkGrouping
 * keeps them) and their marks (grouped from scratch) into empty tables. Also the bench's way to load a registry.
 */
export async function writeRegistryState(
  client: pg.ClientBase,
  tables: RegistryTables,
  recordations: ReadonlyMap<string, RegistryRecordation>,
  aliases: AliasMap,
  similarPictures: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<{ recordations: number; marks: number; markKeys: number }> {
  const grouped = groupRegistry(recordations, aliases, (sha256) => similarPictures.get(sha256) ?? []);
  const now = new Date().toISOString();
  await copyRows(
    client,
    tables.recordations,
    ['authority', 'recordation_number', 'version', 'status', 'data', 'provenance', 'mark_id', 'valid_until', 'updated_at'],
    (function* () {
      for (const [id, r] of recordations)
        yield [r.authority, r.recordationNumber, r.version, r.status, r.data, packProvenance(r.provenance), grouped.markOf.get(id)!, r.data.validUntil, now];
    })(),
  );
  const markKeys = await copyRows(
    client,
    tables.markKeys,
    ['key', 'authority', 'recordation_number', 'kind', 'literal'],
    (function* () {
      for (const [id, r] of recordations)
        for (const k of storedMarkKeys(grouped.keysOf.get(id)!)) yield [k.key, r.authority, r.recordationNumber, k.kind, k.literal];
    })(),
  );
  await copyRows(
    client,
    tables.marks,
    ['mark_id', 'display_text', 'display_source', 'recorded', 'conflict', 'conflicts', 'recordation_count'],
    grouped.marks.map(({ markId, members, summary }) => [
      markId,
      summary.displayText,
      summary.displaySource,
      summary.recorded,
      summary.conflict,
      summary.conflicts,
      members.length,
    ]),
  );
  return { recordations: recordations.size, marks: grouped.marks.length, markKeys };
}

async function rebuildIndexesOn(connect: () => Promise<pg.ClientBase & { end(): Promise<void> }>, indexes: readonly { definition: string }[]): Promise<void> {
  const connection = await connect();
  try {
    await rebuildIndexes(connection, indexes);
  } finally {
    await connection.end();
  }
}

/** Re-creates dropped indexes as defined; with room to sort (a GIN trigram index builds several times faster). */
export async function rebuildIndexes(client: pg.ClientBase, indexes: readonly { definition: string }[]): Promise<void> {
  await client.query(`SET maintenance_work_mem = '512MB'`);
  for (const index of indexes) await client.query(index.definition);
  await client.query('RESET maintenance_work_mem');
}
