/**
 * npm run bench:replay [-- --events N] [--runs N] [--quick]
 *
 * Replay at registry scale (issue 8, item 5; issue 18, item 5): 1 000 000 events by default, replayed three times
 * from the same log (median and spread: the machine is shared and noisy). The generator's signed events are
 * produced to fresh topics, each to a partition chosen here (so every event's offset is known); then the replay
 * (`npm run replay`'s code: verification, merge, COPY, indexes) rebuilds the registry from offset 0 and its stored
 * digest is checked against an independent fold of the same events in memory (mergeEvent in log order with each
 * event's topic/partition/offset, grouped by the domain code). The live consumer is not run: at its rate a million
 * events take over half an hour here; its equivalence with the replay's bulk load is the integration test
 * `registry-bulk-load.int-spec.ts`, and the full benchmark checks live and replay digests on 200 000 events.
 * Appends to bench/RESULTS.md.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import { generateEvents } from '#datagen';
import { digestOfRegistry, eventRefOf, mergeEvent, recordationId, type RegistryRecordation } from '#domain';
import { createKafka, createLogger, runMigrations } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { cell, spreadOf, type Spread } from './batch-check.js';
import { benchSetup, produceEvents, replayBench } from './bench-setup.js';

const logger = createLogger('bench-replay');
const args = process.argv.slice(2);
const argValue = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : undefined;
};
const EVENTS = argValue('--events') ?? (args.includes('--quick') ? 50_000 : 1_000_000);
const RUNS = argValue('--runs') ?? 3;

async function main(): Promise<void> {
  const { database, topics, keys, signers } = await benchSetup('bench_replay');
  try {
    const partitionsOf = new Map<string, number>();
    const kafkaAdmin = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-replay', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'ERROR' }).admin();
    await kafkaAdmin.connect();
    for (const authority of ['CN', 'HK', 'MO'] as const) partitionsOf.set(authority, (await kafkaAdmin.fetchTopicOffsets(topics[authority])).length);
    await kafkaAdmin.disconnect();

    let started = performance.now();
    const events = generateEvents({ seed: 42, events: EVENTS, keys: signers });
    logger.info({ events: events.length, seconds: Math.round((performance.now() - started) / 1000) }, 'generated');

    // Each event to a partition chosen by its key (as the authorities' producers keep one recordation on one
    // partition); one producer per authority, in order, so offsets are consecutive per partition from 0.
    started = performance.now();
    const recordations = new Map<string, RegistryRecordation>();
    const nextOffset = new Map<string, number>();
    await produceEvents(events, topics, {
      partitionOf: (e) => createHash('md5').update(e.key).digest().readUInt32BE(0) % partitionsOf.get(e.authority)!,
      // The independent fold: the registry's merge rule per event, with the offset the event now has.
      afterSend: (sent) => {
        for (const { event: e, partition } of sent) {
          const at = `${e.authority}:${partition}`;
          const offset = nextOffset.get(at) ?? 0;
          nextOffset.set(at, offset + 1);
          const ref = eventRefOf(e.event, topics[e.authority], partition!, String(offset), new Date().toISOString(), signers[e.authority].keyId, true);
          const id = recordationId(e.authority, e.event.subject);
          const outcome = mergeEvent(recordations.get(id), e.event, ref, false);
          if (outcome.disposition === 'applied') recordations.set(id, outcome.next);
        }
      },
    });
    const produceSeconds = (performance.now() - started) / 1000;
    events.length = 0;
    const expectedDigest = digestOfRegistry(recordations, new Map());
    const recordationCount = recordations.size;
    recordations.clear();
    logger.info({ produceSeconds: Math.round(produceSeconds), recordations: recordationCount }, 'produced and folded');

    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    const runs: { seconds: number; eventsPerSecond: number; withDigestSeconds: number; match: boolean; events: number }[] = [];
    for (let run = 1; run <= RUNS; run++) {
      // Each run rebuilds the same schema from offset 0 (the replay drops it first) with a consumer group of its own.
      started = performance.now();
      const result = await replayBench({ database, topics, keys }, { expectedDigest, progress: true });
      const withDigestSeconds = (performance.now() - started) / 1000;
      runs.push({ seconds: result.seconds, eventsPerSecond: result.eventsPerSecond, withDigestSeconds, match: result.match, events: result.events });
      logger.info({ run, seconds: result.seconds, match: result.match }, 'replay run done');
    }
    report({
      time: new Date().toISOString(),
      events: runs[0].events,
      recordations: recordationCount,
      seconds: spreadOf(runs.map((r) => r.seconds)),
      eventsPerSecond: spreadOf(runs.map((r) => r.eventsPerSecond)),
      withDigestSeconds: spreadOf(runs.map((r) => r.withDigestSeconds)),
      match: runs.every((r) => r.match && r.events === runs[0].events),
    });
    if (!runs.every((r) => r.match)) process.exitCode = 1;
  } finally {
    await database.drop();
  }
}

function report(results: {
  time: string;
  events: number;
  recordations: number;
  seconds: Spread;
  eventsPerSecond: Spread;
  withDigestSeconds: Spread;
  match: boolean;
}): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${results.time.replace(/[:.]/g, '-')}-replay.json`, `${JSON.stringify(results, null, 2)}\n`);
  const md = `
## ${results.time} — replay at scale: ${results.events.toLocaleString('en')} events, ${results.seconds.runs.length} runs

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; Kafka and PostgreSQL 15 on the same machine.
\`npm run replay\`'s code from offset 0 into an empty schema: every signature verified and every event validated (decode
pool, ${Math.max(1, Math.min(4, os.availableParallelism()))} threads), merged in memory, written with COPY, indexes built after; the same log replayed
${results.seconds.runs.length} times, median (min–max). Target: 1 000 000 events in under 2 minutes.

| events | recordations | rebuild s | events/s | with the rebuilt registry's digest, s | digest equals the independent fold (every run) |
|---|---|---|---|---|---|
| ${results.events} | ${results.recordations} | ${cell(results.seconds)} | ${cell(results.eventsPerSecond)} | ${cell(results.withDigestSeconds)} | ${results.match ? 'yes' : '**no**'} |
`;
  appendFileSync('bench/RESULTS.md', md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'replay benchmark failed');
    process.exit(1);
  },
);
