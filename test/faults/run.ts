/**
 * npm run test:faults [-- --quick] [--only <name,…>] [--seed N] [--no-record]
 * npm run test:faults:cluster [-- --quick] [--only cluster-broker-kill,…]   (the cross-border scenarios, --cluster)
 *
 * The fault suite (issue 9) on the real broker and database, at the sizes (or CI's with --quick): prints a
 * table (scenario, runs, events, lost, duplicated, 5xx, result) and appends it to docs/reliability.md with the date
 * and versions. Exits 1 when any scenario broke a promise.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createLogger } from '#platform';
import type { Scenario, ScenarioResult } from './scenario.js';
import { CLUSTER_SCENARIOS } from './scenarios/cluster-faults.js';
import { SCENARIOS } from './scenarios/index.js';

const logger = createLogger('faults');
const args = process.argv.slice(2);
const valueOf = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const quick = args.includes('--quick');
const seed = Number(valueOf('--seed') ?? 20240314);
const only = valueOf('--only')?.split(',');
const record = !args.includes('--no-record');
// The cross-border scenarios run a three-broker cluster of their own: a command of their own (test:faults:cluster).
const cluster = args.includes('--cluster');
const suite: Record<string, Scenario> = cluster ? CLUSTER_SCENARIOS : SCENARIOS;

async function main(): Promise<void> {
  const chosen = Object.entries(suite).filter(([name]) => !only || only.includes(name));
  if (!chosen.length) throw new Error(`no scenario matches --only ${only?.join(',')}; known: ${Object.keys(suite).join(', ')}`);
  const results: ScenarioResult[] = [];
  const started = Date.now();
  // The machine is shared: every table says how busy it was (1-minute load average at the start and the end).
  loadAtStart = os.loadavg()[0];
  for (const [name, scenario] of chosen) {
    logger.info({ scenario: name, quick, seed }, 'scenario starting');
    try {
      results.push(await scenario({ quick, seed }));
    } catch (error) {
      logger.error({ err: error, scenario: name }, 'scenario failed to run');
      results.push({
        scenario: name,
        runs: 0,
        events: 0,
        lost: NaN,
        duplicated: NaN,
        http5xx: NaN,
        passed: false,
        notes: [`did not complete: ${(error as Error).message.slice(0, 300)}`],
      });
    }
    logger.info({ ...results[results.length - 1] }, 'scenario done');
  }
  const table = render(results, Date.now() - started);
  process.stdout.write(table);
  if (record) appendReliability(table);
  if (results.some((r) => !r.passed)) process.exit(1);
}

let loadAtStart = 0;

function render(results: ScenarioResult[], ms: number): string {
  const versions = JSON.parse(readFileSync('node_modules/kafkajs/package.json', 'utf8')).version as string;
  const rows = results
    .map((r) => `| ${r.scenario} | ${r.runs} | ${r.events} | ${r.lost} | ${r.duplicated} | ${r.http5xx} | ${r.passed ? 'pass' : '**FAIL**'} |`)
    .join('\n');
  const notes = results.map((r) => `- ${r.scenario}: ${r.notes.join('; ')}`).join('\n');
  return `
## ${new Date().toISOString()} — ${quick ? 'quick (CI size)' : 'full'} run, seed ${seed}, ${(ms / 60_000).toFixed(1)} min

Node ${process.version}, kafkajs ${versions}, Kafka 4.1.1 (KRaft, ${cluster ? 'three nodes, racks CN/HK/MO, RF 3, min ISR 2' : 'one node'}), PostgreSQL 15; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end.

| scenario | runs | events | lost | duplicated | 5xx | result |
|---|---|---|---|---|---|---|
${rows}

${notes}
`;
}

function appendReliability(table: string): void {
  const path = 'docs/reliability.md';
  if (!existsSync(path)) writeFileSync(path, '# Reliability\n\nWhat the fault suite (`npm run test:faults`) measured; newest last.\n');
  appendFileSync(path, table);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'fault suite failed');
    process.exit(1);
  },
);
