import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TEST_POSTGRES_URL, createTestDatabase, type TestDatabase } from '#testing';
import pg from 'pg';
import { dataSourceOptions, ensureDatabase } from './database.js';

describe('dataSourceOptions', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('rx_datasource');
    dataSource = await new DataSource(dataSourceOptions({ url: database.url, schema: 'public', migrations: [], applicationName: 'rx-test' })).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('opens every pooled connection with JIT off and the application name set', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 3 }, () =>
        dataSource.query(`SELECT current_setting('jit') AS jit, current_setting('application_name') AS name, pg_backend_pid() AS pid, pg_sleep(0.05)`),
      ),
    );
    expect(new Set(sessions.map(([session]) => session.pid)).size).toBe(3);
    for (const [session] of sessions) expect(session).toMatchObject({ jit: 'off', name: 'rx-test' });
  });
});

function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('ensureDatabase', () => {
  const name = `rx_ensure_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  it('creates a missing database once when several processes ask at the same moment (npm start on a fresh machine)', async () => {
    // Rounds of simultaneous callers, each on a fresh name: the race between the existence check and CREATE DATABASE.
    for (let round = 0; round < 5; round++) {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => ensureDatabase(databaseUrl(name))));
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount).toBe(1);
    }
  });
});
