import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { RecordationEvent } from '#contracts';
import { EventMerger, digestOfRegistryDetailed, eventRefOf, pictureOf, type DigestEntry, type MergeState } from '#domain';
import { PictureStore } from '../store/picture-store.js';
import { RegistryTables } from '../store/registry-tables.js';

/**
 * Log positions: topic → partition → next offset (every message below it is covered). The same log feeds every
 * site's registry, so two registries folded to the same positions must give the same digest.
 */
export type LogPositions = Record<string, Record<string, string>>;

/** The positions a registry has applied: its stored next offset per partition (the database says, not Kafka). */
export async function storedPositions(manager: EntityManager | DataSource, tables: RegistryTables, topics: readonly string[]): Promise<LogPositions> {
  const rows: { topic: string; partition: number; next_offset: string }[] = await manager.query(
    `SELECT topic, partition, next_offset FROM ${tables.consumerOffsets} WHERE topic = ANY($1) ORDER BY topic, partition`,
    [topics],
  );
  const positions: LogPositions = Object.fromEntries(topics.map((topic) => [topic, {}]));
  for (const row of rows) positions[row.topic][String(row.partition)] = String(row.next_offset);
  return positions;
}

/** Partitions where `stored` is still below `wanted` (a partition missing from `stored` is at 0). */
export function positionsBehind(stored: LogPositions, wanted: LogPositions): { topic: string; partition: string; stored: string; wanted: string }[] {
  const behind: { topic: string; partition: string; stored: string; wanted: string }[] = [];
  for (const [topic, partitions] of Object.entries(wanted)) {
    for (const [partition, offset] of Object.entries(partitions)) {
      const at = stored[topic]?.[partition] ?? '0';
      if (BigInt(at) < BigInt(offset)) behind.push({ topic, partition, stored: at, wanted: offset });
    }
  }
  return behind;
}

/** Per partition the lowest of several sites' positions (a partition one site lacks counts as 0 there). */
export function commonPositions(all: readonly LogPositions[]): LogPositions {
  const out: LogPositions = {};
  const topics = new Set(all.flatMap((p) => Object.keys(p)));
  for (const topic of [...topics].sort()) {
    const partitions = new Set(all.flatMap((p) => Object.keys(p[topic] ?? {})));
    out[topic] = {};
    for (const partition of [...partitions].sort((a, b) => Number(a) - Number(b))) {
      out[topic][partition] = all
        .map((p) => BigInt(p[topic]?.[partition] ?? '0'))
        .reduce((a, b) => (b < a ? b : a))
        .toString();
    }
  }
  return out;
}

/** Per partition the highest of several sites' positions. */
export function latestPositions(all: readonly LogPositions[]): LogPositions {
  const out: LogPositions = {};
  for (const positions of all) {
    for (const [topic, partitions] of Object.entries(positions)) {
      out[topic] ??= {};
      for (const [partition, offset] of Object.entries(partitions)) {
        if (BigInt(offset) > BigInt(out[topic][partition] ?? '0')) out[topic][partition] = offset;
      }
    }
  }
  return out;
}

/**
 * Parses `positions` as given by an auditor (JSON `{topic: {partition: nextOffset}}`, offsets as strings or
 * integers); returns a reason when it is not that, or names a topic the registry does not read.
 */
export function parsePositions(value: unknown, topics: readonly string[]): { positions: LogPositions } | { reason: string } {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { reason: 'must be JSON: {"topic": {"partition": nextOffset}}' };
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { reason: 'must be an object {"topic": {"partition": nextOffset}}' };
  const positions: LogPositions = {};
  for (const [topic, partitions] of Object.entries(parsed as Record<string, unknown>)) {
    if (!topics.includes(topic)) return { reason: `names topic "${topic.slice(0, 100)}", which this registry does not read (${topics.join(', ')})` };
    if (partitions === null || typeof partitions !== 'object' || Array.isArray(partitions)) return { reason: `${topic} must map partitions to next offsets` };
    positions[topic] = {};
    for (const [partition, offset] of Object.entries(partitions as Record<string, unknown>)) {
      if (!/^\d{1,4}$/.test(partition)) return { reason: `${topic}: "${partition.slice(0, 20)}" is not a partition number` };
      const text = typeof offset === 'number' && Number.isSafeInteger(offset) ? String(offset) : offset;
      if (typeof text !== 'string' || !/^\d{1,19}$/.test(text)) return { reason: `${topic}/${partition}: the next offset must be a non-negative integer` };
      positions[topic][String(Number(partition))] = String(BigInt(text));
    }
  }
  return { positions };
}

export interface DigestAtPositions {
  digest: string;
  recordations: number;
  marks: number;
  /** Events stored below the positions (every disposition). */
  events: number;
}

/**
 * The registry as of log positions, from the event store alone: every stored event below the positions folded
 * in log order per partition with the live merge rules (EventMerger: held, stale, duplicate), then grouped into
 * marks with the site's alias table. Partitions not named contribute nothing. Deterministic: any registry that
 * has applied the same log to those positions gives the same digest (receivedAt is not part of it).
 */
export async function digestAtPositions(
  dataSource: DataSource,
  tables: RegistryTables,
  positions: LogPositions,
  entries?: DigestEntry[],
): Promise<DigestAtPositions> {
  const state: MergeState = { recordations: new Map(), held: new Map(), seen: new Set() };
  const merger = new EventMerger(state);
  let events = 0;
  const PAGE = 5000;
  for (const topic of Object.keys(positions).sort()) {
    for (const partition of Object.keys(positions[topic]).sort((a, b) => Number(a) - Number(b))) {
      const until = positions[topic][partition];
      let after = '-1';
      for (;;) {
        const rows: { payload: RecordationEvent; offset: string; received_at: Date; key_id: string; verified: boolean }[] = await dataSource.query(
          `SELECT payload, "offset", received_at, key_id, verified FROM ${tables.events}
           WHERE topic = $1 AND partition = $2 AND "offset" > $3 AND "offset" < $4 ORDER BY "offset" LIMIT ${PAGE}`,
          [topic, Number(partition), after, until],
        );
        for (const row of rows) {
          merger.merge(
            row.payload,
            eventRefOf(row.payload, topic, Number(partition), String(row.offset), row.received_at.toISOString(), row.key_id, row.verified),
          );
        }
        events += rows.length;
        if (rows.length < PAGE) break;
        after = String(rows[rows.length - 1].offset);
      }
    }
  }
  merger.finish();
  const aliases = new Map<string, string>(
    (await dataSource.query<{ from_key: string; to_key: string }[]>(`SELECT from_key, to_key FROM ${tables.aliases}`)).map((row) => [row.from_key, row.to_key]),
  );
  // Pictures group as live: each recordation's picture with the stored pictures it matches (among those named here).
  const named = new Set([...state.recordations.values()].map((r) => pictureOf(r.data)).filter((sha256): sha256 is string => !!sha256));
  const similar = await new PictureStore(tables).similarOf(dataSource, [...named]);
  const similarPictures = (sha256: string) => (similar.get(sha256) ?? []).filter((other) => named.has(other));
  return { ...digestOfRegistryDetailed(state.recordations, aliases, entries, similarPictures), events };
}
