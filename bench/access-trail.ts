/**
 * npm run bench:trail [-- --events N] [--seconds S] [--runs R]
 *
 * What the access trail (issue 21, item 4) costs a lookup: two registry processes on the same events and database,
 * one recording every lookup (ACCESS_TRAIL_ENABLED=true, the default) and one not (false, its own schema), measured
 * in turns in the same run (order alternated per run) with autocannon at 16 and 64 keep-alive clients. Checks that
 * the recording side's trail holds at least every lookup it answered (after its shutdown flush). Prints JSON and a Markdown
 * block for bench/RESULTS.md, with the load average before and after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { generateEvents } from '#datagen';
import { createLogger, runMigrations } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { spreadOf, type Spread } from './batch-check.js';
import { benchSetup, produceEvents } from './bench-setup.js';
import { BENCH_TOKENS, benchRegistryEnv, lookupQueries, percentile } from './lookup-load.js';

const logger = createLogger('bench-trail');
const args = process.argv.slice(2);
const argValue = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : undefined;
};
const EVENTS = argValue('--events') ?? 12_000;
const SECONDS = argValue('--seconds') ?? 5;
const RUNS = argValue('--runs') ?? 3;
const LOADS = [
  { endpoint: 'check', clients: 16 },
  { endpoint: 'search', clients: 16 },
  { endpoint: 'check', clients: 64 },
] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** One load for `SECONDS`: requests per second answered 200, p99 in ms; any other answer fails the benchmark. */
async function load(
  base: string,
  endpoint: 'check' | 'search',
  clients: number,
  queries: readonly string[],
): Promise<{ rps: number; p99: number; answered: number }> {
  let next = 0;
  const latencies: number[] = [];
  const failures: number[] = [];
  const pathOf = (query: string) =>
    endpoint === 'check' ? `/api/check?mark=${encodeURIComponent(query)}` : `/api/marks/search?q=${encodeURIComponent(query)}`;
  const tracker = autocannon({
    url: base,
    connections: clients,
    duration: SECONDS,
    headers: { authorization: `Bearer ${BENCH_TOKENS.officer}` },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathOf(queries[next++ % queries.length]) }) }],
  });
  tracker.on('response', (_client, statusCode, _bytes, responseTime) => (statusCode === 200 ? latencies.push(responseTime) : failures.push(statusCode)));
  const result = await tracker;
  if (failures.length || result.errors)
    throw new Error(`${endpoint}@${clients} at ${base}: ${failures.length} answers not 200 (first ${failures[0]}), ${result.errors} errors`);
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / SECONDS, p99: percentile(latencies, 99), answered: latencies.length };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const { database, prefix, topics, signers, keys } = await benchSetup('trail');
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const children: ChildProcess[] = [];
  try {
    const events = generateEvents({ seed: 42, events: EVENTS, keys: signers });
    await produceEvents(events, topics);
    const port = 3960 + Math.floor(Math.random() * 30);
    const common = benchRegistryEnv({
      port,
      databaseUrl: database.url,
      prefix,
      trustedKeys: keys.trustedKeys,
      brokers: TEST_KAFKA_BROKERS,
      principal: TEST_KAFKA_PRINCIPALS.registry,
    });
    const sides = {
      on: { base: `http://127.0.0.1:${port}`, schema: 'registry', env: { ...common, ACCESS_TRAIL_ENABLED: 'true' } },
      off: {
        base: `http://127.0.0.1:${port + 1}`,
        schema: 'registry_off',
        env: {
          ...common,
          PORT: String(port + 1),
          DATABASE_SCHEMA: 'registry_off',
          KAFKA_CONSUMER_GROUP: `registry-off-${prefix}`,
          ACCESS_TRAIL_ENABLED: 'false',
        },
      },
    };
    for (const side of Object.values(sides)) {
      await runMigrations({ url: database.url, schema: side.schema, migrations: REGISTRY_MIGRATIONS });
      const child = spawn(process.execPath, ['dist/apps/registry/src/main.js'], { env: side.env, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
    }
    for (const side of Object.values(sides)) {
      await waitUntil(
        async () =>
          Number((await db.query<{ n: string }>(`SELECT coalesce(sum(next_offset), 0) AS n FROM ${side.schema}.consumer_offsets`)).rows[0].n) >= events.length,
        30 * 60_000,
        `${side.schema} to merge every event`,
      );
    }
    const texts = events.filter((e) => e.event.type === 'recordation.created').map((e) => e.event.data.mark.text);
    const queries = lookupQueries(texts);
    // Warm both (prepared statements, caches) before measuring.
    const warmOn = (await load(sides.on.base, 'check', 4, queries)).answered;
    await load(sides.off.base, 'check', 4, queries);

    const figures: Record<string, { on: number[]; off: number[]; onP99: number[]; offP99: number[] }> = {};
    let answeredOn = 0;
    for (let run = 0; run < RUNS; run++) {
      for (const { endpoint, clients } of LOADS) {
        const key = `${endpoint}@${clients}`;
        figures[key] ??= { on: [], off: [], onP99: [], offP99: [] };
        // Alternate which side goes first, so neither always follows the other's autovacuum or cache effects.
        for (const name of run % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          const measured = await load(sides[name].base, endpoint, clients, queries);
          if (name === 'on') answeredOn += measured.answered;
          figures[key][name].push(measured.rps);
          figures[key][name === 'on' ? 'onP99' : 'offP99'].push(measured.p99);
          logger.info({ run, key, side: name, rps: Math.round(measured.rps), p99Ms: measured.p99 }, 'lookup');
        }
      }
    }
    const loadAfter = os.loadavg();

    // Everything the recording side answered is in its trail once it has shut down (SIGTERM flushes the queue).
    const recordingSide = children[0];
    recordingSide.kill('SIGTERM');
    await new Promise((resolve) => recordingSide.once('exit', resolve));
    const written = Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM registry.access_trail WHERE route IN ('GET /api/check', 'GET /api/marks/search')`)).rows[0].n,
    );
    const results = Object.fromEntries(
      Object.entries(figures).map(([key, f]) => {
        const on: Spread = spreadOf(f.on);
        const off: Spread = spreadOf(f.off);
        return [key, { onRps: on, offRps: off, onOverOff: +(on.median / off.median).toFixed(3), onP99Ms: spreadOf(f.onP99), offP99Ms: spreadOf(f.offP99) }];
      }),
    );
    const summary = {
      time: new Date().toISOString(),
      events: EVENTS,
      seconds: SECONDS,
      runs: RUNS,
      loadBefore: loadBefore.map((v) => +v.toFixed(2)),
      loadAfter: loadAfter.map((v) => +v.toFixed(2)),
      answeredWithTrail: answeredOn + warmOn,
      trailRowsForLookups: written,
      // At least every answer counted: requests still in flight when a load's time is up are answered (and recorded)
      // after autocannon stopped counting.
      nothingLost: written >= answeredOn + warmOn,
      figures: results,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    const rows = Object.entries(results)
      .map(
        ([key, r]) =>
          `| ${key} | ${r.onRps.median.toFixed(0)} (${r.onRps.min.toFixed(0)}–${r.onRps.max.toFixed(0)}) | ${r.offRps.median.toFixed(0)} (${r.offRps.min.toFixed(0)}–${r.offRps.max.toFixed(0)}) | ${r.onOverOff} | ${r.onP99Ms.median} / ${r.offP99Ms.median} |`,
      )
      .join('\n');
    process.stdout.write(
      `\n| load | trail on req/s, median (min–max) | trail off req/s | on / off | p99 ms on / off |\n|---|---|---|---|---|\n${rows}\n\n` +
        `load average before ${summary.loadBefore.join(', ')}, after ${summary.loadAfter.join(', ')}; ${summary.answeredWithTrail} lookups answered with the trail on ` +
        `(warm-up included), ${written} trail rows for lookups after its shutdown flush (more: requests in flight when a load's time was up are answered and recorded, not counted).\n`,
    );
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'bench:trail failed');
  process.exitCode = 1;
});
