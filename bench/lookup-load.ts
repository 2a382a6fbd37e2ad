/** Lookup load shared by the benchmarks: a query mix from known mark texts, and latency under N concurrent clients. */

const TRADITIONAL: Record<string, string> = { 龙: '龍', 华: '華', 丽: '麗', 凤: '鳳', 东: '東', 门: '門', 马: '馬', 宝: '寶', 风: '風', 云: '雲', 国: '國', 乐: '樂', 鸟: '鳥', 鱼: '魚', 长: '長', 汉: '漢', 红: '紅', 丝: '絲', 钻: '鑽', 银: '銀' };

/** 400 queries: a quarter each exact, 简→繁, misspelt (last letter changed) and miss. */
export function lookupQueries(texts: readonly string[]): string[] {
  const queries: string[] = [];
  for (let i = 0; i < 400; i++) {
    const text = texts[(i * 7919) % texts.length];
    switch (i % 4) {
      case 0: queries.push(text); break;
      case 1: queries.push(text.replace(/[龙华丽凤东门马宝风云国乐鸟鱼长汉红丝钻银]/g, (c) => TRADITIONAL[c] ?? c)); break;
      case 2: queries.push(`${text.slice(0, -1)}X`); break;
      default: queries.push(`NOSUCHMARK${i}`);
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

/** `/api/check` and `/api/marks/search` at 1, 16 and 64 clients for `seconds` each; keys `check@16` etc. */
export async function measureLookups(base: string, token: string, queries: readonly string[], seconds: number, onFigure?: (key: string, figures: LatencyFigures) => void): Promise<Record<string, LatencyFigures>> {
  const out: Record<string, LatencyFigures> = {};
  for (const endpoint of ['check', 'search'] as const) {
    for (const clients of [1, 16, 64]) {
      const latencies: number[] = [];
      const deadline = performance.now() + seconds * 1000;
      let n = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (performance.now() < deadline) {
            const q = encodeURIComponent(queries[n++ % queries.length]);
            const path = endpoint === 'check' ? `/api/check?mark=${q}` : `/api/marks/search?q=${q}`;
            const started = performance.now();
            const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
            await response.arrayBuffer();
            if (!response.ok) throw new Error(`${path} answered ${response.status}`);
            latencies.push(performance.now() - started);
          }
        }),
      );
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
export function benchRegistryEnv(options: { port: number; databaseUrl: string; prefix: string; trustedKeys: string; brokers: string[]; principal: { username: string; password: string } }): NodeJS.ProcessEnv {
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
