/**
 * npm run bench:lookup [-- --recordations N] [--quick] [--seconds S] [--keep-database]
 *
 * Lookup latency at registry scale (issues 6 and 8): 1 000 000 recordations by default. Ingesting that many
 * through Kafka would take longer than the measurement is worth, so the generator's events are folded here with
 * the registry's own domain code (mergeEvent, markKeysOf, groupByKeys, markIdOfComponent, summariseMark) into the
 * rows the consumer would have written, COPYed into a freshly migrated schema; then the real registry process
 * answers /api/check and /api/marks/search at 1, 16 and 64 clients. Appends to bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { topicNames, type AuthorityCode } from '#contracts';
import { generateEvents } from '#datagen';
import { groupByKeys, markIdOfComponent, markKeysOf, mergeEvent, packProvenance, pinyinKey, recordationId, summariseMark, type MarkKey, type RegistryRecordation } from '#domain';
import { createKafka, createLogger, provisionKafka, runMigrations } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, createTestDatabase, createTestSigningKeys, waitFor } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { BENCH_TOKENS, benchRegistryEnv, lookupQueries, measureLookups } from './lookup-load.js';

const logger = createLogger('bench-lookup');
const args = process.argv.slice(2);
const argValue = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : undefined;
};
const quick = args.includes('--quick');
const RECORDATIONS = argValue('--recordations') ?? (quick ? 50_000 : 1_000_000);
const SECONDS = argValue('--seconds') ?? (quick ? 3 : 8);
/** Leaves the loaded database behind (its URL is logged) for EXPLAIN ANALYZE. */
const KEEP = args.includes('--keep-database');

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
    const { rows: indexes } = await db.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'registry' AND tablename IN ('recordations', 'mark_keys', 'marks') AND indexname NOT LIKE '%_pkey'`,
    );
    for (const index of indexes) await db.query(`DROP INDEX registry."${index.indexname}"`);
    const loaded = await load(db, recordations);
    for (const index of indexes) await db.query(index.indexdef);
    recordations.clear();
    await db.query('ANALYZE registry.recordations; ANALYZE registry.mark_keys; ANALYZE registry.marks');
    const loadSeconds = (performance.now() - folded) / 1000;
    logger.info({ ...loaded, foldSeconds: Math.round((folded - started) / 1000), loadSeconds: Math.round(loadSeconds) }, 'registry loaded');

    const port = 3950 + Math.floor(Math.random() * 40);
    const prefix = `benchlookup${Date.now().toString(36)}.`;
    const keys = createTestSigningKeys();
    await provisionKafka(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-lookup', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'ERROR' }), { topicPrefix: prefix });
    const child = spawn(process.execPath, ['dist/apps/registry/src/main.js'], {
      env: benchRegistryEnv({ port, databaseUrl: database.url, prefix, trustedKeys: keys.trustedKeys, brokers: TEST_KAFKA_BROKERS, principal: TEST_KAFKA_PRINCIPALS.registry }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health`).then((r) => r.status).catch(() => 0)) === 200, { timeoutMs: 120_000, description: 'the registry to answer' });
    const figures = await measureLookups(base, BENCH_TOKENS.officer, lookupQueries(texts), SECONDS, (key, f) => logger.info({ key, ...f }, 'lookup'));
    report({ time: new Date().toISOString(), recordations: loaded.recordations, markKeys: loaded.markKeys, marks: loaded.marks, loadSeconds: Math.round(loadSeconds), seconds: SECONDS, figures });
  } finally {
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
    const ref = { eventId: event.id, authority, type: event.type, sequence: event.sequence, topic: topics[authority], partition: 0, offset: String(offsets[authority]++), time: event.time, receivedAt: event.time, keyId: `${authority.toLowerCase()}-bench`, verified: true };
    const outcome = mergeEvent(recordations.get(id), event, ref, false);
    if (outcome.disposition === 'applied') recordations.set(id, outcome.next);
    if (event.type === 'recordation.created') texts.push(event.data.mark.text);
  }
  return { recordations, texts };
}

/** COPYs the recordations, their mark keys (with pinyin readings, as MarkGrouping stores them) and their marks. */
async function load(db: pg.Client, recordations: Map<string, RegistryRecordation>): Promise<{ recordations: number; markKeys: number; marks: number }> {
  const keysOf = new Map<string, MarkKey[]>();
  for (const [id, r] of recordations) keysOf.set(id, markKeysOf(r.data, new Map()));
  const components = groupByKeys(new Map([...keysOf].map(([id, keys]) => [id, keys.map((k) => k.key)])));
  const markIdOf = new Map<string, string>();
  const markRows: string[] = [];
  for (const members of components) {
    const markId = markIdOfComponent(members, (id) => keysOf.get(id)!.map((k) => k.key));
    for (const member of members) markIdOf.set(member, markId);
    const summary = summariseMark(members.map((id) => ({ authority: recordations.get(id)!.authority, recordationNumber: recordations.get(id)!.recordationNumber, data: recordations.get(id)!.data })));
    markRows.push(row([markId, summary.displayText, summary.displaySource, summary.recorded ? 't' : 'f', summary.conflict ? 't' : 'f', JSON.stringify(summary.conflicts), String(members.length)]));
  }
  const now = new Date().toISOString();
  await copy(db, 'registry.recordations (authority, recordation_number, version, status, data, provenance, mark_id, valid_until, updated_at)', (function* () {
    for (const [id, r] of recordations) yield row([r.authority, r.recordationNumber, String(r.version), r.status, JSON.stringify(r.data), JSON.stringify(packProvenance(r.provenance)), markIdOf.get(id)!, r.data.validUntil, now]);
  })());
  let markKeys = 0;
  await copy(db, 'registry.mark_keys (key, authority, recordation_number, kind, literal)', (function* () {
    for (const [id, r] of recordations) {
      const keys = keysOf.get(id)!;
      const readings = [...new Set(keys.map((k) => pinyinKey(k.key)).filter((reading): reading is string => !!reading && !keys.some((k) => k.key === reading)))];
      for (const k of [...keys, ...readings.map((reading) => ({ key: reading, kind: 'pinyin', literal: reading }))]) {
        markKeys++;
        yield row([k.key, r.authority, r.recordationNumber, k.kind, k.literal]);
      }
    }
  })());
  await copy(db, 'registry.marks (mark_id, display_text, display_source, recorded, conflict, conflicts, recordation_count)', markRows.values());
  return { recordations: recordations.size, markKeys, marks: markRows.length };
}

/** One line of COPY's text format. */
function row(values: string[]): string {
  return `${values.map((v) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')).join('\t')}\n`;
}

async function copy(db: pg.Client, target: string, lines: Iterable<string>): Promise<void> {
  const started = performance.now();
  await pipeline(Readable.from(lines), db.query(copyFrom(`COPY ${target} FROM STDIN`)));
  logger.info({ target: target.split(' ')[0], seconds: Math.round((performance.now() - started) / 1000) }, 'copied');
}

function report(results: { time: string; recordations: number; markKeys: number; marks: number; loadSeconds: number; seconds: number; figures: Record<string, { requestsPerSecond: number; p50Ms: number; p95Ms: number; p99Ms: number }> }): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${results.time.replace(/[:.]/g, '-')}-lookup.json`, `${JSON.stringify(results, null, 2)}\n`);
  const rows = Object.entries(results.figures).map(([key, f]) => `| ${key} | ${f.requestsPerSecond} | ${f.p50Ms} | ${f.p95Ms} | ${f.p99Ms} |`).join('\n');
  const md = `
## ${results.time} — lookup at scale: ${results.recordations.toLocaleString('en')} recordations

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; PostgreSQL 15. Rows written with
COPY from the generator's events folded by the registry's domain code (${results.markKeys.toLocaleString('en')} mark keys, ${results.marks.toLocaleString('en')} marks, ${results.loadSeconds} s); the
registry process answers; ${results.seconds} s per row; mix of exact, 简→繁, misspelt, miss; client on the same machine. Targets: check p99 < 10 ms, search p99 < 30 ms at 16 clients.

| endpoint@clients | req/s | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|
${rows}
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
