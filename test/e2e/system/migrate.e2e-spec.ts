import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { AUTHORITY_MIGRATIONS } from '#authority';
import { runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../../../apps/registry/src/migrations/index.js';

const run = promisify(execFile);

/** The README's commands `npm run migrate` and `npm run migrate:revert` (TypeORM's CLI on each app's data source). */
describe('npm run migrate', () => {
  let database: TestDatabase;
  const npm = (...args: string[]) =>
    run('npm', ['run', '-s', ...args], {
      env: { ...process.env, SKIP_BUILD: '1', DATABASE_URL: database.url, DATABASE_SCHEMA: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
  const applied = async (schema: string): Promise<string[]> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<{ name: string }>(`SELECT name FROM "${schema}".migrations ORDER BY id`)).rows.map((row) => row.name);
    } finally {
      await client.end();
    }
  };
  const names = (migrations: { name: string }[]) => migrations.map((migration) => migration.name);

  beforeAll(async () => {
    database = await createTestDatabase('rx_migrate');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("applies every app's migrations to its own schema on a fresh database", async () => {
    await npm('migrate');
    expect(await applied('registry')).toEqual(names(REGISTRY_MIGRATIONS));
    for (const schema of ['mainland', 'hong_kong', 'macao']) expect(await applied(schema)).toEqual(names(AUTHORITY_MIGRATIONS));
    // What the apps run at start-up agrees: nothing left to apply.
    expect(await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS })).toEqual([]);
  }, 300_000);

  it('reverts the last migration of the app named, and applies it again', async () => {
    await npm('migrate:revert', '--', 'registry');
    expect(await applied('registry')).toEqual(names(REGISTRY_MIGRATIONS).slice(0, -1));
    expect(await applied('mainland')).toEqual(names(AUTHORITY_MIGRATIONS));
    await npm('migrate', '--', 'registry');
    expect(await applied('registry')).toEqual(names(REGISTRY_MIGRATIONS));
  }, 300_000);

  it('refuses an unknown app, naming it', async () => {
    await expect(npm('migrate', '--', 'nowhere')).rejects.toMatchObject({ stderr: expect.stringContaining("unknown app 'nowhere'") });
  }, 60_000);
});
