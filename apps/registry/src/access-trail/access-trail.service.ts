import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RegistryMetrics } from '../metrics/registry-metrics.js';
import { RegistryConfig } from '../registry.config.js';
import { RegistryTables } from '../store/registry-tables.js';
import type { AccessEntry } from './access-entry.js';
import { BoundedBatchQueue, type Reservation } from './access-trail-queue.js';

/** Retention deletes run this often, and this many rows per statement (short transactions, no long lock). */
const RETENTION_EVERY_MS = 60 * 60 * 1000;
const RETENTION_CHUNK = 10_000;
/** The longest a shutdown waits for requests in progress and the last writes. */
const CLOSE_TIMEOUT_MS = 10_000;

/** The entries of one batch as one multi-row INSERT: a JSON array expanded by jsonb_to_recordset (one parameter). */
export function insertSql(table: string): string {
  return `INSERT INTO ${table} (at, subject, authority, role, method, route, path, query, body, status, shown, shown_count, duration_ms)
    SELECT at, subject, authority, role, method, route, path, query, body, status, shown, shown_count, duration_ms
    FROM jsonb_to_recordset($1::jsonb) AS x(at timestamptz, subject text, authority text, role text, method text, route text, path text,
      query jsonb, body jsonb, status int, shown text[], shown_count int, duration_ms int)`;
}

/**
 * The access trail (issue 21, item 4): every officer lookup and auditor read, recorded asynchronously through a
 * bounded queue written in batches; a request that finds the queue full is refused (503), never left unrecorded.
 */
@Injectable()
export class AccessTrail implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccessTrail.name);
  private readonly queue: BoundedBatchQueue<AccessEntry>;
  private retentionTimer: NodeJS.Timeout | undefined;
  readonly enabled: boolean;
  readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    tables: RegistryTables,
    private readonly config: RegistryConfig,
    metrics: RegistryMetrics,
  ) {
    this.enabled = config.ACCESS_TRAIL_ENABLED;
    this.table = tables.accessTrail;
    const sql = insertSql(this.table);
    this.queue = new BoundedBatchQueue<AccessEntry>({
      capacity: config.ACCESS_TRAIL_QUEUE_SIZE,
      batchSize: config.ACCESS_TRAIL_FLUSH_BATCH,
      flushIntervalMs: config.ACCESS_TRAIL_FLUSH_INTERVAL_MS,
      write: async (batch) => {
        await this.dataSource.query(sql, [JSON.stringify(batch.map(row))]);
      },
      events: {
        written: (n) => metrics.accessTrailWritten.inc(n),
        refused: () => metrics.accessTrailRefused.inc(),
        writeFailed: (error, n) => this.logger.error({ err: error, entries: n }, 'access trail: a batch could not be written; it stays queued'),
      },
    });
    metrics.accessTrailDepth = () => this.queue.depth;
  }

  /** Seconds a refused client should wait: about one flush. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.config.ACCESS_TRAIL_FLUSH_INTERVAL_MS / 1000));
  }

  reserve(): Reservation<AccessEntry> | undefined {
    return this.queue.reserve();
  }

  get depth(): number {
    return this.queue.depth;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.queue.start();
    const prune = () =>
      void this.deleteExpired().catch((error: unknown) => this.logger.error({ err: error }, 'access trail: the retention delete failed; tried again later'));
    prune();
    this.retentionTimer = setInterval(prune, RETENTION_EVERY_MS);
    this.retentionTimer.unref();
  }

  /** Deletes entries older than ACCESS_TRAIL_RETENTION_DAYS, a chunk per statement; resolves to the rows deleted. */
  async deleteExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const [, count] = await this.dataSource.query<[unknown, number]>(
        `DELETE FROM ${this.table} WHERE id IN (SELECT id FROM ${this.table} WHERE at < now() - make_interval(days => $1) ORDER BY at LIMIT ${RETENTION_CHUNK})`,
        [this.config.ACCESS_TRAIL_RETENTION_DAYS],
      );
      total += count;
      if (count < RETENTION_CHUNK) break;
    }
    if (total) this.logger.log({ deleted: total, retentionDays: this.config.ACCESS_TRAIL_RETENTION_DAYS }, 'access trail: expired entries deleted');
    return total;
  }

  /** Writes every entry queued before the database closes (the HTTP server is closed by now: no new request). */
  async onApplicationShutdown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    const left = await this.queue.close(CLOSE_TIMEOUT_MS);
    if (left) this.logger.error({ entries: left }, 'access trail: entries could not be written before shutdown');
  }
}

function row(entry: AccessEntry): Record<string, unknown> {
  return {
    at: entry.at.toISOString(),
    subject: entry.subject,
    authority: entry.authority,
    role: entry.role,
    method: entry.method,
    route: entry.route,
    path: entry.path,
    query: entry.query,
    body: entry.body,
    status: entry.status,
    shown: entry.shown,
    shown_count: entry.shownCount,
    duration_ms: entry.durationMs,
  };
}
