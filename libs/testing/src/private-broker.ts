import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
// From the sources (jest) or from the build (dist/libs/testing/src): the script stays in the repository's deploy/.
const KAFKA_SH = ['../../../deploy/kafka/kafka.sh', '../../../../deploy/kafka/kafka.sh']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path))!;

/**
 * What the tests' brokers run: the loopback plaintext listener (KAFKA_TLS=false) unless the run says otherwise, as the
 * tests' clients connect without TLS (docs/security.md); a test that wants TLS passes KAFKA_TLS=true.
 */
const TEST_BROKER_TLS = process.env.KAFKA_TLS ?? 'false';

/**
 * A Kafka broker of a test's own (same script, same config, other ports and data dir), for tests that stop and
 * start the broker without disturbing the shared one other tests use.
 */
export class PrivateBroker {
  private constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    readonly dataDir: string,
  ) {}

  /** `env` overrides kafka.sh's environment, e.g. `{ KAFKA_TLS: 'true' }`. */
  static async start(port: number, env: NodeJS.ProcessEnv = {}): Promise<PrivateBroker> {
    const dataDir = mkdtempSync(join(tmpdir(), `rx-kafka-${port}-`));
    const broker = new PrivateBroker(
      port,
      { ...process.env, KAFKA_TLS: TEST_BROKER_TLS, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1), KAFKA_DATA_DIR: dataDir, ...env },
      dataDir,
    );
    try {
      await broker.start();
    } catch (error) {
      // A start that timed out may leave the broker coming up after all: never leave it running on the fixed port.
      await broker.destroy();
      throw error;
    }
    return broker;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  async start(): Promise<void> {
    // kafka.sh gives up after KAFKA_START_TIMEOUT (90 s by default); on a loaded machine a first start (format, and
    // with TLS the certificates) takes longer, so both limits are wider here.
    await run('bash', [KAFKA_SH, 'start'], { env: { KAFKA_START_TIMEOUT: '200', ...this.env }, timeout: 240_000 });
  }

  async stop(): Promise<void> {
    await run('bash', [KAFKA_SH, 'stop'], { env: this.env, timeout: 60_000 });
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * A three-broker KRaft cluster of a test's own (`kafka.sh --brokers 3` on other ports and a temporary data dir):
 * racks CN, HK, MO; replication factor 3, min ISR 2. Nodes can be killed, stopped (SIGSTOP: a hung site) and
 * restarted one at a time.
 */
export class PrivateCluster {
  static readonly RACKS = ['CN', 'HK', 'MO'] as const;

  private constructor(
    readonly ports: number[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly dataDir: string,
  ) {}

  /** Client ports base, base+1, base+2; controller ports base+100 … */
  static async start(base: number): Promise<PrivateCluster> {
    const dataDir = mkdtempSync(join(tmpdir(), `rx-kafka-cluster-${base}-`));
    const ports = [base, base + 1, base + 2];
    const env = {
      ...process.env,
      KAFKA_CLUSTER_PORTS: ports.join(','),
      KAFKA_CLUSTER_CONTROLLER_PORTS: ports.map((port) => port + 100).join(','),
      KAFKA_CLUSTER_DATA_DIR: dataDir,
      KAFKA_START_TIMEOUT: '180',
      KAFKA_TLS: TEST_BROKER_TLS,
    };
    const cluster = new PrivateCluster(ports, env, dataDir);
    try {
      await run('bash', [KAFKA_SH, 'start', '--brokers', '3'], { env, timeout: 300_000 });
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get brokers(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  /** Starts node 1–3 (when it is not running) and waits until it answers. */
  async startNode(node: number): Promise<void> {
    await run('bash', [KAFKA_SH, 'start', '--brokers', '3', '--node', String(node)], { env: this.env, timeout: 240_000 });
  }

  async pid(node: number): Promise<number> {
    const { stdout } = await run('bash', [KAFKA_SH, 'pid', '--brokers', '3', '--node', String(node)], { env: this.env, timeout: 30_000 });
    return Number(stdout.trim());
  }

  /** Sends a signal to node 1–3 (SIGKILL: the site's broker dies; SIGSTOP/SIGCONT: it hangs and resumes). */
  async signal(node: number, signal: NodeJS.Signals): Promise<void> {
    const pid = await this.pid(node);
    process.kill(pid, signal);
    if (signal === 'SIGKILL') {
      while (
        (() => {
          try {
            process.kill(pid, 0);
            return true;
          } catch {
            return false;
          }
        })()
      )
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async destroy(): Promise<void> {
    await run('bash', [KAFKA_SH, 'stop', '--brokers', '3'], { env: this.env, timeout: 120_000 }).catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
