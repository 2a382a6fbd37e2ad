/** Lookup load shared by the benchmarks: a query mix from known mark texts, and latency under N concurrent clients. */

import autocannon from 'autocannon';
import { CHARACTER_PAIRS } from '#datagen';

const TRADITIONAL = new Map(CHARACTER_PAIRS.filter(([simplified, traditional]) => simplified !== traditional));

/** 400 queries: a quarter each exact, 简→繁, misspelt (last letter changed) and miss. */
export function lookupQueries(texts: readonly string[]): string[] {
  const queries: string[] = [];
  for (let i = 0; i < 400; i++) {
    const text = texts[(i * 7919) % texts.length];
    switch (i % 4) {
      case 0:
        queries.push(text);
        break;
      case 1:
        queries.push([...text].map((c) => TRADITIONAL.get(c) ?? c).join(''));
        break;
      case 2:
        queries.push(`${text.slice(0, -1)}X`);
        break;
      default:
        queries.push(`NOSUCHMARK${i}`);
    }
  }
  return queries;
}

export interface LatencyFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * `/api/check` and `/api/marks/search` at 1, 16 and 64 clients for `seconds` each; keys `check@16` etc. The load comes
 * from autocannon (keep-alive connections, one request in flight on each): the client shares the machine's two cores
 * with the registry and PostgreSQL, and with fetch() the same registry served fewer requests (check@16: 239 against
 * 297 req/s on one database).
 */
export async function measureLookups(
  base: string,
  token: string,
  queries: readonly string[],
  seconds: number,
  onFigure?: (key: string, figures: LatencyFigures) => void,
): Promise<Record<string, LatencyFigures>> {
  const out: Record<string, LatencyFigures> = {};
  for (const endpoint of ['check', 'search'] as const) {
    for (const clients of [1, 16, 64]) {
      const latencies: number[] = [];
      const failures: number[] = [];
      // One walk through the queries shared by all connections, so concurrent clients ask different things.
      let next = 0;
      const pathOf = (query: string) =>
        endpoint === 'check' ? `/api/check?mark=${encodeURIComponent(query)}` : `/api/marks/search?q=${encodeURIComponent(query)}`;
      const tracker = autocannon({
        url: base,
        connections: clients,
        duration: seconds,
        headers: { authorization: `Bearer ${token}` },
        requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathOf(queries[next++ % queries.length]) }) }],
      });
      tracker.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode === 200) latencies.push(responseTime);
        else failures.push(statusCode);
      });
      const result = await tracker;
      if (failures.length || result.errors)
        throw new Error(`${endpoint}@${clients}: ${failures.length} answers not 200 (first ${failures[0]}), ${result.errors} errors`);
      latencies.sort((a, b) => a - b);
      const key = `${endpoint}@${clients}`;
      out[key] = {
        requestsPerSecond: Math.round(latencies.length / seconds),
        p50Ms: +percentile(latencies, 50).toFixed(2),
        p95Ms: +percentile(latencies, 95).toFixed(2),
        p99Ms: +percentile(latencies, 99).toFixed(2),
      };
      onFigure?.(key, out[key]);
    }
  }
  return out;
}

/** The bench's bearer tokens (the registry process is started with them). */
export const BENCH_TOKENS = { officer: 'bench-officer', auditor: 'bench-auditor' } as const;

/** Environment of a registry process the benchmarks start: its database, its topic prefix, no rate limit to speak of. */
export function benchRegistryEnv(options: {
  port: number;
  databaseUrl: string;
  prefix: string;
  trustedKeys: string;
  brokers: string[];
  principal: { username: string; password: string };
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(options.port),
    LOG_LEVEL: 'error',
    DATABASE_URL: options.databaseUrl,
    KAFKA_BROKERS: options.brokers.join(','),
    KAFKA_TOPIC_PREFIX: options.prefix,
    KAFKA_USERNAME: options.principal.username,
    KAFKA_PASSWORD: options.principal.password,
    KAFKA_CONSUMER_GROUP: `registry-${options.prefix}`,
    TRUSTED_KEYS: options.trustedKeys,
    OFFICER_TOKEN_HK: BENCH_TOKENS.officer,
    AUDITOR_TOKEN: BENCH_TOKENS.auditor,
    RATE_LIMIT_PER_MINUTE: '10000000',
  };
}
