import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, waitFor, type TestDatabase } from '#testing';

/** Free TCP ports on 127.0.0.1, so the script's apps do not meet a developer's running system. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * The README's first command, as a user runs it: `npm start` (scripts/start.sh) starts the four apps on the broker
 * (the one the test run already has), loads the demo through the authority APIs, prints where to look, answers, and
 * stops everything on Ctrl-C. On its own database, topic prefix and ports; the build is the test run's own.
 */
describe('npm start (scripts/start.sh)', () => {
  let database: TestDatabase;
  let script: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let ports: number[];
  let idpPort: number;

  beforeAll(async () => {
    database = await createTestDatabase('rx_start');
    ports = await freePorts(5);
    idpPort = ports.pop()!;
    script = spawn('bash', ['scripts/start.sh'], {
      env: {
        ...process.env,
        SKIP_BUILD: '1',
        // The run's broker: plaintext on loopback under npm test (npm start's own default is TLS).
        KAFKA_TLS: process.env.KAFKA_TLS ?? 'false',
        DATABASE_URL: database.url,
        KAFKA_TOPIC_PREFIX: `t${Date.now().toString(36)}start.`,
        REGISTRY_PORT: String(ports[0]),
        MAINLAND_PORT: String(ports[1]),
        HONG_KONG_PORT: String(ports[2]),
        MACAO_PORT: String(ports[3]),
        IDP_PORT: String(idpPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    script.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    script.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => script.once('exit', (code) => resolve(code)));
    await waitFor(() => output.includes('Press Ctrl-C') || output.includes('did not become ready') || output.includes('failed'), {
      timeoutMs: 180_000,
      description: 'npm start to print where to look',
    });
  }, 200_000);

  afterAll(async () => {
    if (script && script.exitCode === null) {
      script.kill('SIGINT');
      await exited;
    }
    await database?.drop();
  });

  it('prints where to look, and every address it prints answers', async () => {
    expect(output).toContain('Recordation Exchange is running');
    expect(output).toContain(`http://127.0.0.1:${ports[0]}/`);
    const page = await fetch(`http://127.0.0.1:${ports[0]}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
  });

  it("runs the identity provider: prints it, and a risk engine's client-credentials token looks up (issue 21)", async () => {
    expect(output).toContain(`http://127.0.0.1:${idpPort}/realms/{cn,hk,mo}`);
    const answer = await fetch(`http://127.0.0.1:${idpPort}/realms/hk/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('hk-risk-engine:hk-risk-engine-dev-secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const { access_token: token } = (await answer.json()) as { access_token: string };
    expect((await fetch(`http://127.0.0.1:${ports[0]}/api/check?mark=HERMES`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('has loaded the demo: an officer finds 愛馬仕 recorded, in the other script too', async () => {
    const check = async (mark: string) =>
      (
        await fetch(`http://127.0.0.1:${ports[0]}/api/check?mark=${encodeURIComponent(mark)}`, { headers: { authorization: 'Bearer dev-officer-hk' } })
      ).json() as Promise<{
        recorded: boolean;
        matches: { recordations: { authority: string }[] }[];
      }>;
    const traditional = await check('愛馬仕');
    expect(traditional.recorded).toBe(true);
    expect(new Set(traditional.matches.flatMap((match) => match.recordations.map((r) => r.authority)))).toEqual(new Set(['CN', 'HK', 'MO']));
    expect((await check('爱马仕')).recorded).toBe(true);
  });

  it('stops everything on Ctrl-C and says so', async () => {
    script.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output).toContain('stopped');
    expect(output).not.toContain('exited unexpectedly');
    for (const port of ports) await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
