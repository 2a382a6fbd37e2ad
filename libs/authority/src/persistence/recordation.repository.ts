import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RecordationState, RecordationStatus } from '#contracts';
import { AuthorityTables } from './tables.js';

export interface StoredRecordation {
  state: RecordationState;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecordationPageQuery {
  status?: RecordationStatus;
  updatedSince?: Date;
  after?: { updatedAt: string; recordationNumber: string };
  limit: number;
}

interface RecordationRow {
  data: RecordationState;
  created_at: Date;
  updated_at: Date;
  updated_at_text: string;
}

/** The authority's recordations: its system of record. */
@Injectable()
export class RecordationRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: AuthorityTables,
  ) {}

  async find(recordationNumber: string, manager: EntityManager = this.dataSource.manager): Promise<StoredRecordation | undefined> {
    const rows: RecordationRow[] = await manager.query(`SELECT data, created_at, updated_at FROM ${this.tables.recordations} WHERE recordation_number = $1`, [
      recordationNumber,
    ]);
    return rows[0] && { state: rows[0].data, createdAt: rows[0].created_at, updatedAt: rows[0].updated_at };
  }

  /** Reads and locks the row until the transaction ends, so changes to one recordation are serialised. */
  async findForUpdate(manager: EntityManager, recordationNumber: string): Promise<RecordationState | undefined> {
    const rows: { data: RecordationState }[] = await manager.query(`SELECT data FROM ${this.tables.recordations} WHERE recordation_number = $1 FOR UPDATE`, [
      recordationNumber,
    ]);
    return rows[0]?.data;
  }

  async exists(manager: EntityManager, recordationNumber: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM ${this.tables.recordations} WHERE recordation_number = $1`, [recordationNumber]);
    return rows.length > 0;
  }

  /** Inserts a new recordation; false when the number is taken (nothing written). */
  async insert(manager: EntityManager, state: RecordationState): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO ${this.tables.recordations} (recordation_number, status, version, data, valid_until)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (recordation_number) DO NOTHING RETURNING 1`,
      [state.recordationNumber, state.status, state.version, JSON.stringify(state), state.validUntil],
    );
    return rows.length > 0;
  }

  async update(manager: EntityManager, state: RecordationState): Promise<void> {
    await manager.query(
      `UPDATE ${this.tables.recordations} SET status = $2, version = $3, data = $4, valid_until = $5, updated_at = now()
       WHERE recordation_number = $1 AND version = $3 - 1`,
      [state.recordationNumber, state.status, state.version, JSON.stringify(state), state.validUntil],
    );
  }

  /** The next free number for a year in the authority's format. */
  async nextNumber(manager: EntityManager, year: number, format: (year: number, sequence: number) => string): Promise<string> {
    for (;;) {
      const rows: { last_value: number }[] = await manager.query(
        `INSERT INTO ${this.tables.numberSequences} (year, last_value) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last_value = ${this.tables.numberSequences}.last_value + 1 RETURNING last_value`,
        [year],
      );
      const candidate = format(year, rows[0].last_value);
      // A number the authority assigned itself may already hold this value: skip it.
      if (!(await this.exists(manager, candidate))) return candidate;
    }
  }

  /** Keyset page ordered by (updated_at, recordation_number). */
  async page(query: RecordationPageQuery): Promise<StoredRecordation[] & { lastKey?: { updatedAt: string; recordationNumber: string } }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      params.push(query.status);
      conditions.push(`status = $${params.length}`);
    }
    if (query.updatedSince) {
      params.push(query.updatedSince);
      conditions.push(`updated_at >= $${params.length}`);
    }
    if (query.after) {
      params.push(query.after.updatedAt, query.after.recordationNumber);
      conditions.push(`(updated_at, recordation_number) > ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(query.limit);
    const rows: RecordationRow[] = await this.dataSource.query(
      `SELECT data, created_at, updated_at, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at_text
       FROM ${this.tables.recordations} ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY updated_at, recordation_number LIMIT $${params.length}`,
      params,
    );
    const page = rows.map((row) => ({ state: row.data, createdAt: row.created_at, updatedAt: row.updated_at })) as StoredRecordation[] & {
      lastKey?: { updatedAt: string; recordationNumber: string };
    };
    const last = rows[rows.length - 1];
    if (last) page.lastKey = { updatedAt: last.updated_at_text, recordationNumber: last.data.recordationNumber };
    return page;
  }

  /** Numbers whose term has run out while still active or suspended. */
  async dueForExpiry(today: string, limit: number): Promise<string[]> {
    const rows: { recordation_number: string }[] = await this.dataSource.query(
      `SELECT recordation_number FROM ${this.tables.recordations}
       WHERE status IN ('active', 'suspended') AND valid_until < $1::date ORDER BY valid_until LIMIT $2`,
      [today, limit],
    );
    return rows.map((row) => row.recordation_number);
  }
}
