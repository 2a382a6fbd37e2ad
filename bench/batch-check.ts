/**
 * Bulk screening (issue 18, item 4) and repeated figures (item 5): POST /api/check/batch in marks per second against
 * the same marks sent as single /api/check calls, each figure run three times (median and spread: this machine is
 * shared and noisy); and the merge-lock wait from /metrics when the registry exports it.
 */
import autocannon from 'autocannon';
import { MAX_BATCH_LINES } from '../apps/registry/src/http/check-batch.js';
import { measureLookups, type LatencyFigures } from './lookup-load.js';

/** A figure measured several times: the median, the smallest and the largest. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spreadOf(values: number[], digits = 2): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const round = (value: number) => +value.toFixed(digits);
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), runs: values.map(round) };
}

/** "median (min–max)" for a table cell (the value alone when it was measured once). */
export const cell = (s: Spread | undefined) => (!s ? 'n/a' : s.runs.length > 1 ? `${s.median} (${s.min}–${s.max})` : String(s.median));

/** The batch's marks: the lookup mix repeated up to `lines`, each line different (a number suffix on repeats). */
export function batchMarks(queries: readonly string[], lines: number): string[] {
  return Array.from({ length: Math.min(lines, MAX_BATCH_LINES) }, (_, i) => {
    const query = queries[i % queries.length];
    const round = Math.floor(i / queries.length);
    return round === 0 ? query : `${query} ${round}`;
  });
}

/** One batch POST (NDJSON), read to its end; checks every line was answered, in order. Returns seconds. */
async function oneBatch(base: string, token: string, marks: readonly string[]): Promise<number> {
  const body = marks.map((mark, i) => JSON.stringify({ mark, lineId: `L${i}` })).join('\n');
  const started = performance.now();
  const response = await fetch(`${base}/api/check/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  const text = await response.text();
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 200) throw new Error(`batch check answered ${response.status}: ${text.slice(0, 200)}`);
  const answers = text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { index: number; lineId: string; recorded?: boolean });
  if (answers.length !== marks.length || answers.some((answer, i) => answer.index !== i || answer.lineId !== `L${i}` || typeof answer.recorded !== 'boolean')) {
    throw new Error(`batch check: ${answers.length} answers for ${marks.length} lines, or out of order, or with errors`);
  }
  return seconds;
}

/** The same marks as single /api/check calls from `clients` keep-alive connections for `seconds`: marks (requests) per second. */
async function singles(base: string, token: string, marks: readonly string[], clients: number, seconds: number): Promise<number> {
  let next = 0;
  let answered = 0;
  const tracker = autocannon({
    url: base,
    connections: clients,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/api/check?mark=${encodeURIComponent(marks[next++ % marks.length])}` }) }],
  });
  tracker.on('response', (_client, statusCode) => {
    if (statusCode === 200) answered++;
  });
  const result = await tracker;
  if (result.errors || result.non2xx) throw new Error(`single checks: ${result.non2xx} answers not 200, ${result.errors} errors`);
  return answered / seconds;
}

export interface BatchFigures {
  lines: number;
  batchMarksPerSecond: Spread;
  batchSeconds: Spread;
  singleMarksPerSecond: Spread;
  singleClients: number;
  batchOverSingle: number;
}

/** The batch check `runs` times against single checks at 16 clients `runs` times, interleaved (so both see the same noise). */
export async function measureBatchCheck(
  base: string,
  token: string,
  marks: readonly string[],
  options: { runs: number; singleSeconds: number; onRun?: (run: object) => void },
): Promise<BatchFigures> {
  const batch: number[] = [];
  const batchSeconds: number[] = [];
  const single: number[] = [];
  await oneBatch(base, token, marks.slice(0, 500)); // warm the prepared statements and caches
  for (let run = 0; run < options.runs; run++) {
    const seconds = await oneBatch(base, token, marks);
    batchSeconds.push(seconds);
    batch.push(marks.length / seconds);
    single.push(await singles(base, token, marks, 16, options.singleSeconds));
    options.onRun?.({ run, batchMarksPerSecond: Math.round(batch[run]), singleMarksPerSecond: Math.round(single[run]) });
  }
  const figures = {
    lines: marks.length,
    batchMarksPerSecond: spreadOf(batch),
    batchSeconds: spreadOf(batchSeconds),
    singleMarksPerSecond: spreadOf(single),
    singleClients: 16,
  };
  return { ...figures, batchOverSingle: +(figures.batchMarksPerSecond.median / figures.singleMarksPerSecond.median).toFixed(1) };
}

export type RepeatedLatency = Record<string, { requestsPerSecond: Spread; p50Ms: Spread; p95Ms: Spread; p99Ms: Spread }>;

/** measureLookups `runs` times; each figure's median and spread per endpoint@clients. */
export async function measureLookupsRepeated(
  base: string,
  token: string,
  queries: readonly string[],
  seconds: number,
  runs: number,
  onFigure?: (key: string, figures: LatencyFigures) => void,
): Promise<RepeatedLatency> {
  const all: Record<string, LatencyFigures>[] = [];
  for (let run = 0; run < runs; run++) all.push(await measureLookups(base, token, queries, seconds, onFigure));
  const out: RepeatedLatency = {};
  for (const key of Object.keys(all[0])) {
    const of = (field: keyof LatencyFigures) => spreadOf(all.map((figures) => figures[key][field]));
    out[key] = { requestsPerSecond: of('requestsPerSecond'), p50Ms: of('p50Ms'), p95Ms: of('p95Ms'), p99Ms: of('p99Ms') };
  }
  return out;
}

/** Markdown rows for repeated lookup figures: median (min–max) of each. */
export function latencyRows(figures: RepeatedLatency): string {
  return Object.entries(figures)
    .map(([key, f]) => `| ${key} | ${cell(f.requestsPerSecond)} | ${f.p50Ms.median} | ${f.p95Ms.median} | ${cell(f.p99Ms)} |`)
    .join('\n');
}
