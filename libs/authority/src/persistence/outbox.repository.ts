import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuthorityTables } from './tables.js';

export interface PendingEvent {
  position: string;
  eventId: string;
  recordationNumber: string;
  sequence: number;
  type: string;
  message: Buffer;
}

export interface PublishedMark {
  position: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface EventPublishState {
  eventId: string;
  type: string;
  sequence: number;
  createdAt: Date;
  publishState: 'pending' | 'published';
  topic?: string;
  partition?: number;
  offset?: string;
  publishedAt?: Date;
}

/** The transactional outbox: events written with the change that caused them, published later by the relay. */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: AuthorityTables,
  ) {}

  async append(manager: EntityManager, event: { eventId: string; recordationNumber: string; sequence: number; type: string; message: Buffer }): Promise<void> {
    await manager.query(`INSERT INTO ${this.tables.outbox} (event_id, recordation_number, sequence, type, message) VALUES ($1, $2, $3, $4, $5)`, [
      event.eventId,
      event.recordationNumber,
      event.sequence,
      event.type,
      event.message,
    ]);
  }

  /** The oldest unpublished events, in the order they were written (so per recordation in sequence order). */
  async pending(limit: number): Promise<PendingEvent[]> {
    const rows: { position: string; event_id: string; recordation_number: string; sequence: number; type: string; message: Buffer }[] =
      await this.dataSource.query(
        `SELECT position, event_id, recordation_number, sequence, type, message FROM ${this.tables.outbox}
         WHERE published_at IS NULL ORDER BY position LIMIT $1`,
        [limit],
      );
    return rows.map((row) => ({
      position: row.position,
      eventId: row.event_id,
      recordationNumber: row.recordation_number,
      sequence: row.sequence,
      type: row.type,
      message: row.message,
    }));
  }

  async markPublished(marks: PublishedMark[]): Promise<void> {
    if (!marks.length) return;
    await this.dataSource.query(
      `UPDATE ${this.tables.outbox} AS o SET published_at = now(), topic = m.topic, partition = m.partition, "offset" = m.offset, last_error = NULL
       FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[]) AS m(position, topic, partition, "offset")
       WHERE o.position = m.position`,
      [marks.map((m) => m.position), marks.map((m) => m.topic), marks.map((m) => m.partition), marks.map((m) => m.offset)],
    );
  }

  async recordFailure(positions: string[], error: string): Promise<void> {
    if (!positions.length) return;
    await this.dataSource.query(`UPDATE ${this.tables.outbox} SET attempts = attempts + 1, last_error = $2 WHERE position = ANY($1::bigint[])`, [
      positions,
      error.slice(0, 1000),
    ]);
  }

  async forRecordation(recordationNumber: string): Promise<EventPublishState[]> {
    const rows: {
      event_id: string;
      type: string;
      sequence: number;
      created_at: Date;
      published_at: Date | null;
      topic: string | null;
      partition: number | null;
      offset: string | null;
    }[] = await this.dataSource.query(
      `SELECT event_id, type, sequence, created_at, published_at, topic, partition, "offset" FROM ${this.tables.outbox}
         WHERE recordation_number = $1 ORDER BY sequence`,
      [recordationNumber],
    );
    return rows.map((row) => ({
      eventId: row.event_id,
      type: row.type,
      sequence: row.sequence,
      createdAt: row.created_at,
      publishState: row.published_at ? 'published' : 'pending',
      ...(row.published_at ? { topic: row.topic!, partition: row.partition!, offset: row.offset!, publishedAt: row.published_at } : {}),
    }));
  }

  /** Unsent events and the age of the oldest (0 when none): the outbox metrics, read at each scrape. */
  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const rows: { count: string; age: number | null }[] = await this.dataSource.query(
      `SELECT count(*) AS count, extract(epoch FROM now() - min(created_at))::float8 AS age FROM ${this.tables.outbox} WHERE published_at IS NULL`,
    );
    return { count: Number(rows[0].count), oldestAgeSeconds: Math.max(0, rows[0].age ?? 0) };
  }

  async countPending(): Promise<number> {
    const rows: { count: string }[] = await this.dataSource.query(`SELECT count(*) FROM ${this.tables.outbox} WHERE published_at IS NULL`);
    return Number(rows[0].count);
  }
}
