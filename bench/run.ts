/**
 * npm run bench [-- --quick] [--events N] [--naive-events N]
 *
 * On the real broker and database, in one run so the ratios compare like with like on this shared machine:
 * ingest (ours) against a naive Nest consumer and against the limits (raw consumption, COPY, Ed25519
 * verification per core and with worker threads), freshness at a steady rate, lookup latency at 1/16/64
 * clients, and replay with the digest check. Writes bench/results/<time>.json, appends bench/RESULTS.md and
 * draws bench/results/<time>.svg.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import { pipeline } from 'node:stream/promises';
import { decodeSignedEvent, parsePrivateKey, parseTrustedKeys, topicNames, verifyDsse, type AuthorityCode, type DsseEnvelope } from '#contracts';
import { generateEvents, type GeneratedEvent } from '#datagen';
import { createKafka, createLogger, kafkaClientName, runMigrations } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import {
  batchMarks,
  cell,
  latencyRows,
  measureBatchCheck,
  measureLookupsRepeated,
  spreadOf,
  type BatchFigures,
  type RepeatedLatency,
  type Spread,
} from './batch-check.js';
import { BENCH_TOKENS, benchRegistryEnv, lookupQueries, percentile } from './lookup-load.js';
import { startNaiveConsumer } from './naive-consumer.js';
import { benchSetup, mergeFigures, produceEvents, replayBench } from './bench-setup.js';

const logger = createLogger('bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argValue = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : undefined;
};
const EVENTS = argValue('--events') ?? (quick ? 12_000 : 200_000);
const NAIVE_EVENTS = Math.min(EVENTS, argValue('--naive-events') ?? (quick ? 3_000 : 10_000));
const LOOKUP_SECONDS = quick ? 2 : 8;
/** The lookup and batch figures are measured this many times each: median and spread. */
const RUNS = 3;
const BATCH_LINES = quick ? 2_000 : 10_000;
/** The ingest figures (ours, naive, COPY and their ratios) and freshness: as many runs (one in --quick, to keep it short). */
const INGEST_RUNS = argValue('--ingest-runs') ?? (quick ? 1 : RUNS);

interface IngestRun {
  oursEventsPerSecond: number;
  naiveEventsPerSecond: number;
  copyRowsPerSecond: number;
  merges: Awaited<ReturnType<typeof mergeFigures>>;
  wallMs: number;
}
type FreshnessRun = Awaited<ReturnType<typeof freshness>> & { transactions: number; messagesPerTransaction: number; msPerTransaction: number };
const FRESHNESS_SECONDS = quick ? 4 : 15;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

async function timed<T>(label: string, work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  logger.info({ step: label, ms: Math.round(ms) }, 'bench step done');
  return { value, ms };
}

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const { database, prefix, topics, keys, signers } = await benchSetup('bench');
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const children: ChildProcess[] = [];
  const results: Record<string, unknown> = {
    time: new Date().toISOString(),
    quick,
    events: EVENTS,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  };
  try {
    // 1. The same events for every contestant.
    const generated = await timed('generate', () => generateEvents({ seed: 42, events: EVENTS, keys: signers }));
    const events = generated.value;

    // 2. Produce them, each on its authority's topic as that authority.
    const produced = await timed('produce', () => produceEvents(events, topics));
    results.produce = { eventsPerSecond: rate(events.length, produced.ms) };

    // 3. Limits.
    const rawConsume = await timed('raw consume', () => consumeOnly(topics, events.length));
    const trusted = parseTrustedKeys(keys.trustedKeys);
    const verifyOne = await timed(
      'Ed25519 verify, 1 core',
      () => events.filter((e) => verifyDsse(JSON.parse(e.value.toString('utf8')) as DsseEnvelope, trusted).verified).length,
    );
    const threads = os.cpus().length;
    const verifyAll = await timed(`Ed25519 verify, ${threads} threads`, () => verifyInWorkers(events, keys.trustedKeys, threads));
    const decodeOne = await timed(
      'full decode (verify + contract), 1 core',
      () => events.filter((e) => decodeSignedEvent(e.value, trusted, e.authority).ok).length,
    );
    results.limits = {
      rawConsumeEventsPerSecond: rate(events.length, rawConsume.ms),
      verifyPerSecondOneCore: rate(verifyOne.value, verifyOne.ms),
      verifyPerSecondAllThreads: rate(verifyAll.value, verifyAll.ms),
      verifyThreads: threads,
      decodePerSecondOneCore: rate(decodeOne.value, decodeOne.ms),
    };

    // 4–5. Ours (the registry as its own process, from an empty schema to the last event merged), the naive consumer
    // on a share of the same events, and COPY of the same rows: INGEST_RUNS times, each ratio taken within its run.
    // The last run's registry (schema `registry`) stays up for freshness, lookups and replay.
    const registryPort = 3900 + Math.floor(Math.random() * 50);
    const env = benchRegistryEnv({
      port: registryPort,
      databaseUrl: database.url,
      prefix,
      trustedKeys: keys.trustedKeys,
      brokers: TEST_KAFKA_BROKERS,
      principal: TEST_KAFKA_PRINCIPALS.registry,
    });
    const base = `http://127.0.0.1:${registryPort}`;
    /** A registry process from an empty `schema` to the last event merged; the wall it took, and the process. */
    const ingestInto = async (label: string, schema: string, overrides: NodeJS.ProcessEnv) => {
      await runMigrations({ url: database.url, schema, migrations: REGISTRY_MIGRATIONS });
      const merged = async () => Number((await db.query<{ n: string }>(`SELECT coalesce(sum(next_offset), 0) AS n FROM ${schema}.consumer_offsets`)).rows[0].n);
      let child!: ChildProcess;
      const { ms } = await timed(label, async () => {
        child = spawn(process.execPath, ['dist/apps/registry/src/main.js'], {
          env: { ...env, DATABASE_SCHEMA: schema, ...overrides },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        children.push(child);
        await waitUntil(async () => (await merged()) >= events.length, 30 * 60_000, `${label}: every event merged`);
      });
      return { ms, child };
    };
    await db.query('CREATE TABLE naive_events (id uuid PRIMARY KEY, authority text, subject text, sequence int, payload jsonb)');
    const ingestRuns: IngestRun[] = [];
    for (let run = 1; run <= INGEST_RUNS; run++) {
      const last = run === INGEST_RUNS;
      const schema = last ? 'registry' : `registry_run${run}`;
      const port = last ? registryPort : registryPort + 100 + run;
      const copy = await timed(`COPY (run ${run})`, () => copyRows(db, events));
      const ours = await ingestInto(`ours (registry ingest, run ${run})`, schema, {
        PORT: String(port),
        KAFKA_CONSUMER_GROUP: `registry-${prefix}${last ? '' : `-run${run}`}`,
      });
      // How much of that wall the merge transactions took (summed: they run side by side), and their merge-lock waits.
      const merges = await mergeFigures(`http://127.0.0.1:${port}`);
      if (!last) {
        await stopProcess(ours.child);
        // Its tables would only slow what follows down (autovacuum, the buffer cache).
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
      }
      // The naive consumer on a share of the same events (it is slow), from the start of the log each run.
      await db.query('TRUNCATE naive_events');
      const naiveApp = await startNaiveConsumer({
        brokers: TEST_KAFKA_BROKERS,
        ...TEST_KAFKA_PRINCIPALS.registry,
        topics: { CN: topics.CN, HK: topics.HK, MO: topics.MO },
        databaseUrl: database.url,
        trustedKeys: keys.trustedKeys,
        groupId: `registry-naive-${prefix}-run${run}`,
      });
      const naiveStarted = performance.now();
      await waitUntil(
        async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM naive_events')).rows[0].n) >= NAIVE_EVENTS,
        30 * 60_000,
        'the naive consumer',
      );
      const naiveMs = performance.now() - naiveStarted;
      await naiveApp.close();
      ingestRuns.push({
        oursEventsPerSecond: rate(events.length, ours.ms),
        naiveEventsPerSecond: rate(NAIVE_EVENTS, naiveMs),
        copyRowsPerSecond: rate(events.length, copy.ms),
        merges,
        wallMs: ours.ms,
      });
      logger.info({ run, ...ingestRuns[ingestRuns.length - 1] }, 'ingest run');
    }

    // 5b. Ours again with VERIFY_SIGNATURES=false, on the same events into a schema of its own: what the pipeline
    // does when the Ed25519 check is taken away, against the COPY limit (once; not in --quick, to keep it short).
    let unverifiedRate: number | undefined;
    if (!quick) {
      const unverified = await ingestInto('ours, signatures not checked', 'registry_unverified', {
        PORT: String(registryPort + 50),
        KAFKA_CONSUMER_GROUP: `registry-unverified-${prefix}`,
        VERIFY_SIGNATURES: 'false',
      });
      await stopProcess(unverified.child);
      await db.query('DROP SCHEMA registry_unverified CASCADE');
      unverifiedRate = rate(events.length, unverified.ms);
    }
    const limits = results.limits as Record<string, number>;
    const spreadOfRuns = (figure: (run: IngestRun) => number) => spreadOf(ingestRuns.map(figure), 4);
    const copyMedian = spreadOfRuns((run) => run.copyRowsPerSecond).median;
    results.ingest = {
      runs: INGEST_RUNS,
      oursEventsPerSecond: spreadOfRuns((run) => run.oursEventsPerSecond),
      naiveEventsPerSecond: spreadOfRuns((run) => run.naiveEventsPerSecond),
      naiveMeasuredOn: NAIVE_EVENTS,
      copyRowsPerSecond: spreadOfRuns((run) => run.copyRowsPerSecond),
      oursOverNaive: spreadOfRuns((run) => run.oursEventsPerSecond / run.naiveEventsPerSecond),
      oursOverCopy: spreadOfRuns((run) => run.oursEventsPerSecond / run.copyRowsPerSecond),
      oursOverVerifyOneCore: spreadOfRuns((run) => run.oursEventsPerSecond / limits.verifyPerSecondOneCore),
      oursOverVerifyAllThreads: spreadOfRuns((run) => run.oursEventsPerSecond / limits.verifyPerSecondAllThreads),
      oursOverRawConsume: spreadOfRuns((run) => run.oursEventsPerSecond / limits.rawConsumeEventsPerSecond),
      oursOverDecodeOneCore: spreadOfRuns((run) => run.oursEventsPerSecond / limits.decodePerSecondOneCore),
      mergeTransactions: spreadOfRuns((run) => run.merges.count),
      mergeShareOfWall: spreadOfRuns((run) => (run.merges.seconds * 1000) / run.wallMs),
      mergeLockWaitShareOfWall: spreadOfRuns((run) => (run.merges.lockWaitSeconds * 1000) / run.wallMs),
      mergeLockBlockedShareOfWall: spreadOfRuns((run) => (run.merges.lockBlockedSeconds * 1000) / run.wallMs),
      mergeRetries: spreadOfRuns((run) => run.merges.retries),
      unverifiedEventsPerSecond: unverifiedRate,
      unverifiedOverCopy: unverifiedRate === undefined ? undefined : +(unverifiedRate / copyMedian).toFixed(3),
    };
    logger.info(results.ingest as object, 'ingest');

    // 6. Freshness: steady 1 000 events/s of new marks; produce → visible through /api/check; INGEST_RUNS times.
    const freshnessRuns: FreshnessRun[] = [];
    for (let run = 0; run < INGEST_RUNS; run++) {
      const mergesBefore = await mergeFigures(base);
      const figures = await freshness(base, topics, signers, EVENTS, run);
      const mergesAfter = await mergeFigures(base);
      const transactions = mergesAfter.count - mergesBefore.count;
      // What the merge did under the steady load: how many messages per transaction, and how long each took.
      freshnessRuns.push({
        ...figures,
        transactions,
        messagesPerTransaction: (mergesAfter.messages - mergesBefore.messages) / transactions,
        msPerTransaction: ((mergesAfter.seconds - mergesBefore.seconds) / transactions) * 1000,
      });
      logger.info({ run: run + 1, ...freshnessRuns[run] }, 'freshness run');
    }
    const freshnessSpread = (figure: (run: FreshnessRun) => number) => spreadOf(freshnessRuns.map(figure), 1);
    results.freshness = {
      runs: INGEST_RUNS,
      produced: freshnessSpread((run) => run.produced),
      producedPerSecond: freshnessSpread((run) => run.producedPerSecond),
      samples: freshnessSpread((run) => run.samples),
      p50Ms: freshnessSpread((run) => run.p50Ms),
      p99Ms: freshnessSpread((run) => run.p99Ms),
      transactions: freshnessSpread((run) => run.transactions),
      messagesPerTransaction: freshnessSpread((run) => run.messagesPerTransaction),
      msPerTransaction: freshnessSpread((run) => run.msPerTransaction),
    };

    // 7. Lookups at 1, 16 and 64 clients, a mix of exact, 简/繁, fuzzy and miss.
    const recordations = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM registry.recordations')).rows[0].n);
    const texts = events.filter((e) => e.event.type === 'recordation.created').map((e) => e.event.data.mark.text);
    const queries = lookupQueries(texts);
    results.lookup = {
      recordations,
      runs: RUNS,
      figures: await measureLookupsRepeated(base, BENCH_TOKENS.officer, queries, LOOKUP_SECONDS, RUNS, (key, figures) =>
        logger.info({ key, ...figures }, 'lookup'),
      ),
    };
    // 7b. Bulk screening: the same mix in one POST /api/check/batch, against the same marks as single checks.
    results.batchCheck = await measureBatchCheck(base, BENCH_TOKENS.officer, batchMarks(queries, BATCH_LINES), {
      runs: RUNS,
      singleSeconds: LOOKUP_SECONDS,
      onRun: (run) => logger.info(run, 'batch check'),
    });

    // 8. Replay into a fresh schema and check the digest.
    for (const child of children) child.kill('SIGTERM');
    const replay = await timed('replay', () => replayBench({ database, topics, keys }));
    results.replay = {
      events: replay.value.events,
      seconds: +(replay.ms / 1000).toFixed(1),
      eventsPerSecond: rate(replay.value.events, replay.ms),
      digestMatch: replay.value.match,
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await db.end();
    await database.drop();
  }
  report(results);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

async function consumeOnly(topics: ReturnType<typeof topicNames>, expected: number): Promise<void> {
  const consumer = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-raw', ...TEST_KAFKA_PRINCIPALS.registry, logLevel: 'ERROR' }).consumer({
    groupId: `registry-raw-${Date.now()}`,
  });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.CN, topics.HK, topics.MO], fromBeginning: true });
  await consumer.run({
    autoResolve: true,
    eachBatch: ({ batch }) => {
      seen += batch.messages.length;
      return Promise.resolve();
    },
  });
  await waitUntil(() => seen >= expected, 10 * 60_000, 'raw consumption');
  await consumer.disconnect();
}

async function verifyInWorkers(events: GeneratedEvent[], trustedKeys: string, threads: number): Promise<number> {
  const shares = Array.from({ length: threads }, (_, t) => events.filter((_, i) => i % threads === t));
  const counts = await Promise.all(
    shares.map(
      (share) =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: { values: share.map((e) => e.value), trustedKeys } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function copyRows(db: pg.Client, events: GeneratedEvent[]): Promise<void> {
  await db.query('DROP TABLE IF EXISTS copy_limit');
  await db.query('CREATE TABLE copy_limit (event_id uuid, authority text, recordation_number text, sequence int, type text, payload jsonb, signed bytea)');
  const escape = (text: string) => text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  const lines = (function* () {
    for (const e of events) {
      yield `${e.event.id}\t${e.authority}\t${escape(e.event.subject)}\t${e.event.sequence}\t${e.event.type}\t${escape(JSON.stringify(e.event))}\t\\\\x${e.value.toString('hex')}\n`;
    }
  })();
  await pipeline(Readable.from(lines), db.query(copyFrom('COPY copy_limit FROM STDIN')));
}

/** Merge transactions so far, the messages they held and the seconds they took, from the registry's /metrics. */
async function freshness(
  base: string,
  topics: ReturnType<typeof topicNames>,
  signers: Record<AuthorityCode, { keyId: string; privateKey: ReturnType<typeof parsePrivateKey> }>,
  offset: number,
  /** Each run of the phase publishes other numbers and texts. */
  run = 0,
) {
  // About 29 % of generated events are Hong Kong creations: four times the events gives enough for the whole phase
  // (each is re-signed below with a new number and text, so it is generated unsigned).
  const fresh = generateEvents({ seed: 7, events: FRESHNESS_SECONDS * 1000 * 4, keys: null }).filter((e) => e.event.type === 'recordation.created');
  // Distinct numbers and texts so these do not collide with the ingested set.
  const producer = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-fresh', ...TEST_KAFKA_PRINCIPALS.HK, logLevel: 'ERROR' }).producer();
  await producer.connect();
  const latencies: number[] = [];
  // Every 25th event is probed until /api/check sees it, oldest first: one prober, one request at a time, 5 ms
  // apart. Its load stays a fraction of one client's (two back-to-back probers took most of the lookup capacity of
  // this 2-core machine and slowed the very merge they measured). Events become visible nearly in order, so when the
  // oldest shows up the next ones are checked at once; out of order, a latency is over-stated, never under-stated.
  const pending: { text: string; sentAt: number }[] = [];
  let producing = true;
  const prober = async () => {
    while (producing || pending.length) {
      const probe = pending[0];
      if (!probe) {
        await sleep(2);
        continue;
      }
      const response = await fetch(`${base}/api/check?mark=${encodeURIComponent(probe.text)}`, {
        headers: { authorization: `Bearer ${BENCH_TOKENS.officer}` },
      });
      if (response.ok && ((await response.json()) as { recorded: boolean }).recorded) {
        latencies.push(performance.now() - probe.sentAt);
        pending.shift();
        continue;
      }
      if (performance.now() - probe.sentAt > 60_000) throw new Error(`${probe.text} not visible within 60 s`);
      await sleep(5);
    }
  };
  const probing = prober();
  const hk = fresh.filter((e) => e.authority === 'HK');
  const { encodeSignedEvent } = await import('#contracts');
  const started = performance.now();
  let produced = 0;
  let producingMs: number;
  // Steady 1 000 events/s: every 10 ms, the events due by then go in one send, not awaited one by one (a send
  // waits for all replicas, ~4 ms here: awaiting each held the rate to ~250/s).
  const sends: Promise<unknown>[] = [];
  try {
    while (produced < hk.length && performance.now() - started < FRESHNESS_SECONDS * 1000) {
      const due = Math.min(hk.length, Math.floor(performance.now() - started));
      const messages = [];
      const sentAt = performance.now();
      for (; produced < due; produced++) {
        // Unrelated texts: FRESH…X1, FRESH…X2, … were look-alikes of one another, so every probe's /api/check ran
        // a fuzzy match over thousands of them and the prober, not the merge, set the figure.
        const text = `FX${createHash('sha256').update(`${offset}:${run}:${produced}`).digest('hex').slice(0, 12).toUpperCase()}`;
        const number = `HK-2026-${String(900000 - run * 50_000 - produced).padStart(6, '0')}`;
        const event = {
          ...hk[produced].event,
          // Each run re-uses the generated events: a new id, or the registry would take them for the earlier run's.
          id: uuidv7(),
          subject: number,
          data: { ...hk[produced].event.data, recordationNumber: number, mark: { text, type: 'word' as const } },
        };
        messages.push({ key: number, value: encodeSignedEvent(event, signers.HK) });
        if (produced % 25 === 0) pending.push({ text, sentAt });
      }
      if (messages.length) sends.push(producer.send({ topic: topics.HK, messages }));
      await sleep(10);
    }
    await Promise.all(sends);
  } finally {
    producing = false;
    producingMs = performance.now() - started;
  }
  await probing;
  await producer.disconnect();
  latencies.sort((a, b) => a - b);
  const producedPerSecond = rate(produced, producingMs);
  return { samples: latencies.length, produced, producedPerSecond, p50Ms: Math.round(percentile(latencies, 50)), p99Ms: Math.round(percentile(latencies, 99)) };
}

function report(results: Record<string, unknown>): void {
  const dir = 'bench/results';
  mkdirSync(dir, { recursive: true });
  const stamp = String(results.time).replace(/[:.]/g, '-');
  writeFileSync(`${dir}/${stamp}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const ingest = results.ingest as Record<string, Spread> & {
    runs: number;
    naiveMeasuredOn: number;
    unverifiedEventsPerSecond?: number;
    unverifiedOverCopy?: number;
  };
  const limits = results.limits as Record<string, number>;
  const lookup = results.lookup as { recordations: number; runs: number; figures: RepeatedLatency };
  const batch = results.batchCheck as BatchFigures;
  const fresh = results.freshness as Record<string, Spread> & { runs: number };
  const replay = results.replay as Record<string, number | boolean>;
  const machine = results.machine as Record<string, string | number>;
  const ratio = (s: Spread, digits: number) => cell({ ...s, median: +s.median.toFixed(digits), min: +s.min.toFixed(digits), max: +s.max.toFixed(digits) });
  const md = `
## ${String(results.time)} — ${results.quick ? 'quick' : 'full'} run, ${String(results.events)} events

Machine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}; Kafka 4.1.1 (local, KRaft), Kafka client ${kafkaClientName()} (KAFKA_CLIENT); PostgreSQL 15.
Ingest rows and freshness: ${ingest.runs} run${ingest.runs > 1 ? 's' : ''}${ingest.runs > 1 ? ', median (min–max), each ratio taken within its run' : ''}; the other limits once.

| ingest (events/s) | value | ratio ours / it |
|---|---|---|
| **ours** (batch merge, signatures verified) | ${ratio(ingest.oursEventsPerSecond, 0)} | — |
| naive Nest @EventPattern + TypeORM save (on ${ingest.naiveMeasuredOn}) | ${ratio(ingest.naiveEventsPerSecond, 0)} | ${ratio(ingest.oursOverNaive, 1)} |
| limit: raw kafkajs consumption | ${limits.rawConsumeEventsPerSecond} | ${ratio(ingest.oursOverRawConsume, 3)} |
| limit: COPY of the same rows | ${ratio(ingest.copyRowsPerSecond, 0)} | ${ratio(ingest.oursOverCopy, 3)} |
| limit: Ed25519 verify, 1 core | ${limits.verifyPerSecondOneCore} | ${ratio(ingest.oursOverVerifyOneCore, 2)} |
| limit: the same, ${limits.verifyThreads} worker threads | ${limits.verifyPerSecondAllThreads} | ${ratio(ingest.oursOverVerifyAllThreads, 2)} |
| ours with signatures not checked (VERIFY_SIGNATURES=false, once), ratio to COPY | ${ingest.unverifiedEventsPerSecond ?? 'full run only'} | ${ingest.unverifiedOverCopy === undefined ? '' : `${ingest.unverifiedOverCopy} of COPY`} |
| for reference: full decode (Ed25519 + contract validation), 1 core | ${limits.decodePerSecondOneCore} | ${ratio(ingest.oursOverDecodeOneCore, 2)} |

Our ingest's ${ratio(ingest.mergeTransactions, 0)} merge transactions (side by side; their durations summed) took ${ratio(ingest.mergeShareOfWall, 2)} of its wall time; merge-lock wait (held up by another merge's lock, summed over the merges) ${ratio(ingest.mergeLockBlockedShareOfWall, 3)} of the wall, all statements taking merge locks (round trips included) ${ratio(ingest.mergeLockWaitShareOfWall, 3)}; ${ratio(ingest.mergeRetries, 0)} transactions run again after losing a lock race.

Freshness at a steady ${cell(fresh.producedPerSecond)} events/s (${cell(fresh.produced)} produced; produce → visible through /api/check): p50 ${cell(fresh.p50Ms)} ms, p99 ${cell(fresh.p99Ms)} ms (${cell(fresh.samples)} samples); meanwhile ${cell(fresh.transactions)} merge transactions of ${ratio(fresh.messagesPerTransaction, 1)} messages, ${ratio(fresh.msPerTransaction, 1)} ms each.

Lookup on ${lookup.recordations} recordations (mix of exact, 简→繁, misspelt, miss; client in the same machine; each row ${lookup.runs} times, median (min–max)):

| endpoint@clients | req/s | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|
${latencyRows(lookup.figures)}

Bulk screening (${batch.lines} different marks of the same mix, NDJSON, ${RUNS} runs): POST /api/check/batch ${cell(batch.batchMarksPerSecond)} marks/s; the same marks as single /api/check calls at 16 clients ${cell(batch.singleMarksPerSecond)} marks/s (batch / single ${batch.batchOverSingle}×).

Replay: ${replay.events} events in ${replay.seconds} s (${replay.eventsPerSecond} events/s), digest ${replay.digestMatch ? 'matches' : 'DIFFERS'}.
`;
  if (!existsSync('bench/RESULTS.md'))
    writeFileSync(
      'bench/RESULTS.md',
      '# Benchmark results\n\nAppended by `npm run bench`; newest last. Figures from one machine at a time: compare ratios, not absolutes.\n',
    );
  appendFileSync('bench/RESULTS.md', md);
  writeFileSync(
    `${dir}/${stamp}.svg`,
    chart(
      {
        oursEventsPerSecond: ingest.oursEventsPerSecond.median,
        unverifiedEventsPerSecond: ingest.unverifiedEventsPerSecond ?? 0,
        naiveEventsPerSecond: ingest.naiveEventsPerSecond.median,
      },
      { ...limits, copyRowsPerSecond: ingest.copyRowsPerSecond.median },
      Object.fromEntries(Object.entries(lookup.figures).map(([key, f]) => [key, { p50Ms: f.p50Ms.median, p95Ms: f.p95Ms.median, p99Ms: f.p99Ms.median }])),
    ),
  );
  process.stdout.write(md);
}

/** A small bar chart: throughputs (log scale) and lookup latency percentiles. */
function chart(ingest: Record<string, number>, limits: Record<string, number>, lookup: Record<string, Record<string, number> | number>): string {
  const bars: [string, number][] = [
    ['ours', ingest.oursEventsPerSecond],
    ...(ingest.unverifiedEventsPerSecond ? ([['ours, unverified', ingest.unverifiedEventsPerSecond]] as [string, number][]) : []),
    ['naive', ingest.naiveEventsPerSecond],
    ['raw consume', limits.rawConsumeEventsPerSecond],
    ['COPY', limits.copyRowsPerSecond],
    ['verify 1 core', limits.verifyPerSecondOneCore],
    [`verify ${limits.verifyThreads} thr`, limits.verifyPerSecondAllThreads],
  ];
  const max = Math.log10(Math.max(...bars.map(([, v]) => v), 10));
  const rows = bars
    .map(([label, value], i) => {
      const width = Math.max(2, (Math.log10(Math.max(value, 1)) / max) * 420);
      return `<text x="10" y="${40 + i * 26}" font-size="12">${label}</text><rect x="130" y="${28 + i * 26}" width="${width.toFixed(0)}" height="16" fill="${i === 0 ? '#1f6feb' : '#8b949e'}"/><text x="${(135 + width).toFixed(0)}" y="${40 + i * 26}" font-size="11">${value.toLocaleString('en')}/s</text>`;
    })
    .join('');
  const lookupEntries = Object.entries(lookup).filter(([key]) => key.includes('@')) as [string, Record<string, number>][];
  const lmax = Math.max(...lookupEntries.map(([, v]) => v.p99Ms), 1);
  const lrows = lookupEntries
    .map(([key, v], i) => {
      const y = 230 + i * 22;
      const scale = (ms: number) => (ms / lmax) * 400;
      return `<text x="10" y="${y + 12}" font-size="12">${key}</text><rect x="130" y="${y}" width="${scale(v.p99Ms).toFixed(0)}" height="14" fill="#f0b429"/><rect x="130" y="${y}" width="${scale(v.p95Ms).toFixed(0)}" height="14" fill="#e07b00"/><rect x="130" y="${y}" width="${scale(v.p50Ms).toFixed(0)}" height="14" fill="#b35900"/><text x="${(135 + scale(v.p99Ms)).toFixed(0)}" y="${y + 12}" font-size="11">p50 ${v.p50Ms} / p95 ${v.p95Ms} / p99 ${v.p99Ms} ms</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${250 + lookupEntries.length * 22}" font-family="sans-serif"><text x="10" y="16" font-size="14" font-weight="bold">Ingest throughput (events/s, log scale)</text>${rows}<text x="10" y="215" font-size="14" font-weight="bold">Lookup latency</text>${lrows}</svg>\n`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'benchmark failed');
    process.exit(1);
  },
);
