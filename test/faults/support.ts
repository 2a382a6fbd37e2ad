import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { waitFor } from '#testing';

export type AppName = 'mainland' | 'hong-kong' | 'macao' | 'registry';

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * One app as its own process, started from the build (dist/), so the fault suite can SIGKILL it, watch its memory
 * and restart it exactly as an operator's supervisor would.
 */
export class ChildApp {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  /** The last lines the process wrote to stderr, for a failure message. */
  readonly stderrTail: string[] = [];

  private constructor(
    readonly name: AppName,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(name: AppName, env: NodeJS.ProcessEnv, options: { waitForHealth?: boolean } = {}): Promise<ChildApp> {
    const app = new ChildApp(name, await freePort(), env);
    await app.start(options);
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(options: { waitForHealth?: boolean } = {}): Promise<void> {
    const main = `dist/apps/${this.name}/src/main.js`;
    if (!existsSync(main)) throw new Error(`${main} is missing: build first (npm run build)`);
    const child = spawn(process.execPath, [main], { env: { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail.push(...chunk.split('\n').filter(Boolean));
      if (this.stderrTail.length > 40) this.stderrTail.splice(0, this.stderrTail.length - 40);
    });
    if (options.waitForHealth !== false) {
      await waitFor(
        async () => {
          if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.stderrTail.join('\n')}`);
          return (await fetch(`${this.url}/health`).then((r) => r.status).catch(() => 0)) === 200;
        },
        { timeoutMs: 60_000, description: `${this.name} to answer /health` },
      );
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the graceful shutdown. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Resident memory of the process now, in bytes (Linux /proc). */
  rssBytes(): number {
    if (!this.pid) return 0;
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }
}

export const MiB = 1024 * 1024;
