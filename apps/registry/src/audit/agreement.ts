import { commonPositions, latestPositions, positionsBehind, type LogPositions } from './digest-at-positions.js';

/**
 * Whether several sites' registries agree: each site's digest as of the SAME log positions (GET /api/audit/digest
 * ?positions=…), and where they differ, the first differing entries (recordations, then marks) with each site's
 * record. Plain fetch: the sites are other jurisdictions' registries, reached over HTTP with an auditor credential.
 */
export interface AgreementOptions {
  token: string;
  /** How long to wait for every site to reach the latest positions any site has; then the common (lowest) ones are used. */
  waitMs: number;
  /** How many differing entries to show. */
  show: number;
  pollMs?: number;
  fetchTimeoutMs?: number;
}

export interface SiteDigest {
  url: string;
  site: string | null;
  digest: string;
  recordations: number;
  marks: number;
  events: number;
}

export interface AgreementResult {
  agree: boolean;
  /** `latest`: every site reached the latest positions seen; `common`: the lowest positions all sites had. */
  at: 'latest' | 'common';
  positions: LogPositions;
  sites: SiteDigest[];
  /** First differing entries: key, then per site (in URL order) its record or null when it lacks it. */
  differences: { key: string; records: unknown[] }[];
}

export class SiteUnreachable extends Error {}

async function getJson(url: string, token: string, timeoutMs: number, accept409 = false): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new SiteUnreachable(`${new URL(url).origin}: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok && !(accept409 && response.status === 409))
    throw new SiteUnreachable(`${new URL(url).origin}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

function digestUrl(base: string, params: Record<string, string>): string {
  const url = new URL('/api/audit/digest', base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

export async function checkAgreement(urls: readonly string[], options: AgreementOptions): Promise<AgreementResult> {
  const timeout = options.fetchTimeoutMs ?? 120_000;
  const poll = options.pollMs ?? 500;
  const current = async () => Promise.all(urls.map(async (url) => (await getJson(digestUrl(url, {}), options.token, timeout)).body.positions as LogPositions));

  // The latest positions any site has applied; wait (bounded) until every site is there, else use the common ones.
  const target = latestPositions(await current());
  const deadline = Date.now() + options.waitMs;
  let at: 'latest' | 'common' = 'latest';
  let positions = target;
  for (;;) {
    const now = await current();
    if (now.every((p) => positionsBehind(p, target).length === 0)) break;
    if (Date.now() >= deadline) {
      at = 'common';
      positions = commonPositions(now);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, poll));
  }

  const param = JSON.stringify(positions);
  const sites: SiteDigest[] = [];
  for (const url of urls) {
    const { body } = await getJson(digestUrl(url, { positions: param }), options.token, timeout);
    sites.push({
      url,
      site: (body.site as string | null) ?? null,
      digest: String(body.digest),
      recordations: Number(body.recordations),
      marks: Number(body.marks),
      events: Number(body.events),
    });
  }
  const agree = sites.every((s) => s.digest === sites[0].digest);
  if (agree) return { agree, at, positions, sites, differences: [] };

  // Where: every site's entries (key, SHA-256), the first keys whose hashes differ, then those records in full.
  const entries = await Promise.all(
    urls.map(async (url) => {
      const { body } = await getJson(digestUrl(url, { positions: param, detail: 'entries' }), options.token, timeout);
      return new Map((body.entries as { key: string; sha256: string }[]).map((e) => [e.key, e.sha256]));
    }),
  );
  const keys = [...new Set(entries.flatMap((m) => [...m.keys()]))].sort(entryOrder);
  const differing = keys.filter((key) => new Set(entries.map((m) => m.get(key) ?? null)).size > 1).slice(0, options.show);
  const records = await Promise.all(
    urls.map(async (url) => {
      const { body } = await getJson(digestUrl(url, { positions: param, entries: differing.join(',') }), options.token, timeout);
      return new Map((body.lines as { key: string; record: unknown }[]).map((l) => [l.key, l.record]));
    }),
  );
  return { agree, at, positions, sites, differences: differing.map((key) => ({ key, records: records.map((m) => m.get(key) ?? null) })) };
}

/** Recordations before marks, each in code-unit order (the digest's order). */
function entryOrder(a: string, b: string): number {
  const rank = (k: string) => (k.startsWith('recordation ') ? 0 : 1);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The paths (`r.data.goods`, `r.provenance.fields.goods` …) where the records of the sites differ, with each site's
 * value there; a record a site lacks is the path "" with null. At most `limit` paths, depth first in key order.
 */
export function differingPaths(records: readonly unknown[], limit = 10): { path: string; values: unknown[] }[] {
  const out: { path: string; values: unknown[] }[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const walk = (values: unknown[], path: string) => {
    if (out.length >= limit) return;
    if (values.every(isObject)) {
      const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
      for (const key of keys)
        walk(
          values.map((v) => v[key]),
          path ? `${path}.${key}` : key,
        );
      return;
    }
    const texts = values.map((v) => JSON.stringify(v ?? null));
    if (new Set(texts).size > 1) out.push({ path, values });
  };
  walk([...records], '');
  return out;
}
