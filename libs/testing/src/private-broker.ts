import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
// From the sources (jest) or from the build (dist/libs/testing/src): the script stays in the repository's deploy/.
const KAFKA_SH = ['../../../deploy/kafka/kafka.sh', '../../../../deploy/kafka/kafka.sh'].map((relative) => fileURLToPath(new URL(relative, import.meta.url))).find((path) => existsSync(path))!;

/**
 * A Kafka broker of a test's own (same script, same config, other ports and data dir), for tests that stop and
 * start the broker without disturbing the shared one other tests use.
 */
export class PrivateBroker {
  private constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dataDir: string,
  ) {}

  static async start(port: number): Promise<PrivateBroker> {
    const dataDir = mkdtempSync(join(tmpdir(), `rx-kafka-${port}-`));
    const broker = new PrivateBroker(port, { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1), KAFKA_DATA_DIR: dataDir }, dataDir);
    await broker.start();
    return broker;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  async start(): Promise<void> {
    await run('bash', [KAFKA_SH, 'start'], { env: this.env, timeout: 120_000 });
  }

  async stop(): Promise<void> {
    await run('bash', [KAFKA_SH, 'stop'], { env: this.env, timeout: 60_000 });
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
