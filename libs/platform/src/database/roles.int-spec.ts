import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, TEST_POSTGRES_URL, TEST_ROLE_PASSWORDS, type TestDatabase } from '#testing';
import { AUTHORITY_MIGRATIONS } from '../../../authority/src/migrations/index.js';
import { REGISTRY_MIGRATIONS } from '../../../../apps/registry/src/migrations/index.js';
import { runMigrations } from './database.js';
import { APP_ROLES, provisionDatabaseRoles, type AppName } from './roles.js';

const APPS = Object.keys(APP_ROLES) as AppName[];
const AUTHORITIES: AppName[] = ['mainland', 'hong_kong', 'macao'];

/** The SQLSTATE a statement fails with as `client`'s role, or 'ok'. */
async function outcome(client: pg.Client, sql: string): Promise<string> {
  await client.query('BEGIN');
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.query('ROLLBACK');
  }
}

/**
 * Least privilege (issue 22, item 2): each app's role owns its schema and nothing else. The migrations run as the
 * owning role, exactly as the apps run them at start-up; then every role tries to read and write every other
 * schema, to run a program on the server, and to grow its privileges.
 */
describe('per-app PostgreSQL roles', () => {
  let database: TestDatabase;
  const as = {} as Record<AppName, pg.Client>;

  beforeAll(async () => {
    database = await createTestDatabase('rx_roles');
    for (const app of AUTHORITIES) await runMigrations({ url: database.urlFor(app), schema: app, migrations: AUTHORITY_MIGRATIONS });
    await runMigrations({ url: database.urlFor('registry'), schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    for (const app of APPS) {
      as[app] = new pg.Client({ connectionString: database.urlFor(app) });
      await as[app].connect();
    }
  });
  afterAll(async () => {
    for (const client of Object.values(as)) await client.end().catch(() => undefined);
    await database?.drop();
  });

  it('connects each app as its own role, not a superuser, owning every object of its schema', async () => {
    for (const app of APPS) {
      const { rows } = await as[app].query(`SELECT current_user AS role, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user`);
      expect(rows[0]).toEqual({ role: app, rolsuper: false, rolcreaterole: false, rolcreatedb: false });
      const owners = await as[app].query(
        `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
        [app],
      );
      expect(owners.rows.map((row) => row.owner)).toEqual([app]);
    }
  });

  it('limits every authority statement to 60 s (the registry limits its lookups per request)', async () => {
    for (const app of AUTHORITIES) expect((await as[app].query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('1min');
  });

  it('lets each role read and write its own schema', async () => {
    expect(await outcome(as.hong_kong, `INSERT INTO hong_kong.number_sequences SELECT * FROM hong_kong.number_sequences`)).toBe('ok');
    expect(
      await outcome(
        as.registry,
        `INSERT INTO registry.aliases (from_key, to_key, from_text, to_text) SELECT from_key, to_key, from_text, to_text FROM registry.aliases`,
      ),
    ).toBe('ok');
    expect(await outcome(as.registry, `SELECT count(*) FROM registry.recordations`)).toBe('ok');
  });

  it("refuses an authority's role every other schema: no read, no write", async () => {
    for (const app of AUTHORITIES) {
      for (const other of [...AUTHORITIES.filter((a) => a !== app), 'registry']) {
        expect([app, other, await outcome(as[app], `SELECT * FROM ${other}.recordations LIMIT 1`)]).toEqual([app, other, '42501']);
        expect([app, other, await outcome(as[app], `UPDATE ${other}.recordations SET version = version + 1`)]).toEqual([app, other, '42501']);
        expect([app, other, await outcome(as[app], `DELETE FROM ${other}.recordations`)]).toEqual([app, other, '42501']);
        expect([app, other, await outcome(as[app], `CREATE TABLE ${other}.planted (x int)`)]).toEqual([app, other, '42501']);
      }
      // A compromised Hong Kong service cannot queue a forged Mainland event for the Mainland service to publish.
      expect(
        await outcome(
          as[app],
          `INSERT INTO mainland.outbox (event_id, recordation_number, sequence, type, message) VALUES (gen_random_uuid(), 'x', 1, 't', '')`,
        ),
      ).toBe(app === 'mainland' ? '23503' : '42501');
    }
  });

  it("refuses the registry's role every authority's schema", async () => {
    for (const authority of AUTHORITIES) {
      expect(await outcome(as.registry, `SELECT * FROM ${authority}.recordations LIMIT 1`)).toBe('42501');
      expect(await outcome(as.registry, `UPDATE ${authority}.recordations SET version = version + 1`)).toBe('42501');
      expect(await outcome(as.registry, `ALTER SCHEMA ${authority} RENAME TO stolen`)).toBe('42501');
    }
  });

  it('refuses every role programs and files on the server, new roles and the public schema', async () => {
    for (const app of APPS) {
      expect([app, await outcome(as[app], `COPY (SELECT 1) TO PROGRAM 'id'`)]).toEqual([app, '42501']);
      expect([app, await outcome(as[app], `COPY ${app === 'registry' ? 'registry.aliases' : `${app}.recordations`} FROM '/etc/passwd'`)]).toEqual([
        app,
        '42501',
      ]);
      expect([app, await outcome(as[app], `SELECT pg_read_file('/etc/passwd')`)]).toEqual([app, '42501']);
      expect([app, await outcome(as[app], `CREATE ROLE intruder SUPERUSER`)]).toEqual([app, '42501']);
      expect([app, await outcome(as[app], `ALTER ROLE ${app} SUPERUSER`)]).toEqual([app, '42501']);
      expect([app, await outcome(as[app], `CREATE TABLE public.planted (x int)`)]).toEqual([app, '42501']);
    }
  });

  it('lets only the registry create schemas of its own (replay targets), which the authorities cannot enter', async () => {
    for (const app of AUTHORITIES) expect(await outcome(as[app], 'CREATE SCHEMA planted')).toBe('42501');
    await runMigrations({ url: database.urlFor('registry'), schema: 'registry_replay', migrations: REGISTRY_MIGRATIONS });
    expect(await outcome(as.hong_kong, 'SELECT * FROM registry_replay.recordations')).toBe('42501');
  });

  it('hands a schema migrated before the roles existed to its role, and is idempotent when run at once', async () => {
    const legacy = await createTestDatabase('rx_roles_legacy');
    try {
      // A database from before the roles: the superuser migrated and owns everything.
      await runMigrations({ url: legacy.url, schema: 'macao_old', migrations: AUTHORITY_MIGRATIONS });
      const admin = new pg.Client({ connectionString: legacy.url });
      await admin.connect();
      try {
        await admin.query('ALTER SCHEMA macao RENAME TO macao_unused');
        await admin.query('ALTER SCHEMA macao_old RENAME TO macao');
        await Promise.all([1, 2, 3].map(() => provisionDatabaseRoles({ adminUrl: TEST_POSTGRES_URL, database: legacy.name, passwords: TEST_ROLE_PASSWORDS })));
        const owners = await admin.query(
          `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'macao'`,
        );
        expect(owners.rows.map((row) => row.owner)).toEqual(['macao']);
      } finally {
        await admin.end();
      }
      // The Macao service starts on it as its role: nothing left to migrate, and its tables are its own.
      expect(await runMigrations({ url: legacy.urlFor('macao'), schema: 'macao', migrations: AUTHORITY_MIGRATIONS })).toEqual([]);
    } finally {
      await legacy.drop();
    }
  });
});

/**
 * `npm run start:cluster` (issue 22): the role set-up gives the three sites' registry schemas to the registry's role
 * (`roles.cli.js --registry-schemas`), which the site registries then migrate and use as that role, not as the
 * superuser; no authority role may touch them.
 */
describe('roles.cli --registry-schemas (the cross-border sites)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('rx_roles_cli');
  });
  afterAll(() => database?.drop());

  it("creates registry_cn, _hk, _mo owned by the registry role; prints each app's URL as its role", async () => {
    const cli = fileURLToPath(new URL('../../../../dist/libs/platform/src/database/roles.cli.js', import.meta.url));
    const { stdout } = await promisify(execFile)('node', [cli, '--print-urls', '--registry-schemas', 'registry_cn,registry_hk,registry_mo'], {
      env: { ...process.env, DATABASE_URL: database.url, DATABASE_ADMIN_URL: TEST_POSTGRES_URL, ...passwordEnv() },
      timeout: 60_000,
    });
    const urls = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(urls).sort()).toEqual(['DATABASE_URL_HONG_KONG', 'DATABASE_URL_MACAO', 'DATABASE_URL_MAINLAND', 'DATABASE_URL_REGISTRY']);
    expect(new URL(urls.DATABASE_URL_REGISTRY).username).toBe('registry');

    const registry = new pg.Client({ connectionString: urls.DATABASE_URL_REGISTRY });
    const mainland = new pg.Client({ connectionString: urls.DATABASE_URL_MAINLAND });
    await registry.connect();
    await mainland.connect();
    try {
      for (const schema of ['registry_cn', 'registry_hk', 'registry_mo']) {
        expect([schema, await outcome(registry, `CREATE TABLE ${schema}.t (x int)`)]).toEqual([schema, 'ok']);
        expect([schema, await outcome(mainland, `CREATE TABLE ${schema}.t (x int)`)]).toEqual([schema, '42501']);
      }
    } finally {
      await registry.end();
      await mainland.end();
    }
  });
});

/** The roles' passwords as the set-up reads them (the test run's: the development defaults). */
function passwordEnv(): Record<string, string> {
  return Object.fromEntries(APPS.map((app) => [APP_ROLES[app].passwordVariable, TEST_ROLE_PASSWORDS[app]]));
}
