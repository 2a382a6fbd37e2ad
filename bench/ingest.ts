/**
 * node dist/bench/ingest.js [--events N] [--unverified] [--cpu-prof DIR] [--registry-root DIR] [--keep]
 *
 * Ingest only (step 4 of bench/run.ts): generate, produce, start the registry on an empty schema, time until every
 * event is merged (--unverified: with VERIFY_SIGNATURES=false). For profiling the registry's ingest without the whole
 * benchmark; appends nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { generateEvents } from '#datagen';
import { runMigrations } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { benchSetup, mergeFigures, produceEvents } from './bench-setup.js';
import { benchRegistryEnv } from './lookup-load.js';

const args = process.argv.slice(2);
const argValue = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const EVENTS = Number(argValue('--events') ?? 20_000);
const cpuProf = argValue('--cpu-prof');
/** Another checkout's build of the registry to run against the same events (to compare its figures and digest). */
const registryRoot = argValue('--registry-root') ?? '.';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const { database, prefix, topics, keys, signers } = await benchSetup('ingest');
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  let child: ChildProcess | undefined;
  try {
    const events = generateEvents({ seed: 42, events: EVENTS, keys: signers });
    await produceEvents(events, topics);
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    const port = 3950 + Math.floor(Math.random() * 40);
    const env = {
      ...benchRegistryEnv({
        port,
        databaseUrl: database.url,
        prefix,
        trustedKeys: keys.trustedKeys,
        brokers: TEST_KAFKA_BROKERS,
        principal: TEST_KAFKA_PRINCIPALS.registry,
      }),
      VERIFY_SIGNATURES: String(!args.includes('--unverified')),
    };
    const started = performance.now();
    child = spawn(process.execPath, [...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []), `${registryRoot}/dist/apps/registry/src/main.js`], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const merged = async () => Number((await db.query<{ n: string }>('SELECT coalesce(sum(next_offset), 0) AS n FROM registry.consumer_offsets')).rows[0].n);
    while ((await merged()) < events.length) await sleep(50);
    const ms = performance.now() - started;
    // How much of the wall the merge transactions took (summed: they run side by side, so it may pass 1), and the
    // merge-lock wait share: the seconds merges waited for each other's key and mark locks over the wall.
    const merges = await mergeFigures(`http://127.0.0.1:${port}`);
    const digest = (
      await db.query<{
        r: string;
        m: string;
        e: string;
      }>(`SELECT md5(string_agg(authority || recordation_number || version || mark_id || data::text, ',' ORDER BY authority, recordation_number)) AS r,
      (SELECT md5(string_agg(mark_id || display_text || recorded || conflict || conflicts::text || recordation_count, ',' ORDER BY mark_id)) FROM registry.marks) AS m,
      (SELECT md5(string_agg(replace(topic, '${prefix}', '') || partition || "offset" || disposition || coalesce(changes::text, '') || md5(signed) || md5(payload::text), ',' ORDER BY topic, partition, "offset")) FROM registry.events) AS e
      FROM registry.recordations`)
    ).rows[0];
    console.log(
      JSON.stringify({
        events: events.length,
        ms: Math.round(ms),
        eventsPerSecond: Math.round((events.length / ms) * 1000),
        merges: {
          ...merges,
          shareOfWall: +((merges.seconds * 1000) / ms).toFixed(2),
          lockWaitShareOfWall: +((merges.lockWaitSeconds * 1000) / ms).toFixed(3),
          lockBlockedShareOfWall: +((merges.lockBlockedSeconds * 1000) / ms).toFixed(3),
        },
        digest,
      }),
    );
  } finally {
    if (child) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await db.end();
    if (!args.includes('--keep')) await database.drop();
    else console.log(database.url);
  }
}

await main();
process.exit(0);
