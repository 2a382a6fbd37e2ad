import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { decodeSignedEvent, parseTrustedKeys, type AuthorityCode } from '#contracts';
import { generateEvents } from '#datagen';
import { dataSourceOptions, runMigrations } from '#platform';
import { createTestDatabase, createTestSigningKeys, signingKeysOf, waitFor, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { RegistryStore, type BatchInput } from './registry-store.js';
import { RegistryTables } from './registry-tables.js';

/**
 * What the merge-lock metrics are told: every statement that takes merge locks, and whether another merge's lock
 * held it up (registry_merge_lock_wait_seconds counts the former, registry_merge_lock_blocked_seconds the latter).
 */
describe('merge-lock waits', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let holder: pg.Client;
  const tables = new RegistryTables('registry');
  const waits: { seconds: number; blocked: boolean }[] = [];
  const store = new RegistryStore(tables, { onLockWait: (seconds, blocked) => waits.push({ seconds, blocked }) });
  const created: { authority: AuthorityCode; value: Buffer }[] = [];
  const trusted = (() => {
    const keys = createTestSigningKeys();
    for (const generated of generateEvents({ seed: 5, events: 40, keys: signingKeysOf(keys) }))
      if (generated.event.type === 'recordation.created') created.push({ authority: generated.authority, value: generated.value });
    return parseTrustedKeys(keys.trustedKeys);
  })();

  function batchOf(index: number): BatchInput {
    const { authority, value } = created[index];
    return {
      topic: `locks.${authority}`,
      // A partition of its own, from its first offset.
      partition: index,
      messages: [{ offset: '0', key: null, value, decoded: decodeSignedEvent(value, trusted, authority), receivedAt: new Date().toISOString() }],
    };
  }

  beforeAll(async () => {
    database = await createTestDatabase('rx_merge_lock_wait');
    await runMigrations({ url: database.url, schema: tables.schema, migrations: REGISTRY_MIGRATIONS });
    dataSource = new DataSource(dataSourceOptions({ url: database.url, schema: tables.schema, migrations: [] }));
    await dataSource.initialize();
    holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
  });

  afterAll(async () => {
    await holder?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('reports a merge that found its locks free as not blocked', async () => {
    waits.length = 0;
    await dataSource.transaction((manager) => store.applyBatch(manager, batchOf(0)));
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((wait) => !wait.blocked)).toBe(true);
  });

  it('reports the wait of a merge held up by another holder of a lock it needs, for as long as it was held', async () => {
    waits.length = 0;
    // Another merge changing aliases holds the alias lock exclusively (every merge that changes keys takes it shared).
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`registry-marks:${tables.schema}`]);
    const merging = dataSource.transaction((manager) => store.applyBatch(manager, batchOf(1)));
    await waitFor(
      async () => (await holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n > 0,
      { timeoutMs: 10_000, description: 'the merge to wait for the alias lock' },
    );
    const heldFrom = performance.now();
    await holder.query('COMMIT');
    const heldFor = (performance.now() - heldFrom) / 1000;
    await merging;
    const blocked = waits.filter((wait) => wait.blocked);
    expect(blocked).toHaveLength(1);
    expect(blocked[0].seconds).toBeGreaterThanOrEqual(heldFor);
    expect(waits.filter((wait) => !wait.blocked).length).toBeGreaterThan(0);
  });
});
