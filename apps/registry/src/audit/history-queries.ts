import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthorityCode, RecordationEvent } from '#contracts';
import { mergeEvent, recordationId, type EventRef, type FieldChange, type RegistryRecordation } from '#domain';
import { RegistryTables } from '../store/registry-tables.js';

export interface HistoryEntry {
  eventId: string;
  type: string;
  sequence: number;
  time: string;
  receivedAt: string;
  topic: string;
  partition: number;
  offset: string;
  disposition: string;
  keyId: string;
  verified: boolean;
  changes: FieldChange[];
}

interface EventRow {
  event_id: string;
  type: string;
  sequence: number;
  event_time: Date;
  received_at: Date;
  topic: string;
  partition: number;
  offset: string;
  disposition: string;
  key_id: string;
  verified: boolean;
  changes: FieldChange[] | null;
  payload: RecordationEvent;
}

/**
 * Auditors' history and point-in-time views, computed from the event store alone: each event carries the full
 * state after it, so a recordation as of T is the applied event of highest sequence received by T, and its
 * provenance is the fold of the applied events up to it.
 */
@Injectable()
export class HistoryQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
  ) {}

  private async events(pairs: { authority: AuthorityCode; recordationNumber: string }[], until?: Date): Promise<EventRow[]> {
    if (!pairs.length) return [];
    const params: unknown[] = [pairs.map((p) => p.authority), pairs.map((p) => p.recordationNumber)];
    let condition = '';
    if (until) {
      params.push(until);
      condition = `AND received_at <= $${params.length}`;
    }
    return this.dataSource.query(
      `SELECT event_id, type, sequence, event_time, received_at, topic, partition, "offset", disposition, key_id, verified, changes, payload
       FROM ${this.tables.events}
       WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[])) ${condition}
       ORDER BY authority, recordation_number, sequence, received_at, topic, partition, "offset"`,
      params,
    );
  }

  /** Every event of one recordation in order, with what each changed (applied ones) and what became of it. */
  async recordationHistory(authority: AuthorityCode, recordationNumber: string): Promise<HistoryEntry[]> {
    return (await this.events([{ authority, recordationNumber }])).map(toEntry);
  }

  /** Every event of every recordation that belongs to the mark now. */
  async markHistory(markId: string): Promise<{ authority: AuthorityCode; recordationNumber: string; events: HistoryEntry[] }[]> {
    const members: { authority: AuthorityCode; recordation_number: string }[] = await this.dataSource.query(
      `SELECT authority, recordation_number FROM ${this.tables.recordations} WHERE mark_id = $1 ORDER BY authority, recordation_number`,
      [markId],
    );
    const rows = await this.events(members.map((m) => ({ authority: m.authority, recordationNumber: m.recordation_number })));
    return members.map((member) => ({
      authority: member.authority,
      recordationNumber: member.recordation_number,
      events: rows.filter((row) => row.payload.source === member.authority && row.payload.subject === member.recordation_number).map(toEntry),
    }));
  }

  /** The recordation as the registry held it at `asOf` (undefined if it had not arrived yet). */
  async recordationAsOf(authority: AuthorityCode, recordationNumber: string, asOf: Date): Promise<RegistryRecordation | undefined> {
    return (await this.recordationsAsOf([{ authority, recordationNumber }], asOf)).get(recordationId(authority, recordationNumber));
  }

  /** Several recordations as of `asOf`, by `AUTHORITY:number` (absent: not arrived yet), in one read of the event store. */
  async recordationsAsOf(pairs: { authority: AuthorityCode; recordationNumber: string }[], asOf: Date): Promise<Map<string, RegistryRecordation>> {
    const states = new Map<string, RegistryRecordation>();
    // Rows come ordered by recordation, then sequence.
    for (const row of await this.events(pairs, asOf)) {
      if (row.disposition !== 'applied') continue;
      const id = recordationId(row.payload.source, row.payload.subject);
      const outcome = mergeEvent(states.get(id), row.payload, refOf(row), false);
      if (outcome.disposition === 'applied') states.set(id, outcome.next);
    }
    return states;
  }

  /**
   * Several recordations' state as of `asOf` (data, status, version; no provenance), reading ONE event payload per
   * recordation: the applied event of highest sequence received by then whose predecessors were all received by then
   * too (an event held for a gap that was filled only later is not the state at `asOf`), chosen in SQL on the keys
   * alone. What the asOf search needs; `recordationsAsOf` folds every event for the provenance of one recordation.
   * `run` executes the statement (the officers' lookups pass theirs, with its statement_timeout).
   */
  async statesAsOf(
    pairs: { authority: AuthorityCode; recordationNumber: string }[],
    asOf: Date,
    run: <T>(sql: string, parameters: unknown[]) => Promise<T> = (sql, parameters) => this.dataSource.query(sql, parameters),
  ): Promise<Map<string, RegistryRecordation>> {
    const states = new Map<string, RegistryRecordation>();
    if (!pairs.length) return states;
    const rows = await run<{ sequence: number; payload: RecordationEvent }[]>(
      `WITH applied AS (
         SELECT authority, recordation_number, sequence, topic, partition, "offset",
                row_number() OVER (PARTITION BY authority, recordation_number ORDER BY sequence) AS n
         FROM ${this.tables.events}
         WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND disposition = 'applied' AND received_at <= $3),
       chosen AS (
         SELECT DISTINCT ON (authority, recordation_number) topic, partition, "offset" FROM applied WHERE n = sequence
         ORDER BY authority, recordation_number, sequence DESC)
       SELECT e.sequence, e.payload FROM ${this.tables.events} e JOIN chosen c USING (topic, partition, "offset")`,
      [pairs.map((p) => p.authority), pairs.map((p) => p.recordationNumber), asOf],
    );
    for (const { sequence, payload } of rows) {
      states.set(recordationId(payload.source, payload.subject), {
        authority: payload.source,
        recordationNumber: payload.subject,
        version: sequence,
        status: payload.data.status,
        data: payload.data,
        provenance: {},
      });
    }
    return states;
  }

  /** Recordations whose mark text or transliterations changed after `asOf` (at most `limit`), with today's mark. */
  async markChangedSince(
    asOf: Date,
    limit: number,
    run: <T>(sql: string, parameters: unknown[]) => Promise<T> = (sql, parameters) => this.dataSource.query(sql, parameters),
  ): Promise<{ authority: AuthorityCode; recordationNumber: string; markId: string }[]> {
    const rows = await run<{ authority: AuthorityCode; recordation_number: string; mark_id: string }[]>(
      `SELECT DISTINCT e.authority, e.recordation_number, r.mark_id FROM ${this.tables.events} e
       JOIN ${this.tables.recordations} r ON r.authority = e.authority AND r.recordation_number = e.recordation_number
       WHERE e.disposition = 'applied' AND e.received_at > $1 AND e.changes @> '[{"field": "mark"}]' LIMIT ${limit}`,
      [asOf],
    );
    return rows.map((row) => ({ authority: row.authority, recordationNumber: row.recordation_number, markId: row.mark_id }));
  }
}

function refOf(row: EventRow): EventRef {
  return {
    eventId: row.event_id,
    authority: row.payload.source,
    type: row.type,
    sequence: row.sequence,
    topic: row.topic,
    partition: row.partition,
    offset: String(row.offset),
    time: row.payload.time,
    receivedAt: row.received_at.toISOString(),
    keyId: row.key_id,
    verified: row.verified,
  };
}

function toEntry(row: EventRow): HistoryEntry {
  return {
    eventId: row.event_id,
    type: row.type,
    sequence: row.sequence,
    time: row.payload.time,
    receivedAt: row.received_at.toISOString(),
    topic: row.topic,
    partition: row.partition,
    offset: String(row.offset),
    disposition: row.disposition,
    keyId: row.key_id,
    verified: row.verified,
    changes: row.changes ?? [],
  };
}
