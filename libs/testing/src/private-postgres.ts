import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries Debian installed (initdb and pg_ctl are not on PATH there). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (Debian postgresql package)');
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return join(root, version, 'bin');
}

/**
 * A PostgreSQL cluster of a test's own (initdb in a temporary directory, its own port), for fault tests that stop
 * and restart the database without disturbing the machine's cluster other tests use. PostgreSQL refuses to run as
 * root, so as root it runs as the `postgres` user.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly bin: string,
  ) {}

  static async start(port: number): Promise<PrivatePostgres> {
    const base = mkdtempSync(join(tmpdir(), `rx-pg-${port}-`));
    chmodSync(base, 0o755);
    const cluster = new PrivatePostgres(port, join(base, 'data'), postgresBinDir());
    if (process.getuid?.() === 0) chownSync(base, ...(await cluster.postgresIds()));
    await cluster.as(join(cluster.bin, 'initdb'), ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200`;
    await this.as(join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-o', options, '-w', '-t', '60', '-l', join(this.dataDir, '..', 'server.log'), 'start']);
  }

  /** A fast shutdown: open connections are cut, as in a crash of the server's clients' view. */
  async stop(): Promise<void> {
    await this.as(join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }

  private async postgresIds(): Promise<[number, number]> {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    return [Number(stdout.trim()), Number(group.trim())];
  }

  private async as(command: string, args: string[]): Promise<void> {
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: 120_000 });
    else await run(command, args, { timeout: 120_000 });
  }
}
