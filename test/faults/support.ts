import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import net from 'node:net';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { canonicalJson, parsePrivateKey, type AuthorityCode, type SigningKey, type TopicSet } from '#contracts';
import type { GeneratedEvent } from '#datagen';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor, type TestSigningKeys } from '#testing';

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
  /** The last lines the process logged (stdout and stderr), for a failure message. */
  readonly logTail: string[] = [];

  private constructor(
    readonly name: AppName,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    /** How long a start may take to answer /health (a busy machine running a 3-broker cluster needs more). */
    private readonly startTimeoutMs = 60_000,
    /** Also append everything the process logs to this file (kept after the run, for what the tail does not hold). */
    private readonly logFile?: string,
  ) {}

  static async start(
    name: AppName,
    env: NodeJS.ProcessEnv,
    options: { waitForHealth?: boolean; startTimeoutMs?: number; logFile?: string } = {},
  ): Promise<ChildApp> {
    if (options.logFile) mkdirSync(dirname(options.logFile), { recursive: true });
    const app = new ChildApp(name, await freePort(), env, options.startTimeoutMs, options.logFile);
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
    const child = spawn(process.execPath, [main], { env: { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: string) => {
      if (this.logFile) appendFileSync(this.logFile, chunk);
      this.logTail.push(...chunk.split('\n').filter(Boolean));
      if (this.logTail.length > 200) this.logTail.splice(0, this.logTail.length - 200);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    if (options.waitForHealth !== false) {
      await waitFor(
        async () => {
          if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.logTail.join('\n')}`);
          return (
            (await fetch(`${this.url}/health`)
              .then((r) => r.status)
              .catch(() => 0)) === 200
          );
        },
        { timeoutMs: this.startTimeoutMs, description: `${this.name} to answer /health` },
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

/** Signing keys of a TestSystem in the form the generator and encoder take. */
export function signersOf(keys: TestSigningKeys): Record<AuthorityCode, SigningKey> {
  return Object.fromEntries(
    Object.entries(keys.signers).map(([authority, signer]) => [authority, { keyId: signer.keyId, privateKey: parsePrivateKey(signer.privateKey) }]),
  ) as Record<AuthorityCode, SigningKey>;
}

/** Publishes generated events as each authority's principal onto its topic, in the generator's order per authority. */
export async function produceGenerated(events: GeneratedEvent[], topics: TopicSet, brokers: string[] = TEST_KAFKA_BROKERS): Promise<void> {
  for (const authority of ['CN', 'HK', 'MO'] as const) {
    const producer = createKafka({ brokers, clientId: `faults-${authority}`, ...TEST_KAFKA_PRINCIPALS[authority], logLevel: 'NOTHING' }).producer();
    await producer.connect();
    try {
      const mine = events.filter((e) => e.authority === authority);
      for (let i = 0; i < mine.length; i += 2000) {
        await producer.send({ topic: topics[authority], acks: -1, messages: mine.slice(i, i + 2000).map((e) => ({ key: e.key, value: e.value })) });
      }
    } finally {
      await producer.disconnect();
    }
  }
}

/**
 * A digest of recordation states (authority, number, version, status, data): what the registry must hold whatever
 * order, duplicates or crashes it met. Computed from the generator's last event per recordation, and from the
 * registry's table, the two must be equal.
 */
export function stateDigest(states: Iterable<{ authority: string; recordationNumber: string; version: number; status: string; data: unknown }>): {
  digest: string;
  recordations: number;
} {
  const lines = [...states].map((s) => `${s.authority}\t${s.recordationNumber}\t${s.version}\t${s.status}\t${canonicalJson(s.data)}`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`);
  return { digest: hash.digest('hex'), recordations: lines.length };
}

export function expectedStateDigest(events: GeneratedEvent[]): { digest: string; recordations: number } {
  const last = new Map<string, GeneratedEvent>();
  for (const e of events) last.set(`${e.authority}:${e.key}`, e);
  return stateDigest(
    [...last.values()].map((e) => ({
      authority: e.authority,
      recordationNumber: e.event.subject,
      version: e.event.sequence,
      status: e.event.data.status,
      data: e.event.data,
    })),
  );
}

export async function registryStateDigest(db: pg.Client, schema = 'registry'): Promise<{ digest: string; recordations: number }> {
  const { rows } = await db.query(`SELECT authority, recordation_number, version, status, data FROM ${schema}.recordations`);
  return stateDigest(
    rows.map((r) => ({ authority: r.authority, recordationNumber: r.recordation_number, version: r.version, status: r.status, data: r.data })),
  );
}

/**
 * What became of these events in the registry: `lost` were never stored, `appliedTwice` were applied more than once,
 * `copies` were stored more than once (a re-delivery recorded as a duplicate: allowed, but counted).
 */
export async function eventAccounting(
  db: pg.Client,
  eventIds: string[],
  schema = 'registry',
): Promise<{ lost: number; appliedTwice: number; copies: number; held: number }> {
  const { rows } = await db.query(
    `SELECT ids.id AS event_id,
            count(e.event_id)::int AS stored,
            count(*) FILTER (WHERE e.disposition = 'applied')::int AS applied,
            count(*) FILTER (WHERE e.disposition = 'held')::int AS held
       FROM unnest($1::uuid[]) AS ids(id) LEFT JOIN ${schema}.events e ON e.event_id = ids.id
      GROUP BY ids.id`,
    [eventIds],
  );
  return {
    lost: rows.filter((r) => r.stored === 0).length,
    appliedTwice: rows.filter((r) => r.applied > 1).length,
    copies: rows.reduce((sum, r) => sum + Math.max(0, r.stored - 1), 0),
    held: rows.reduce((sum, r) => sum + r.held, 0),
  };
}

/** How many messages the registry has merged or quarantined: the sum of its stored next offsets (0 before migrations). */
export async function mergedCount(db: pg.Client, schema = 'registry'): Promise<number> {
  try {
    return Number((await db.query(`SELECT coalesce(sum(next_offset), 0) AS n FROM ${schema}.consumer_offsets`)).rows[0].n);
  } catch {
    return 0;
  }
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a restarted server ends idle clients; the caller reconnects
  await client.connect();
  return client;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Requests at a steady rate (one every 1000/rate ms, not waiting for answers, as independent clients would), until
 * stopped. Keeps the status histogram and the results of the accepted ones.
 */
export class SteadyLoad<T> {
  readonly statuses = new Map<number, number>();
  readonly accepted: T[] = [];
  /** Answers of 500 and above other than 503 (a 503 is the clear "try again" an outage must give). */
  failures: string[] = [];
  /** The 503 answers by the reason they gave (`reason`, else `message`): a refusal must say why. */
  readonly refusals = new Map<string, number>();
  /** When each request was sent and answered 201 (performance.now()), for the fault's timeline. */
  readonly acceptedAt: { sent: number; answered: number }[] = [];
  private sent = 0;
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly rate: number,
    private readonly request: (index: number) => Promise<{ status: number; accepted?: T; detail?: string; reason?: string }>,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const index = this.sent++;
      const sentAt = performance.now();
      const attempt = this.request(index)
        .then(
          ({ status, accepted, detail, reason }) => {
            this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
            if (accepted !== undefined) {
              this.accepted.push(accepted);
              this.acceptedAt.push({ sent: sentAt, answered: performance.now() });
            }
            if (status === 503) this.refusals.set(reason ?? '(no reason given)', (this.refusals.get(reason ?? '(no reason given)') ?? 0) + 1);
            if (status >= 500 && status !== 503) this.failures.push(`${status} ${detail ?? ''}`.trim());
          },
          (error: unknown) => {
            // No answer at all (connection refused/reset): the client retries; counted apart from HTTP statuses.
            this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1);
            void error;
          },
        )
        .finally(() => this.inFlight.delete(attempt));
      this.inFlight.add(attempt);
    }, 1000 / this.rate);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }

  get requests(): number {
    return this.sent;
  }

  count(predicate: (status: number) => boolean): number {
    return [...this.statuses].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
  }

  histogram(): string {
    return [...this.statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status === 0 ? 'no answer' : status}×${n}`)
      .join(' ');
  }
}

/** POSTs a JSON body with a bearer token and an Idempotency-Key; returns status and parsed body. */
export async function postJson(url: string, token: string, body: unknown, idempotencyKey?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text: text.slice(0, 200) };
  }
  return { status: response.status, body: parsed };
}
