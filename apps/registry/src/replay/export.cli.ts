/**
 * npm run export -- --since <ISO time> --format ndjson|csv [--what events|registry]
 * Writes stored events (default) or registry rows changed since a time to stdout, page by page.
 */
import { once } from 'node:events';
import { DataSource } from 'typeorm';
import { createLogger, dataSourceOptions } from '#platform';
import { exportLines, type ExportFormat, type ExportWhat } from '../audit/export.js';
import { loadRegistryConfig } from '../registry.config.js';
import { RegistryTables } from '../store/registry-tables.js';
import { parseArgs } from './cli-args.js';

const logger = createLogger('export');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { since: 'value', format: 'value', what: 'value' });
  const since = new Date(String(args.since ?? ''));
  if (Number.isNaN(since.getTime())) throw new Error('--since must be an ISO 8601 time');
  const format = (args.format ?? 'ndjson') as ExportFormat;
  const what = (args.what ?? 'events') as ExportWhat;
  if (!['ndjson', 'csv'].includes(format)) throw new Error('--format must be ndjson or csv');
  if (!['events', 'registry'].includes(what)) throw new Error('--what must be events or registry');
  const config = loadRegistryConfig({ TRUSTED_KEYS: '-', KAFKA_PASSWORD: '-', ...process.env });
  const dataSource = new DataSource(dataSourceOptions({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations: [], poolSize: 2 }));
  await dataSource.initialize();
  try {
    for await (const line of exportLines(dataSource, new RegistryTables(config.DATABASE_SCHEMA), what, format, since)) {
      if (!process.stdout.write(line)) await once(process.stdout, 'drain');
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'export failed');
  process.exit(1);
});
