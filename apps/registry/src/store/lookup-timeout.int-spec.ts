import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, isStatementTimeout, runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { RegistryQueries } from './registry-queries.js';
import { RegistryTables } from './registry-tables.js';

/** Issue 22, item 5: a lookup that cannot finish is cancelled by PostgreSQL at its limit, never left hanging. */
describe('lookup statement timeout', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let blocker: pg.Client;
  const closeAfter: RegistryQueries[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('rx_lookup_timeout');
    await runMigrations({ url: database.urlFor('registry'), schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    dataSource = await new DataSource(dataSourceOptions({ url: database.urlFor('registry'), schema: 'registry', migrations: [] })).initialize();
    blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
  });
  afterAll(async () => {
    for (const queries of closeAfter) await queries.close();
    await blocker?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('cancels a lookup stuck behind a lock after LOOKUP_STATEMENT_TIMEOUT_MS, as a statement timeout (503)', async () => {
    const queries = new RegistryQueries(dataSource, new RegistryTables('registry'), 200);
    closeAfter.push(queries);
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE registry.recordations IN ACCESS EXCLUSIVE MODE');
    try {
      const started = performance.now();
      const failure = await queries.recordation('CN', 'T2024-00001').then(
        () => undefined,
        (error: unknown) => error,
      );
      const took = performance.now() - started;
      expect(isStatementTimeout(failure)).toBe(true);
      expect(took).toBeLessThan(10_000);
      // Without a limit it would wait for the lock: the same lookup is still waiting after a second.
      const unlimited = new RegistryQueries(dataSource, new RegistryTables('registry'));
      const outcome = await Promise.race([
        unlimited.recordation('CN', 'T2024-00001').then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('waiting'), 1000)),
      ]);
      expect(outcome).toBe('waiting');
    } finally {
      await blocker.query('ROLLBACK');
    }
  });

  it("cancels the border check's prepared statement too (it runs on the lookups' connections, not the merge's)", async () => {
    const queries = new RegistryQueries(dataSource, new RegistryTables('registry'), 200);
    closeAfter.push(queries);
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE registry.mark_keys IN ACCESS EXCLUSIVE MODE');
    try {
      const failure = await queries.check([{ mark: 'NIKE' }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isStatementTimeout(failure)).toBe(true);
    } finally {
      await blocker.query('ROLLBACK');
    }
    // The lock gone, the same lookups answer on the same connections.
    await expect(queries.check([{ mark: 'NIKE' }])).resolves.toEqual([{ recorded: false, matches: [] }]);
  });

  it('runs a lookup as one statement, not a transaction: the merge pool keeps no limit', async () => {
    const queries = new RegistryQueries(dataSource, new RegistryTables('registry'), 200);
    closeAfter.push(queries);
    await queries.recordation('CN', 'T2024-00001');
    const [lookupSide] = await (queries as unknown as { lookupPool(): pg.Pool })
      .lookupPool()
      .query("SELECT current_setting('statement_timeout') AS limit")
      .then((result) => result.rows as { limit: string }[]);
    expect(lookupSide.limit).toBe('200ms');
    const [mergeSide]: { limit: string }[] = await dataSource.query("SELECT current_setting('statement_timeout') AS limit");
    expect(mergeSide.limit).toBe('0');
  });
});
