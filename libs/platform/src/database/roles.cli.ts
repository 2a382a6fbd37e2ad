/**
 * Creates the apps' PostgreSQL roles and schemas (idempotent): run by the set-up as the superuser.
 *
 *   node dist/libs/platform/src/database/roles.cli.js
 *
 * Env: DATABASE_URL (the apps' database: its name is used; default
 * postgres://postgres@127.0.0.1:5432/recordation_exchange), DATABASE_ADMIN_URL (a superuser; default DATABASE_URL's
 * user and server, database postgres), DATABASE_PASSWORD_MAINLAND, _HONG_KONG, _MACAO,
 * _REGISTRY (default the development passwords of .env.example).
 * Prints one JSON summary line on stdout (no password); with --print-urls instead each app's DATABASE_URL as
 * `DATABASE_URL_<APP>=…` lines (with its password: for scripts/start.sh to read, never to a file or a command line).
 * `--registry-schemas registry_cn,registry_hk,registry_mo`: more schemas owned by the registry's role (the
 * cross-border sites' registries, scripts/start-cluster.sh).
 * Errors go to stderr with exit code 1.
 */
import { APP_ROLES, provisionDatabaseRoles, rolePassword, roleUrl, type AppName } from './roles.js';

async function main(): Promise<void> {
  const appsUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/recordation_exchange');
  const database = decodeURIComponent(appsUrl.pathname.replace(/^\//, ''));
  appsUrl.pathname = '/postgres';
  const adminUrl = process.env.DATABASE_ADMIN_URL || appsUrl.toString();
  const apps = Object.keys(APP_ROLES) as AppName[];
  const passwords = Object.fromEntries(apps.map((app) => [app, rolePassword(app)])) as Record<AppName, string>;
  const flag = process.argv.indexOf('--registry-schemas');
  const registrySchemas = flag >= 0 ? (process.argv[flag + 1] ?? '').split(',').filter(Boolean) : [];
  for (const schema of registrySchemas)
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`--registry-schemas: '${schema}' is not a lower-case PostgreSQL schema name`);
  await provisionDatabaseRoles({ adminUrl, database, passwords, extraSchemas: { registry: registrySchemas } });
  if (process.argv.includes('--print-urls')) {
    const base = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/recordation_exchange';
    for (const app of apps) process.stdout.write(`DATABASE_URL_${app.toUpperCase()}=${roleUrl(base, app, passwords[app])}\n`);
  } else {
    process.stdout.write(`${JSON.stringify({ database, roles: apps })}\n`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`database role set-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
