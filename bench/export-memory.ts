/**
 * npm run bench:export — streams 10 000 and then 100 000 stored events through the export (NDJSON) and reports the
 * peak resident memory of each run: the export reads page by page, so the peak should not grow with the size.
 * Runs with a 96 MiB V8 heap (package.json): 100 000 events (≈ 140 MiB of NDJSON) only fit if nothing accumulates.
 */
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { generateEvents } from '#datagen';
import { createLogger, dataSourceOptions, runMigrations } from '#platform';
import { createTestDatabase, createTestSigningKeys, signingKeysOf } from '#testing';
import { exportLines } from '../apps/registry/src/audit/export.js';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { RegistryTables } from '../apps/registry/src/store/registry-tables.js';

const logger = createLogger('bench-export');

async function main(): Promise<void> {
  const database = await createTestDatabase('rx_bench_export');
  const keys = createTestSigningKeys();
  const signers = signingKeysOf(keys);
  const figures: string[] = [];
  try {
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const dataSource = new DataSource(dataSourceOptions({ url: database.url, schema: 'registry', migrations: [], poolSize: 2 }));
    await dataSource.initialize();
    const sample = generateEvents({ seed: 3, events: 1000, keys: signers });
    let loaded = 0;
    for (const target of [10_000, 100_000]) {
      // Load copies of the sample events under fresh offsets until the table holds `target` rows.
      const rows = (function* () {
        for (let i = loaded; i < target; i++) {
          const e = sample[i % sample.length];
          const payload = JSON.stringify({ ...e.event, id: undefined }).replace(/\\/g, '\\\\');
          yield `bench\t0\t${i}\t${e.event.id.slice(0, 24)}${i.toString(16).padStart(12, '0')}\t${e.authority}\t${e.event.subject}\t${e.event.sequence}\t${e.event.type}\t${e.event.time}\t${new Date().toISOString()}\tapplied\tk\ttrue\t\\N\t${payload}\t\\\\x00\n`;
        }
      })();
      await pipeline(Readable.from(rows), client.query(copyFrom('COPY registry.events FROM STDIN')));
      loaded = target;
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      let lines = 0;
      let bytes = 0;
      const started = performance.now();
      await pipeline(
        Readable.from(exportLines(dataSource, new RegistryTables('registry'), 'events', 'ndjson', new Date(0))),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines++;
            bytes += chunk.length;
            done();
          },
        }),
      );
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const line = `| ${target.toLocaleString('en')} | ${lines.toLocaleString('en')} | ${(bytes / 2 ** 20).toFixed(0)} MiB | ${seconds.toFixed(1)} s | ${Math.round(lines / seconds).toLocaleString('en')}/s | ${(before / 2 ** 20).toFixed(0)} MiB | ${(peak / 2 ** 20).toFixed(0)} MiB |`;
      logger.info({ target, lines, seconds, rssBeforeMiB: Math.round(before / 2 ** 20), rssPeakMiB: Math.round(peak / 2 ** 20) }, 'export measured');
      figures.push(line);
    }
    await dataSource.destroy();
    await client.end();
  } finally {
    await database.drop();
  }
  const md = `
## ${new Date().toISOString()} — export memory (NDJSON events, streamed, V8 heap capped at 96 MiB)

| events stored | lines exported | bytes | time | rate | RSS before | RSS peak |
|---|---|---|---|---|---|---|
${figures.join('\n')}
`;
  appendFileSync('bench/RESULTS.md', md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'export benchmark failed');
    process.exit(1);
  },
);
