import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_KAFKA_PORTS, createTestDatabase, waitFor } from '#testing';
import type { Scenario, ScenarioResult } from '../scenario.js';
import { freePort, seconds } from '../support.js';

const SITES = ['CN', 'HK', 'MO'] as const;

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Issue 17, item 4, as a user runs it: `npm run start:cluster` (scripts/start-cluster.sh) on a cluster, database, topic
 * prefix and ports of its own starts three brokers and six apps, loads the demo, prints every address (each answers
 * /health/ready), the three registries agree (`npm run audit:agree`, exit 0), and Ctrl-C (SIGINT) stops everything:
 * no broker or app port answers afterwards.
 */
export const startCluster: Scenario = async () => {
  const database = await createTestDatabase('rx_start_cluster');
  const dataDir = mkdtempSync(join(tmpdir(), 'rx-start-cluster-'));
  const base = PRIVATE_KAFKA_PORTS.startCluster;
  const brokerPorts = [base, base + 1, base + 2];
  const [registryCn, registryHk, registryMo, mainland, hongKong, macao] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const appPorts = [registryCn, registryHk, registryMo, mainland, hongKong, macao];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKIP_BUILD: '1',
    CLUSTER_DATABASE_URL: database.url,
    KAFKA_CLUSTER_PORTS: brokerPorts.join(','),
    KAFKA_CLUSTER_CONTROLLER_PORTS: brokerPorts.map((port) => port + 100).join(','),
    KAFKA_CLUSTER_DATA_DIR: dataDir,
    KAFKA_START_TIMEOUT: '180',
    KAFKA_TOPIC_PREFIX: `t${Date.now().toString(36)}cluster.`,
    REGISTRY_CN_PORT: String(registryCn),
    REGISTRY_HK_PORT: String(registryHk),
    REGISTRY_MO_PORT: String(registryMo),
    MAINLAND_PORT: String(mainland),
    HONG_KONG_PORT: String(hongKong),
    MACAO_PORT: String(macao),
    LOG_LEVEL: 'warn',
  };
  // The script takes its bootstrap list from KAFKA_CLUSTER_PORTS and refuses another one.
  delete env.KAFKA_BROKERS;
  const started = performance.now();
  const script = spawn('bash', ['scripts/start-cluster.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  script.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  script.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => script.once('exit', (code) => resolve(code)));
  const notes: string[] = [];
  let passed = false;
  try {
    await waitFor(() => output.includes('Press Ctrl-C') || script.exitCode !== null || undefined, {
      timeoutMs: 600_000,
      intervalMs: 500,
      description: 'start:cluster to print every address',
    });
    if (!output.includes('Press Ctrl-C')) throw new Error(`start:cluster ended before it was up:\n${output.slice(-2000)}`);
    notes.push(`up and printing its addresses after ${seconds(performance.now() - started)}`);
    const registries = [registryCn, registryHk, registryMo].map((port) => `http://127.0.0.1:${port}`);
    const printed = [...registries, ...[mainland, hongKong, macao].map((port) => `http://127.0.0.1:${port}/recordations`)].every((url) => output.includes(url));
    const ready = await Promise.all(
      appPorts.map((port) =>
        fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    );
    notes.push(`every address printed: ${printed}; /health/ready ${ready.join(' ')}`);
    const agree = spawn(process.execPath, ['dist/apps/registry/src/replay/agree.cli.js', ...registries, '--wait', '120'], {
      env: { ...process.env, AUDITOR_TOKEN: 'dev-auditor' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let agreed = '';
    agree.stdout.on('data', (chunk: Buffer) => (agreed += chunk.toString()));
    const agreeCode = await new Promise<number | null>((resolve) => agree.once('exit', (code) => resolve(code)));
    const sites = SITES.map((site) => new RegExp(`^${site} .*\\b(\\d+) events$`, 'm').exec(agreed)?.[1] ?? '?');
    notes.push(
      `audit:agree exit ${agreeCode} (${agreed.includes('AGREE:') ? 'AGREE' : 'no agreement'}; events CN ${sites[0]}, HK ${sites[1]}, MO ${sites[2]})`,
    );
    const stopping = performance.now();
    script.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 180_000))]);
    const stillListening = (await Promise.all([...appPorts, ...brokerPorts].map(async (port) => ((await listening(port)) ? port : undefined)))).filter(
      (port) => port !== undefined,
    );
    notes.push(`Ctrl-C: exit ${code} after ${seconds(performance.now() - stopping)}; ports still answering: ${stillListening.join(', ') || 'none'}`);
    passed = printed && ready.every((status) => status === 200) && agreeCode === 0 && code === 130 && stillListening.length === 0;
  } catch (error) {
    notes.push(`did not complete: ${(error as Error).message.slice(0, 500)}`);
  } finally {
    if (script.exitCode === null) {
      script.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 180_000))]);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await database.drop().catch(() => undefined);
  }
  const result: ScenarioResult = {
    scenario: 'start:cluster: three brokers, six apps, demo, agreement, Ctrl-C',
    runs: 1,
    events: 0,
    lost: 0,
    duplicated: 0,
    http5xx: 0,
    passed,
    notes,
  };
  return result;
};
