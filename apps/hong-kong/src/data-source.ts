import { AUTHORITY_APP_DEFAULTS, AUTHORITY_MIGRATIONS } from '#authority';
import { migrationDataSource } from '#platform';

/** For TypeORM's CLI: `npm run migrate` / `npm run migrate:revert` (scripts/migrate.sh) load this file from dist/. */
export const dataSource = migrationDataSource({ defaultSchema: AUTHORITY_APP_DEFAULTS.HK.DATABASE_SCHEMA, migrations: AUTHORITY_MIGRATIONS });
