import pg from 'pg';
import { ensureDatabase, quoteIdent } from './database.js';

/**
 * Least privilege in PostgreSQL: every app connects as a role of its own that owns its schema and nothing else.
 * An authority's role cannot read or write another authority's schema or the registry's; the registry's role cannot
 * touch an authority's schema. None is a superuser (no `COPY … PROGRAM`, no reading server files), none may create
 * roles or databases. The roles are created by the set-up (scripts/start.sh, the tests' createTestDatabase, the
 * fault suite's private cluster) with the superuser URL `DATABASE_ADMIN_URL`; the apps then connect with
 * `DATABASE_URL` naming their role, and run their migrations as that role.
 */
export type AppName = 'mainland' | 'hong_kong' | 'macao' | 'registry';

export interface AppRole {
  /** The role's name; also the name of the schema it owns. */
  role: AppName;
  /** The schema the role owns (its name by default; a cross-border site's registry uses registry_cn …). */
  schemas: string[];
  /** The registry may create schemas of its own in its database: replay targets (`npm run replay -- --target`). */
  mayCreateSchemas: boolean;
  /** The variable the set-up reads the role's password from, and its development default. */
  passwordVariable: string;
  developmentPassword: string;
  /** The role's statement_timeout (ALTER ROLE … SET), if any. */
  statementTimeout?: string;
}

export const APP_ROLES: Record<AppName, AppRole> = {
  mainland: {
    role: 'mainland',
    schemas: ['mainland'],
    mayCreateSchemas: false,
    passwordVariable: 'DATABASE_PASSWORD_MAINLAND',
    developmentPassword: 'mainland-dev-secret',
    statementTimeout: '60s',
  },
  hong_kong: {
    role: 'hong_kong',
    schemas: ['hong_kong'],
    mayCreateSchemas: false,
    passwordVariable: 'DATABASE_PASSWORD_HONG_KONG',
    developmentPassword: 'hong-kong-dev-secret',
    statementTimeout: '60s',
  },
  macao: {
    role: 'macao',
    schemas: ['macao'],
    mayCreateSchemas: false,
    passwordVariable: 'DATABASE_PASSWORD_MACAO',
    developmentPassword: 'macao-dev-secret',
    statementTimeout: '60s',
  },
  registry: {
    role: 'registry',
    schemas: ['registry'],
    mayCreateSchemas: true,
    passwordVariable: 'DATABASE_PASSWORD_REGISTRY',
    developmentPassword: 'registry-dev-secret',
  },
};

/** The role of each authority's service. */
export const AUTHORITY_DATABASE_ROLE = { CN: 'mainland', HK: 'hong_kong', MO: 'macao' } as const satisfies Record<string, AppName>;

/** The password of a role from the environment, or its development default. */
export function rolePassword(app: AppName, env: NodeJS.ProcessEnv = process.env): string {
  const role = APP_ROLES[app];
  return env[role.passwordVariable] || role.developmentPassword;
}

/** `url` (any user, the database and host wanted) with the role's user name and password. */
export function roleUrl(url: string, app: AppName, password: string): string {
  const target = new URL(url);
  target.username = encodeURIComponent(APP_ROLES[app].role);
  target.password = encodeURIComponent(password);
  return target.toString();
}

export interface ProvisionRolesOptions {
  /** A superuser connection (any database of the cluster). */
  adminUrl: string;
  /** The database the apps use (created when missing). */
  database: string;
  /** Each role's password. */
  passwords: Record<AppName, string>;
  /** Extra schemas per role (e.g. a site's registry schema `registry_cn`). */
  extraSchemas?: Partial<Record<AppName, string[]>>;
}

const ALREADY_EXISTS = new Set(['42710', '23505']);

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/**
 * Creates (or updates) the four roles and their schemas in `database`, idempotent and safe to run from several
 * processes at once (roles are cluster-wide: concurrent test runs share them). Objects a schema already holds that
 * another role owns (a database migrated before the roles existed) are handed to the schema's role.
 */
export async function provisionDatabaseRoles(options: ProvisionRolesOptions): Promise<void> {
  await ensureDatabase(databaseUrl(options.adminUrl, options.database));
  const cluster = new pg.Client({ connectionString: options.adminUrl });
  await cluster.connect();
  try {
    await cluster.query('BEGIN');
    // Role rows are shared by the whole cluster; two ALTER ROLE at once fail with "tuple concurrently updated".
    await cluster.query(`SELECT pg_advisory_xact_lock(hashtext('recordation-exchange:roles'))`);
    for (const app of Object.values(APP_ROLES)) {
      const exists = await cluster.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [app.role]);
      if (exists.rowCount === 0) {
        try {
          await cluster.query('SAVEPOINT create_role');
          await cluster.query(`CREATE ROLE ${quoteIdent(app.role)} LOGIN`);
        } catch (error) {
          if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) throw error;
          await cluster.query('ROLLBACK TO SAVEPOINT create_role');
        }
      }
      const password = options.passwords[app.role];
      await cluster.query(
        `ALTER ROLE ${quoteIdent(app.role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${literal(password)}`,
      );
      // No statement of an authority's service (short writes, the relay's pages) may hold a connection for long; the
      // registry limits its lookups per request kind instead (its merges and replays run long by design).
      if (app.statementTimeout) await cluster.query(`ALTER ROLE ${quoteIdent(app.role)} SET statement_timeout = ${literal(app.statementTimeout)}`);
    }
    await cluster.query('COMMIT');
  } catch (error) {
    await cluster.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await cluster.end();
  }

  const db = new pg.Client({ connectionString: databaseUrl(options.adminUrl, options.database) });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('recordation-exchange:schemas'))`);
    // pg_trgm is a trusted extension, but creating it needs CREATE on the database: the set-up makes it once.
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public');
    // Nobody creates objects in public (PostgreSQL 15's default, made explicit for clusters upgraded from older).
    await db.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    for (const app of Object.values(APP_ROLES)) {
      const role = quoteIdent(app.role);
      await db.query(
        `${app.mayCreateSchemas ? 'GRANT' : 'REVOKE'} CREATE ON DATABASE ${quoteIdent(options.database)} ${app.mayCreateSchemas ? 'TO' : 'FROM'} ${role}`,
      );
      for (const schema of [...app.schemas, ...(options.extraSchemas?.[app.role] ?? [])]) {
        await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)} AUTHORIZATION ${role}`);
        await handOver(db, schema, app.role);
      }
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}

/** Makes `role` the owner of the schema and of every table, sequence, view and function in it. */
async function handOver(db: pg.Client, schema: string, role: string): Promise<void> {
  await db.query(`ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${quoteIdent(role)}`);
  const { rows } = await db.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> $2
        AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
    [schema, role],
  );
  const keyword: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE' };
  for (const { name, kind } of rows) await db.query(`ALTER ${keyword[kind]} ${quoteIdent(schema)}.${quoteIdent(name)} OWNER TO ${quoteIdent(role)}`);
  const functions = await db.query<{ signature: string }>(
    `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2`,
    [schema, role],
  );
  for (const { signature } of functions.rows) await db.query(`ALTER ROUTINE ${signature} OWNER TO ${quoteIdent(role)}`);
}

/** A string literal for the statements that cannot take parameters (ALTER ROLE … PASSWORD). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
