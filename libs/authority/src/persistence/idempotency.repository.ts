import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuthorityTables } from './tables.js';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export type Reservation = { reserved: true } | { reserved: false; fingerprint: string; response?: StoredResponse };

/** Idempotency keys and the first response given for each, kept in the same transaction as the write. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly tables: AuthorityTables) {}

  /**
   * Claims a key inside the caller's transaction. A concurrent claim of the same key waits until the first
   * transaction ends, then sees its stored response (or claims the key if the first rolled back).
   */
  async reserve(manager: EntityManager, key: string, fingerprint: string): Promise<Reservation> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO ${this.tables.idempotencyKeys} (key, fingerprint) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING 1`,
      [key, fingerprint],
    );
    if (inserted.length) return { reserved: true };
    const rows: { fingerprint: string; status_code: number | null; response: unknown }[] = await manager.query(
      `SELECT fingerprint, status_code, response FROM ${this.tables.idempotencyKeys} WHERE key = $1`,
      [key],
    );
    const row = rows[0];
    return {
      reserved: false,
      fingerprint: row.fingerprint,
      response: row.status_code === null ? undefined : { statusCode: row.status_code, body: row.response },
    };
  }

  async complete(manager: EntityManager, key: string, response: StoredResponse): Promise<void> {
    await manager.query(`UPDATE ${this.tables.idempotencyKeys} SET status_code = $2, response = $3 WHERE key = $1`, [
      key,
      response.statusCode,
      JSON.stringify(response.body),
    ]);
  }
}
