/**
 * npm run bench:lookup [-- --recordations N] [--quick] [--seconds S] [--keep-database] [--cpu-prof DIR]
 *
 * Lookup latency at registry scale (issues 6 and 8): 1 000 000 recordations by default. Ingesting that many
 * through Kafka would take longer than the measurement is worth, so the generator's events are folded here with
 * the registry's own domain code (mergeEvent, then writeRegistryState: the replay's writer) into the
 * rows the consumer would have written, COPYed into a freshly migrated schema; then the real registry process
 * answers /api/check and /api/marks/search at 1, 16 and 64 clients, and POST /api/check/batch (10 000 marks; 2 000 with
 * --quick) against the same marks as single checks at 16 clients; every figure three times (median and spread).
 * Appends to bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { topicNames, type AuthorityCode } from '#contracts';
import { generateEvents } from '#datagen';
import { eventRefOf, mergeEvent, recordationId, type RegistryRecordation } from '#domain';
import { createKafka, createLogger, provisionKafka, runMigrations } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, createTestDatabase, createTestSigningKeys, waitFor } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { rebuildIndexes, writeRegistryState } from '../apps/registry/src/store/registry-bulk-load.js';
import { RegistryTables } from '../apps/registry/src/store/registry-tables.js';
import { batchMarks, cell, latencyRows, measureBatchCheck, measureLookupsRepeated, type BatchFigures, type RepeatedLatency } from './batch-check.js';
import { BENCH_TOKENS, benchRegistryEnv, lookupQueries } from './lookup-load.js';

const logger = createLogger('bench-lookup');
const args = process.argv.slice(2);
const argValue = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : undefined;
};
const quick = args.includes('--quick');
const RECORDATIONS = argValue('--recordations') ?? (quick ? 50_000 : 1_000_000);
const SECONDS = argValue('--seconds') ?? (quick ? 3 : 8);
/** Each figure is measured this many times; the report gives the median and the spread. */
const RUNS = argValue('--runs') ?? 3;
const BATCH_LINES = argValue('--batch-lines') ?? (quick ? 2_000 : 10_000);
/** Leaves the loaded database behind (its URL is logged) for EXPLAIN ANALYZE. */
const KEEP = args.includes('--keep-database');
/** Writes the registry's CPU profile under load into this directory (node --cpu-prof). */
const CPU_PROF = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;

async function main(): Promise<void> {
  const started = performance.now();
  const database = await createTestDatabase('rx_bench_lookup');
  const children: ChildProcess[] = [];
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  try {
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    const { recordations, texts } = fold(RECORDATIONS);
    const folded = performance.now();
    // Bulk-load practice: the migrations' secondary indexes are dropped for the COPY and rebuilt after, as defined.
    const { rows: indexes } = await db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'registry' AND tablename IN ('recordations', 'mark_keys', 'marks') AND indexname NOT LIKE '%_pkey'`,
    );
    for (const index of indexes) await db.query(`DROP INDEX registry."${index.indexname}"`);
    const loaded = await writeRegistryState(db, new RegistryTables('registry'), recordations, new Map());
    await rebuildIndexes(
      db,
      indexes.map((index) => ({ definition: index.indexdef })),
    );
    recordations.clear();
    await db.query('ANALYZE registry.recordations; ANALYZE registry.mark_keys; ANALYZE registry.marks');
    const loadSeconds = (performance.now() - folded) / 1000;
    logger.info({ ...loaded, foldSeconds: Math.round((folded - started) / 1000), loadSeconds: Math.round(loadSeconds) }, 'registry loaded');

    const port = 3950 + Math.floor(Math.random() * 40);
    const prefix = `benchlookup${Date.now().toString(36)}.`;
    const keys = createTestSigningKeys();
    await provisionKafka(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-lookup', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'ERROR' }), {
      topicPrefix: prefix,
    });
    const child = spawn(process.execPath, [...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []), 'dist/apps/registry/src/main.js'], {
      env: benchRegistryEnv({
        port,
        databaseUrl: database.url,
        prefix,
        trustedKeys: keys.trustedKeys,
        brokers: TEST_KAFKA_BROKERS,
        principal: TEST_KAFKA_PRINCIPALS.registry,
      }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () =>
        (await fetch(`${base}/health`)
          .then((r) => r.status)
          .catch(() => 0)) === 200,
      { timeoutMs: 120_000, description: 'the registry to answer' },
    );
    const queries = lookupQueries(texts);
    const figures = await measureLookupsRepeated(base, BENCH_TOKENS.officer, queries, SECONDS, RUNS, (key, f) => logger.info({ key, ...f }, 'lookup'));
    const batch = await measureBatchCheck(base, BENCH_TOKENS.officer, batchMarks(queries, BATCH_LINES), {
      runs: RUNS,
      singleSeconds: SECONDS,
      onRun: (run) => logger.info(run, 'batch check'),
    });
    report({
      time: new Date().toISOString(),
      recordations: loaded.recordations,
      markKeys: loaded.markKeys,
      marks: loaded.marks,
      loadSeconds: Math.round(loadSeconds),
      seconds: SECONDS,
      runs: RUNS,
      figures,
      batch,
    });
  } finally {
    // A profile is written when the process exits on its own: SIGTERM (graceful shutdown) and wait for it.
    if (CPU_PROF) await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))));
    for (const child of children) child.kill('SIGKILL');
    await db.end();
    if (KEEP) logger.info({ url: database.url }, 'database kept');
    else await database.drop();
  }
}

/** The generator's events folded with the registry's merge rule, as the consumer would (in log order per recordation). */
function fold(count: number): { recordations: Map<string, RegistryRecordation>; texts: string[] } {
  const events = generateEvents({ seed: 42, events: Math.round(count * 1.15), keys: null });
  const recordations = new Map<string, RegistryRecordation>();
  const offsets: Record<AuthorityCode, number> = { CN: 0, HK: 0, MO: 0 };
  const topics = topicNames('');
  const texts: string[] = [];
  for (const { authority, event } of events) {
    const id = recordationId(authority, event.subject);
    const ref = eventRefOf(event, topics[authority], 0, String(offsets[authority]++), event.time, `${authority.toLowerCase()}-bench`, true);
    const outcome = mergeEvent(recordations.get(id), event, ref, false);
    if (outcome.disposition === 'applied') recordations.set(id, outcome.next);
    if (event.type === 'recordation.created') texts.push(event.data.mark.text);
  }
  return { recordations, texts };
}

function report(results: {
  time: string;
  recordations: number;
  markKeys: number;
  marks: number;
  loadSeconds: number;
  seconds: number;
  runs: number;
  figures: RepeatedLatency;
  batch: BatchFigures;
}): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${results.time.replace(/[:.]/g, '-')}-lookup.json`, `${JSON.stringify(results, null, 2)}\n`);
  const { batch } = results;
  const md = `
## ${results.time} — lookup at scale: ${results.recordations.toLocaleString('en')} recordations

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; PostgreSQL 15; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}. Rows written with
COPY from the generator's events folded by the registry's domain code (${results.markKeys.toLocaleString('en')} mark keys, ${results.marks.toLocaleString('en')} marks, ${results.loadSeconds} s); the
registry process answers; ${results.seconds} s per row, each row ${results.runs} times: median (min–max); mix of exact, 简→繁, misspelt, miss; client on the same machine. Targets: check p99 < 10 ms, search p99 < 30 ms at 16 clients.

| endpoint@clients | req/s | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|
${latencyRows(results.figures)}

Bulk screening, the same mix (${batch.lines.toLocaleString('en')} different marks, NDJSON, one request; ${results.runs} runs, median (min–max)): POST /api/check/batch ${cell(batch.batchMarksPerSecond)} marks/s
(${cell(batch.batchSeconds)} s a batch); the same marks as single /api/check calls at ${batch.singleClients} clients ${cell(batch.singleMarksPerSecond)} marks/s: batch / single ${batch.batchOverSingle}×. Target ≥ 20 000 marks/s.
`;
  appendFileSync('bench/RESULTS.md', md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'lookup benchmark failed');
    process.exit(1);
  },
);
