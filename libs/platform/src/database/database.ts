import pg from 'pg';
import { DataSource, type DataSourceOptions, type MigrationInterface, type QueryRunner } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { DatabaseConfig } from '../config/base-config.js';
import { loadConfig } from '../config/load-config.js';

type MigrationClass = new () => MigrationInterface;
type EntityTarget = NonNullable<DataSourceOptions['entities']> extends readonly (infer E)[] | Record<string, infer E> ? E : never;

export interface DatabaseOptions {
  url: string;
  schema: string;
  migrations: MigrationClass[];
  entities?: EntityTarget[];
  poolSize?: number;
  applicationName?: string;
}

/** The TypeORM options every app uses: its own schema, explicit migrations, never synchronize. */
export function dataSourceOptions(options: DatabaseOptions): PostgresConnectionOptions {
  return {
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    applicationName: options.applicationName,
    // JIT compiles a statement the planner costs high: a lookup whose trigram operand is a parameter is costed so
    // (it spent 24 ms compiling a 2 ms statement). These services run short statements; none gains from JIT.
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5000, options: '-c jit=off' },
  };
}

/** The schema a migration runs in, so one migration can build the same tables in any schema (replay targets). */
export function schemaOf(queryRunner: QueryRunner): string {
  return (queryRunner.connection.options as PostgresConnectionOptions).schema ?? 'public';
}

/** Quotes an identifier for SQL text (schema and table names cannot be bound as parameters). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const DATABASE_CREATED_MEANWHILE = new Set(['42P04', '23505']);

/** Creates the database named in the URL when it does not exist (connecting through the `postgres` database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      } catch (error) {
        // Another process created it between our check and our create: duplicate_database, or, when both creates ran
        // at once, a unique violation on the catalog (npm start's four apps on a fresh machine).
        if (!DATABASE_CREATED_MEANWHILE.has((error as { code?: string }).code ?? '')) throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/** Creates the app's schema if needed and applies pending migrations; returns the names applied. */
export async function runMigrations(options: DatabaseOptions): Promise<string[]> {
  await ensureDatabase(options.url);
  const dataSource = new DataSource(dataSourceOptions({ ...options, poolSize: 2 }));
  await dataSource.initialize();
  try {
    // The set-up creates an app's schema owned by the app's role, which may not create schemas (CREATE SCHEMA IF NOT
    // EXISTS checks that privilege before it looks): create it only when it is missing (a superuser, or the registry
    // making a replay target).
    const existing = await dataSource.query<unknown[]>('SELECT 1 FROM pg_namespace WHERE nspname = $1', [options.schema]);
    if (existing.length === 0) await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
    // One migrator at a time per schema: several instances may start together.
    return await dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrations:${options.schema}`]);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * The data source an app's `data-source.ts` exports for TypeORM's CLI (`typeorm migration:run|revert -d
 * dist/apps/<app>/src/data-source.js`, which `npm run migrate` and `npm run migrate:revert` run): DATABASE_URL and
 * DATABASE_SCHEMA (default: the app's own schema) checked as the app checks them, and the database and schema
 * created first when missing, as the app does at start-up.
 */
export async function migrationDataSource(options: { defaultSchema: string; migrations: MigrationClass[]; env?: NodeJS.ProcessEnv }): Promise<DataSource> {
  const env = options.env ?? process.env;
  // An empty variable counts as unset (loadConfig's rule), so it must not hide the app's own schema.
  const config = loadConfig(DatabaseConfig, { ...env, DATABASE_SCHEMA: env.DATABASE_SCHEMA || options.defaultSchema });
  await ensureDatabase(config.DATABASE_URL);
  const client = new pg.Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(config.DATABASE_SCHEMA)}`);
  } finally {
    await client.end();
  }
  return new DataSource(
    dataSourceOptions({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations: options.migrations, poolSize: 2, applicationName: 'migrate' }),
  );
}
