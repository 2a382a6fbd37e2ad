import { migrationDataSource } from '#platform';
import { REGISTRY_MIGRATIONS } from './migrations/index.js';

/** For TypeORM's CLI: `npm run migrate` / `npm run migrate:revert` (scripts/migrate.sh) load this file from dist/. */
export const dataSource = migrationDataSource({ defaultSchema: 'registry', migrations: REGISTRY_MIGRATIONS });
