import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '#testing';
import { dataSourceOptions } from './database.js';

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
      Array.from({ length: 3 }, () => dataSource.query(`SELECT current_setting('jit') AS jit, current_setting('application_name') AS name, pg_backend_pid() AS pid, pg_sleep(0.05)`)),
    );
    expect(new Set(sessions.map(([session]) => session.pid)).size).toBe(3);
    for (const [session] of sessions) expect(session).toMatchObject({ jit: 'off', name: 'rx-test' });
  });
});
