import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { APP_ROLES, provisionDatabaseRoles, rolePassword, roleUrl, type AppName } from '#platform';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  /** The superuser's URL: for set-up and checks made behind the apps' backs. */
  url: string;
  /** The URL an app uses: its own role (owning only its schema), as in a deployment. */
  urlFor(app: AppName): string;
  drop(): Promise<void>;
}

/** The development passwords of the apps' roles (roles are cluster-wide: every test run uses the same ones). */
export const TEST_ROLE_PASSWORDS = Object.fromEntries((Object.keys(APP_ROLES) as AppName[]).map((app) => [app, rolePassword(app, {})])) as Record<
  AppName,
  string
>;

/**
 * A fresh, empty database for one test file, with the apps' roles and their schemas set up as scripts/start.sh
 * does; `drop()` removes it (and ends any connection still open). `adminUrl` is a superuser of another cluster.
 */
export async function createTestDatabase(prefix = 'rx_test', adminUrl = TEST_POSTGRES_URL): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  await provisionDatabaseRoles({ adminUrl, database: name, passwords: TEST_ROLE_PASSWORDS });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    urlFor: (app) => roleUrl(url.toString(), app, TEST_ROLE_PASSWORDS[app]),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
