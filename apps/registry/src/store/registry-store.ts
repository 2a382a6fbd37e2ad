import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { MAX_EVENT_BYTES, canonicalJson, type AuthorityCode, type DecodedEvent, type RecordationEvent, type RecordationState } from '#contracts';
import {
  EventMerger,
  eventRefOf,
  packProvenance,
  recordationId,
  storableText,
  unpackProvenance,
  unstorableText,
  type Disposition,
  type HeldEvent,
  type MergedEvent,
  type RegistryRecordation,
} from '#domain';
import { LockHints, MarkGrouping } from './mark-grouping.js';

export { LockHints, MergeContention } from './mark-grouping.js';
import type { RegistryTables } from './registry-tables.js';

/** One message of a batch, already decoded and verified (outside the transaction). */
export interface IncomingMessage {
  offset: string;
  /** The Kafka message key as sent (bytes: it may hold anything, NUL included). */
  key: Buffer | null;
  value: Buffer;
  decoded: DecodedEvent;
  receivedAt: string;
}

export interface BatchInput {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  /**
   * The offset the Kafka fetch these messages come from started at. When it is at or below the stored offset, an
   * offset missing between the stored one and the first message is a hole in the log (transaction markers,
   * compaction), not a message this database never saw. Without it, a batch must start exactly at the stored offset.
   */
  fetchedFrom?: string;
}

export interface QuarantinedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer;
  reason: string;
  detail: string;
}

export interface BatchResult {
  /** Messages below the stored offset: already applied by an earlier run, skipped. */
  skipped: number;
  dispositions: { authority: AuthorityCode; disposition: Disposition }[];
  quarantined: QuarantinedMessage[];
  nextOffset: string;
  /** Set when the batch was refused because it starts past the stored offset: where to resume. */
  seekTo?: string;
}

/** An event-store row: the merged event and the bytes the authority signed. */
interface EventRow {
  entry: MergedEvent;
  signed: Buffer;
}

type GoodMessage = IncomingMessage & { decoded: Extract<DecodedEvent, { ok: true }> };

/** Decoded events already found storable by screenMessage. */
const screened = new WeakSet<object>();

/**
 * Refuses, before any database work, a verified event that PostgreSQL could not store (a NUL anywhere, a lone
 * surrogate): it is quarantined as a schema violation instead of failing its batch on every retry.
 */
export function screenMessage(message: IncomingMessage): IncomingMessage {
  if (!message.decoded.ok || screened.has(message.decoded)) return message;
  const problem = unstorableText(message.decoded.event);
  if (!problem) {
    // The consumer screens a batch before the transaction and applyBatch screens again (for other callers): the
    // second time, inside the merge lock, is free. A decoded event is never mutated, so it stays storable.
    screened.add(message.decoded);
    return message;
  }
  return { ...message, decoded: { ok: false, reason: 'schema-violation', keyId: message.decoded.keyId, detail: `unstorable text: ${problem}` } };
}

/** work_mem of a merge transaction (SET LOCAL: the pooled connection keeps the server's default afterwards). */
const MERGE_WORK_MEM = '64MB';

/** How much of a message larger than MAX_EVENT_BYTES the quarantine row keeps (its first bytes). */
export const QUARANTINE_RAW_PREFIX_BYTES = 64 * 1024;

/**
 * What the `quarantine` row stores of a refused message. Anything up to MAX_EVENT_BYTES (every message that could
 * have been an event) is kept whole, so an auditor can re-verify it byte for byte. A larger message (`too-large`,
 * up to the topics' 16 MiB limit) keeps only its first QUARANTINE_RAW_PREFIX_BYTES, and the detail says its full
 * size and SHA-256: the complete bytes are in the quarantine topic's copy (Kafka is the place for bulk evidence),
 * while the database row, the audit API that reads it and the pg driver that writes it (a bytea parameter is sent
 * as hex: twice the size, per row of a chunk) stay small whatever an authority writes to its topic.
 */
export function quarantineRow(value: Buffer, detail: string): { raw: Buffer; detail: string } {
  if (value.length <= MAX_EVENT_BYTES) return { raw: value, detail };
  const sha256 = createHash('sha256').update(value).digest('hex');
  return {
    raw: value.subarray(0, QUARANTINE_RAW_PREFIX_BYTES),
    detail: `${detail}; raw keeps the first ${QUARANTINE_RAW_PREFIX_BYTES} of ${value.length} bytes (sha256 ${sha256}); the full message is on the quarantine topic`,
  };
}

/** The same message, to be quarantined with this reason instead of merged (the consumer's last resort). */
export function asQuarantined(message: IncomingMessage, reason: string, detail: string): IncomingMessage {
  const keyId = message.decoded.ok ? message.decoded.keyId : message.decoded.keyId;
  return { ...message, decoded: { ok: false, reason: reason as Extract<DecodedEvent, { ok: false }>['reason'], keyId, detail } };
}

interface StoredRow {
  authority: AuthorityCode;
  recordation_number: string;
  version: number;
  status: RecordationState['status'];
  data: RecordationState;
  /** As stored: packed (see packProvenance), or a plain field map in rows written before packing. */
  provenance: unknown;
  mark_id: string;
}

/**
 * Applies a batch (or one batch of each of several partitions) in the caller's ONE transaction: the event store
 * rows, the merged recordations with provenance, the marks, the quarantine rows and each partition's next offset.
 * Redelivered messages (below the stored offset) are skipped, so a crash at any instant leaves the registry as if
 * each event was applied once.
 */
export class RegistryStore {
  private readonly grouping: MarkGrouping;

  /**
   * `onLockWait`: told how long each statement taking merge locks (alias, key or mark locks) took, in seconds, and
   * whether another merge's lock blocked it.
   */
  constructor(
    private readonly tables: RegistryTables,
    options: { onLockWait?: (seconds: number, blocked: boolean) => void } = {},
  ) {
    this.grouping = new MarkGrouping(tables, options.onLockWait);
  }

  async storedOffsets(manager: EntityManager): Promise<{ topic: string; partition: number; nextOffset: string }[]> {
    const rows: { topic: string; partition: number; next_offset: string }[] = await manager.query(
      `SELECT topic, partition, next_offset FROM ${this.tables.consumerOffsets}`,
    );
    return rows.map((row) => ({ topic: row.topic, partition: row.partition, nextOffset: row.next_offset }));
  }

  async applyBatch(manager: EntityManager, batch: BatchInput, hints?: LockHints): Promise<BatchResult> {
    return (await this.applyBatches(manager, [batch], hints))[0];
  }

  /**
   * Several partitions' batches in the same transaction (the consumer's group commit), one result per batch in the
   * order given: each batch keeps its own offset rules, the merge and the writes happen once for all of them. At most
   * one batch per partition. `hints`: what an earlier attempt of this transaction lost a lock race on (MergeContention).
   */
  async applyBatches(manager: EntityManager, batches: BatchInput[], hints: LockHints = new LockHints()): Promise<BatchResult[]> {
    const partitionKeys = batches.map((batch) => `${batch.topic}:${batch.partition}`);
    if (new Set(partitionKeys).size !== partitionKeys.length) throw new Error('applyBatches takes at most one batch per partition');
    // No global lock: the partitions' offset rows first (in one order: two instances may briefly both hold one
    // partition during a rebalance), then the partition-local work, and last the grouping under the locks of the
    // keys and marks it touches (MarkGrouping names the order).
    // The rows travel as one JSON parameter of several MB that jsonb_to_recordset materialises: with the default
    // 4 MB of work_mem the recordations upsert spilled to temporary files (EXPLAIN, before provenance was packed);
    // the events insert's parameter is still that large.
    await manager.query(`SET LOCAL work_mem = '${MERGE_WORK_MEM}'`);
    const ordered = [...batches].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    const topics = ordered.map((batch) => batch.topic);
    const partitions = ordered.map((batch) => batch.partition);
    await manager.query(
      `INSERT INTO ${this.tables.consumerOffsets} (topic, partition, next_offset) SELECT topic, partition, 0 FROM unnest($1::text[], $2::int[]) AS u(topic, partition) ON CONFLICT DO NOTHING`,
      [topics, partitions],
    );
    const storedRows: { topic: string; partition: number; next_offset: string }[] = await manager.query(
      `SELECT topic, partition, next_offset FROM ${this.tables.consumerOffsets} WHERE (topic, partition) IN (SELECT * FROM unnest($1::text[], $2::int[]))
       ORDER BY topic, partition FOR UPDATE`,
      [topics, partitions],
    );
    const storedOffset = new Map(storedRows.map((row) => [`${row.topic}:${row.partition}`, row.next_offset]));

    const results: BatchResult[] = [];
    const applied: { batch: BatchInput; fresh: IncomingMessage[]; result: BatchResult }[] = [];
    const refused: { quarantined: QuarantinedMessage; message: IncomingMessage }[] = [];
    for (const batch of batches) {
      const stored = storedOffset.get(`${batch.topic}:${batch.partition}`)!;
      const messages = batch.messages.map(screenMessage);
      const fresh = messages.filter((message) => BigInt(message.offset) >= BigInt(stored));
      const result: BatchResult = { skipped: messages.length - fresh.length, dispositions: [], quarantined: [], nextOffset: stored };
      results.push(result);
      if (!fresh.length) continue;
      // A batch that starts past the stored offset (Kafka's committed offset ran ahead of this database, e.g. a fresh
      // or restored database with an old group): apply nothing; the consumer seeks back to the stored offset.
      const fetchedFrom = batch.fetchedFrom === undefined ? undefined : BigInt(batch.fetchedFrom);
      if (BigInt(fresh[0].offset) > BigInt(stored) && (fetchedFrom === undefined || fetchedFrom > BigInt(stored))) {
        result.seekTo = stored;
        continue;
      }
      for (const message of fresh) {
        if (!message.decoded.ok) {
          const quarantined = {
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            reason: message.decoded.reason,
            detail: message.decoded.detail,
          };
          result.quarantined.push(quarantined);
          refused.push({ quarantined, message });
        }
      }
      applied.push({ batch, fresh, result });
    }
    if (!applied.length) return results;

    await this.insertQuarantine(manager, refused);
    const good = applied.flatMap(({ batch, fresh }) =>
      fresh.filter((m): m is GoodMessage => m.decoded.ok).map((message) => ({ topic: batch.topic, partition: batch.partition, message })),
    );
    const merged = await this.merge(manager, good, hints);
    // Each disposition to the batch of its partition (a held event released here is of the same recordation, so of
    // the same partition as the event that released it).
    const resultOf = new Map(applied.map(({ batch, result }) => [`${batch.topic}:${batch.partition}`, result]));
    for (const { authority, disposition, topic, partition } of merged.dispositions)
      (resultOf.get(`${topic}:${partition}`) ?? applied[0].result).dispositions.push({ authority, disposition });

    for (const { fresh, result } of applied) result.nextOffset = (BigInt(fresh[fresh.length - 1].offset) + 1n).toString();
    await manager.query(
      `UPDATE ${this.tables.consumerOffsets} AS o SET next_offset = u.next_offset, updated_at = now()
       FROM unnest($1::text[], $2::int[], $3::bigint[]) AS u(topic, partition, next_offset) WHERE o.topic = u.topic AND o.partition = u.partition`,
      [applied.map(({ batch }) => batch.topic), applied.map(({ batch }) => batch.partition), applied.map(({ result }) => result.nextOffset)],
    );
    // Last, so the key and mark locks are held for the shortest time: the grouping and the recordations' writes.
    await merged.group();
    return results;
  }

  private async merge(
    manager: EntityManager,
    good: { topic: string; partition: number; message: GoodMessage }[],
    hints: LockHints,
  ): Promise<{ rows: EventRow[]; dispositions: EventMerger['dispositions']; group: () => Promise<void> }> {
    if (!good.length) return { rows: [], dispositions: [], group: () => Promise.resolve() };
    const ids = [...new Set(good.map(({ message }) => recordationId(message.decoded.event.source, message.decoded.event.subject)))];
    const authorities = ids.map((id) => id.slice(0, 2));
    const numbers = ids.map((id) => id.slice(3));

    // Without a row lock: only the holder of a partition's offset row changes its recordations' data (a regrouping
    // elsewhere may change their mark id, which is read again under the mark's lock). Locking here, before the key
    // and mark locks, would break their order.
    const stored: StoredRow[] = await manager.query(
      `SELECT authority, recordation_number, version, status, data, provenance, mark_id FROM ${this.tables.recordations}
       WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [authorities, numbers],
    );
    const recordations = new Map<string, RegistryRecordation>();
    for (const row of stored) {
      const id = recordationId(row.authority, row.recordation_number);
      recordations.set(id, {
        authority: row.authority,
        recordationNumber: row.recordation_number,
        version: row.version,
        status: row.status,
        data: row.data,
        provenance: unpackProvenance(row.provenance),
      });
    }
    const seenRows: { event_id: string }[] = await manager.query(`SELECT DISTINCT event_id FROM ${this.tables.events} WHERE event_id = ANY($1::uuid[])`, [
      good.map(({ message }) => message.decoded.event.id),
    ]);
    const heldRows: { topic: string; partition: number; offset: string; payload: RecordationEvent; received_at: Date; key_id: string; verified: boolean }[] =
      await manager.query(
        `SELECT topic, partition, "offset", payload, received_at, key_id, verified FROM ${this.tables.events}
       WHERE disposition = 'held' AND (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY topic, partition, "offset"`,
        [authorities, numbers],
      );
    // Per recordation, in log order: of two held events with one sequence, the first in the log is the one applied.
    const held = new Map<string, HeldEvent[]>();
    for (const row of heldRows) {
      const id = recordationId(row.payload.source, row.payload.subject);
      const ref = eventRefOf(row.payload, row.topic, row.partition, row.offset, row.received_at.toISOString(), row.key_id, row.verified);
      held.set(id, [...(held.get(id) ?? []), { ref, event: row.payload }]);
    }

    const merger = new EventMerger({ recordations, held, seen: new Set(seenRows.map((row) => row.event_id)) });
    const rows: EventRow[] = good.map(({ topic, partition, message }) => {
      const { event, keyId, verified } = message.decoded;
      const entry = merger.merge(event, eventRefOf(event, topic, partition, message.offset, message.receivedAt, keyId, verified));
      return { entry, signed: message.value };
    });
    merger.finish();

    for (const { ref, disposition, changes } of merger.resolvedEarlier) {
      await manager.query(`UPDATE ${this.tables.events} SET disposition = $4, changes = $5 WHERE topic = $1 AND partition = $2 AND "offset" = $3`, [
        ref.topic,
        ref.partition,
        ref.offset,
        disposition,
        changes === null ? null : JSON.stringify(changes),
      ]);
    }
    await this.insertEvents(manager, rows);
    const touched = merger.touched;
    // Keys changed (new recordation, or a new mark text or transliteration) → regroup; otherwise re-summarise.
    const regroup = new Map<string, { authority: AuthorityCode; recordationNumber: string; data: RecordationState }>();
    const storedById = new Map(stored.map((row) => [recordationId(row.authority, row.recordation_number), row]));
    for (const id of touched) {
      const after = recordations.get(id)!;
      const before = storedById.get(id);
      // jsonb hands keys back in its own order: compare canonical forms, not JSON.stringify.
      if (!before || canonicalJson(before.data.mark) !== canonicalJson(after.data.mark)) regroup.set(id, after);
    }
    const group = async () => {
      if (!touched.size) return;
      let aliases: Map<string, string> = new Map();
      if (regroup.size) {
        // Only merges that change keys read the alias table, under its lock (shared: they do not exclude each other).
        await this.grouping.lockShared(manager);
        aliases = await this.grouping.loadAliases(manager);
      }
      // Mark ids first, so each touched recordation is written once, with its mark id (no second row version); a
      // recordation whose keys did not change keeps its current mark id, read under that mark's lock.
      const { markOf, marks } = await this.grouping.assign(manager, regroup, aliases, touched, [...touched], hints);
      await this.upsertRecordations(
        manager,
        [...touched].map((id) => ({ ...recordations.get(id)!, markId: markOf.get(id) ?? '' })),
      );
      await this.grouping.summarise(manager, marks);
    };
    return { rows, dispositions: merger.dispositions, group };
  }

  // Rows travel as ONE JSON parameter expanded by jsonb_to_recordset: node-postgres escapes array parameters
  // element by element in JavaScript, which profiling showed to cost more than the SQL itself.
  private async upsertRecordations(manager: EntityManager, recordations: (RegistryRecordation & { markId: string })[]): Promise<void> {
    if (!recordations.length) return;
    const rows = recordations.map((r) => ({
      a: r.authority,
      n: r.recordationNumber,
      v: r.version,
      s: r.status,
      d: r.data,
      p: packProvenance(r.provenance),
      m: r.markId,
      u: r.data.validUntil,
    }));
    await manager.query(
      `INSERT INTO ${this.tables.recordations} (authority, recordation_number, version, status, data, provenance, mark_id, valid_until, updated_at)
       SELECT a, n, v, s, d, p, m, u, now() FROM jsonb_to_recordset($1::jsonb) AS t(a text, n text, v int, s text, d jsonb, p jsonb, m text, u date)
       ON CONFLICT (authority, recordation_number) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status, data = EXCLUDED.data,
         provenance = EXCLUDED.provenance, mark_id = EXCLUDED.mark_id, valid_until = EXCLUDED.valid_until, updated_at = now()`,
      [JSON.stringify(rows)],
    );
  }

  // The signed bytes do not travel inside the JSON (as hex they were most of its size, parsed by PostgreSQL as jsonb
  // text): they go as ONE bytea parameter, which node-postgres sends in binary, and each row takes its slice.
  private async insertEvents(manager: EntityManager, rows: EventRow[]): Promise<void> {
    if (!rows.length) return;
    let at = 1;
    const records = rows.map(({ entry: { ref, event, disposition, changes }, signed }) => {
      const record = {
        topic: ref.topic,
        partition: ref.partition,
        offset: ref.offset,
        event_id: event.id,
        authority: event.source,
        recordation_number: event.subject,
        sequence: event.sequence,
        type: event.type,
        event_time: event.time,
        received_at: ref.receivedAt,
        disposition,
        key_id: ref.keyId,
        verified: ref.verified,
        changes,
        payload: event,
        signed_at: at,
        signed_length: signed.length,
      };
      at += signed.length;
      return record;
    });
    await manager.query(
      `INSERT INTO ${this.tables.events} (topic, partition, "offset", event_id, authority, recordation_number, sequence, type, event_time, received_at, disposition, key_id, verified, changes, payload, signed)
       SELECT topic, partition, "offset", event_id, authority, recordation_number, sequence, type, event_time, received_at, disposition, key_id, verified, changes, payload, substring($2::bytea FROM signed_at FOR signed_length)
       FROM jsonb_to_recordset($1::jsonb) AS t(topic text, partition int, "offset" bigint, event_id uuid, authority text, recordation_number text, sequence int, type text,
         event_time timestamptz, received_at timestamptz, disposition text, key_id text, verified boolean, changes jsonb, payload jsonb, signed_at int, signed_length int)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(records), Buffer.concat(rows.map((r) => r.signed))],
    );
  }

  /** `refused`: each quarantined message with the message it was refused as (its receipt time and key id). */
  private async insertQuarantine(manager: EntityManager, refused: { quarantined: QuarantinedMessage; message: IncomingMessage }[]): Promise<void> {
    if (!refused.length) return;
    const quarantined = refused.map((r) => r.quarantined);
    const keyIds = refused.map(({ message: m }) => (m.decoded.ok ? m.decoded.keyId : (m.decoded.keyId ?? null)));
    const rows = quarantined.map((q) => quarantineRow(q.value, q.detail));
    await manager.query(
      `INSERT INTO ${this.tables.quarantine} (topic, partition, "offset", reason, detail, key_id, message_key, raw, received_at)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[], $9::timestamptz[])
       ON CONFLICT DO NOTHING`,
      [
        quarantined.map((q) => q.topic),
        quarantined.map((q) => q.partition),
        quarantined.map((q) => q.offset),
        quarantined.map((q) => q.reason),
        rows.map((row) => storableText(row.detail)),
        keyIds.map((keyId) => (keyId ? storableText(keyId) : null)),
        quarantined.map((q) => q.key),
        rows.map((row) => row.raw),
        refused.map((r) => r.message.receivedAt),
      ],
    );
  }
}
