import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { AuthorityCode, FieldRestriction, RecordationState, RecordationStatus } from '#contracts';
import { RegistryDigest, literalKey, lookalikeTexts, matchingKey, unpackProvenance } from '#domain';
import { RegistryTables } from './registry-tables.js';

export type MatchedBy = 'exact' | 'script' | 'alias' | 'transliteration' | 'fuzzy' | 'number' | 'image';

export interface SearchFilters {
  niceClass?: number;
  authority?: AuthorityCode;
  status?: RecordationStatus;
  holder?: string;
  /**
   * Fuzzy candidates scoring below this are not wanted (the border check keeps only ≥ 0.5): passed down as the
   * trigram threshold, so the index yields fewer candidates instead of the answer dropping them afterwards.
   */
  minFuzzyScore?: number;
}

export interface RecordationSummary {
  authority: AuthorityCode;
  recordationNumber: string;
  status: RecordationStatus;
  rightsHolder: RecordationState['rightsHolder'];
  niceClasses: number[];
  validUntil: string;
  /** false when any field shown came from an event whose signature was not checked (VERIFY_SIGNATURES=false). */
  verified?: boolean;
  /** SHA-256 of the mark's picture (figurative and combined marks): GET /api/pictures/:sha256/thumbnail. */
  picture?: string;
}

export interface MarkHit {
  markId: string;
  text: string;
  score: number;
  matchedBy: MatchedBy;
  recorded: boolean;
  conflict: boolean;
  recordations: RecordationSummary[];
}

const SCORES: Record<MatchedBy, number> = { number: 1, exact: 1, script: 0.95, alias: 0.9, transliteration: 0.9, fuzzy: 0, image: 0 };
const PREFERENCE: MatchedBy[] = ['number', 'exact', 'script', 'alias', 'transliteration', 'fuzzy', 'image'];
/** A fuzzy hit scores its trigram similarity times this: below every exact kind of match. */
const FUZZY_WEIGHT = 0.85;
/** pg_trgm's own default: the loosest similarity a search considers. */
const MIN_SIMILARITY = 0.3;
/**
 * With DISTINCT ON (key, …): one row per grouping key (a key belongs to one mark), but every row of a pinyin reading,
 * which is not a grouping key (homophones are different marks).
 */
const PER_READING = `CASE WHEN k.kind = 'pinyin' THEN k.authority || ':' || k.recordation_number END`;
/** How many candidate marks one search ranks at most (then pages through them). */
const MAX_CANDIDATES = 200;

/** The check lists a fuzzy look-alike from this score up (a search lists them all). */
export const CHECK_MIN_FUZZY_SCORE = 0.5;
/**
 * The check's fuzzy part reads at most this many trigram matches (key rows) before ranking them: a text with
 * thousands of look-alikes cannot make one check (or one line of a batch) read thousands of rows.
 */
export const CHECK_FUZZY_ROW_CAP = 500;
/** Lines of a batch check answered by one statement (the keyed part) and one read of their marks. */
const CHECK_CHUNK = 250;

/** One question of `/api/check` (or one line of `/api/check/batch`). */
export interface CheckLine {
  mark: string;
  niceClass?: number;
}

export interface CheckMatch {
  markId: string;
  text: string;
  matchedBy: MatchedBy;
  score: number;
  recordations: RecordationSummary[];
}

/** The border question's answer: recorded (by number, exact, 简/繁, alias or transliteration) and the matches. */
export interface CheckResult {
  recorded: boolean;
  matches: CheckMatch[];
}

type Candidates = Map<string, { text: string; matchedBy: MatchedBy; score: number }>;

interface CandidateRow {
  via: 'number' | 'keyed' | 'fuzzy' | 'lookalike';
  mark_id: string;
  display_text: string;
  key: string | null;
  kind: string | null;
  literal: string | null;
  similarity: number | null;
}

/** Keeps a candidate's best way of matching (highest score, then the preferred kind). */
function consider(candidates: Candidates, row: { mark_id: string; display_text: string }, matchedBy: MatchedBy, score = SCORES[matchedBy]): void {
  const existing = candidates.get(row.mark_id);
  if (!existing || score > existing.score || (score === existing.score && PREFERENCE.indexOf(matchedBy) < PREFERENCE.indexOf(existing.matchedBy))) {
    candidates.set(row.mark_id, { text: row.display_text, matchedBy, score });
  }
}

/** How a candidate row matched a query whose matching key is `key` and literal key `literal`. */
function considerRow(candidates: Candidates, row: CandidateRow, key: string, literal: string): void {
  if (row.via === 'number') consider(candidates, row, 'number');
  else if (row.via === 'keyed') {
    if (row.key !== key) consider(candidates, row, 'alias');
    else if (row.kind === 'transliteration' || row.kind === 'pinyin') consider(candidates, row, 'transliteration');
    else consider(candidates, row, row.literal === literal ? 'exact' : 'script');
  } else if (row.via === 'fuzzy') consider(candidates, row, 'fuzzy', Math.round(Number(row.similarity) * FUZZY_WEIGHT * 1000) / 1000);
  else consider(candidates, row, 'fuzzy', 0.85);
}

/** Best first: score, then the kind of match, then the text and the id (so pages are stable). */
function byRank(a: Pick<MarkHit, 'score' | 'matchedBy' | 'text' | 'markId'>, b: Pick<MarkHit, 'score' | 'matchedBy' | 'text' | 'markId'>): number {
  return (
    b.score - a.score || PREFERENCE.indexOf(a.matchedBy) - PREFERENCE.indexOf(b.matchedBy) || a.text.localeCompare(b.text) || a.markId.localeCompare(b.markId)
  );
}

/** What a mark's list of recordations shows and filters on. */
type SummaryRow = Omit<RecordationRow, 'data'> & {
  data: Pick<RecordationState, 'rightsHolder' | 'niceClasses' | 'validUntil'> & { picture?: string | null };
  verified?: boolean;
};

/** SQL: true unless a provenance reference (packed or plain) says `verified: false`. */
const VERIFIED_SQL = `NOT jsonb_path_exists(r.provenance, 'lax $.** ? (@.verified == false)')`;

interface RecordationRow {
  authority: AuthorityCode;
  recordation_number: string;
  status: RecordationStatus;
  data: RecordationState;
  mark_id: string;
}

/** Read side of the registry: officers' lookups and the digest. Every figure comes from stored rows. */
@Injectable()
export class RegistryQueries implements OnModuleDestroy {
  private readonly keyedSql: string;
  private readonly fuzzySql: string;
  /** The lookups' own pool when they have a time limit (its connections carry the limit); created on first use. */
  private limitedPool?: pg.Pool;
  /** Within `withRestrictionsSeen`: the restrictions (or none: null) of each recordation a lookup statement read. */
  private readonly seenRestrictions = new AsyncLocalStorage<Map<string, FieldRestriction[] | null>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
    /** The longest one lookup statement may run (LOOKUP_STATEMENT_TIMEOUT_MS); 0: no limit (replay's digest). */
    private readonly lookupTimeoutMs = 0,
  ) {
    this.keyedSql = checkKeyedSql(tables);
    this.fuzzySql = checkFuzzySql(tables);
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Closes the lookups' own pool, if one was opened (the data source is its owner's to destroy). */
  async close(): Promise<void> {
    const pool = this.limitedPool;
    this.limitedPool = undefined;
    await pool?.end();
  }

  /**
   * Where lookup statements run. With a limit: a pool of their own whose connections are opened with
   * `statement_timeout` (a startup parameter, so PostgreSQL cancels any statement on them past the limit: SQLSTATE
   * 57014, answered 503), while the merge's statements on the data source's pool keep no limit. It was one
   * transaction per lookup (BEGIN, SET LOCAL, the statement, COMMIT: four round trips for one), which cut the check's
   * throughput by about three (bench/RESULTS.md, 2026-12-02).
   */
  private lookupPool(): pg.Pool {
    if (!this.lookupTimeoutMs) return (this.dataSource.driver as unknown as { master: pg.Pool }).master;
    if (!this.limitedPool) {
      const options = this.dataSource.options as PostgresDataSourceOptions;
      const extra = (options.extra ?? {}) as pg.PoolConfig;
      this.limitedPool = new pg.Pool({
        ...(options.url
          ? { connectionString: options.url }
          : { host: options.host, port: options.port, user: options.username, password: options.password as string | undefined, database: options.database }),
        ...extra,
        application_name: `${options.applicationName ?? 'registry'}-lookup`,
        statement_timeout: Math.floor(this.lookupTimeoutMs),
        allowExitOnIdle: true,
      });
      // An idle connection's error (the server restarted) must not crash the process; the next lookup reconnects.
      this.limitedPool.on('error', () => undefined);
    }
    return this.limitedPool;
  }

  /** One officer lookup statement, under LOOKUP_STATEMENT_TIMEOUT_MS (see lookupPool). */
  async lookup<T>(sql: string, parameters: unknown[]): Promise<T> {
    if (!this.lookupTimeoutMs) return this.dataSource.query(sql, parameters);
    return (await this.lookupPool().query(sql, parameters)).rows as T;
  }

  /** Marks whose recordation number or registration number is the query ($1); both sides indexed, no scan. */
  private get byNumberSql(): string {
    return `WITH by_number AS (
      SELECT DISTINCT mark_id FROM ${this.tables.recordations}
      WHERE upper(recordation_number) = upper($1) OR data #>> '{trademarkRegistration,number}' = $1 LIMIT ${MAX_CANDIDATES})`;
  }

  /**
   * A candidate's display text, read by key for each candidate: costed on each candidate part's LIMIT, a join chose to
   * hash the whole marks table (11 ms instead of 1.4 on a freshly ingested registry whose statistics were not yet
   * gathered).
   */
  private displayTextOf(candidate: string): string {
    return `(SELECT m.display_text FROM ${this.tables.marks} m WHERE m.mark_id = ${candidate}.mark_id) AS display_text`;
  }

  /**
   * Every way a query matches, in one statement (a lookup was eight round trips, most of a check's time): by number;
   * by the key ($2) or its alias, one recordation per key, kind and literal; fuzzy look-alikes of the key at a
   * trigram similarity of $3 or more; and the look-alike foldings of the text ($4).
   */
  private get candidatesSql(): string {
    const { markKeys, recordations, aliases } = this.tables;
    return `${this.byNumberSql},
    keyed AS (
      SELECT m.key, m.kind, m.literal, r.mark_id
      FROM (SELECT DISTINCT ON (k.key, k.kind, k.literal, ${PER_READING}) k.key, k.kind, k.literal, k.authority, k.recordation_number
            FROM ${markKeys} k WHERE k.key = ANY(ARRAY[$2, (SELECT to_key FROM ${aliases} WHERE from_key = $2)])) m
      JOIN ${recordations} r ON r.authority = m.authority AND r.recordation_number = m.recordation_number LIMIT ${MAX_CANDIDATES * 4}),
    fuzzy AS (
      -- The trigram operator reads its threshold from a setting: set for this statement only, by the sub-select the
      -- index scan needs for its operand (so it is set before the scan starts). A grouping key belongs to one mark,
      -- so one recordation per matching key names its mark (a common text matched 1 249 rows of 25 keys at
      -- 1 000 000 recordations); pinyin readings are not grouping keys (homophones), so each of their rows is kept.
      SELECT r.mark_id, max(m.similarity) AS similarity
      FROM (SELECT DISTINCT ON (k.key, ${PER_READING}) k.authority, k.recordation_number, public.similarity(k.key, $2) AS similarity
            FROM ${markKeys} k
            WHERE k.key OPERATOR(public.%) (SELECT $2::text WHERE set_config('pg_trgm.similarity_threshold', $3, true) IS NOT NULL)) m
      JOIN ${recordations} r ON r.authority = m.authority AND r.recordation_number = m.recordation_number
      GROUP BY r.mark_id ORDER BY similarity DESC LIMIT ${MAX_CANDIDATES}),
    lookalike AS (
      SELECT DISTINCT r.mark_id
      FROM (SELECT DISTINCT ON (k.key, ${PER_READING}) k.authority, k.recordation_number FROM ${markKeys} k WHERE k.key = ANY($4::text[])) m
      JOIN ${recordations} r ON r.authority = m.authority AND r.recordation_number = m.recordation_number LIMIT ${MAX_CANDIDATES})
    SELECT c.*, ${this.displayTextOf('c')} FROM (
      SELECT 'number' AS via, mark_id, NULL AS key, NULL AS kind, NULL AS literal, NULL::float8 AS similarity FROM by_number
      UNION ALL SELECT 'keyed', mark_id, key, kind, literal, NULL FROM keyed
      UNION ALL SELECT 'fuzzy', mark_id, NULL, NULL, NULL, similarity FROM fuzzy
      UNION ALL SELECT 'lookalike', mark_id, NULL, NULL, NULL, NULL FROM lookalike) c`;
  }

  /** Ranked marks for a query in any script: number, exact, 简/繁, alias, transliteration, then fuzzy. */
  async search(q: string, filters: SearchFilters): Promise<MarkHit[]> {
    const candidates = await this.candidates(q, filters);
    if (!candidates.size) return [];
    const hits = await this.marksWithRecordations([...candidates.keys()], filters);
    return hits
      .map((hit) => {
        const { matchedBy, score } = candidates.get(hit.markId)!;
        return { ...hit, matchedBy, score };
      })
      .sort(byRank);
  }

  /**
   * One page of `search`, and how many hits there are in all. Without recordation filters a mark is a hit whatever
   * its recordations, so the candidates are ranked on the marks table alone and only the page's marks have their
   * recordations read: a search may rank up to 200 marks, some with hundreds of recordations, and reading all of them
   * was most of a search's time on 1 000 000 recordations.
   */
  async searchPage(q: string, filters: SearchFilters, offset: number, limit: number): Promise<{ items: MarkHit[]; total: number }> {
    const filtered = filters.niceClass !== undefined || filters.authority !== undefined || filters.status !== undefined || !!filters.holder;
    if (filtered) {
      const hits = await this.search(q, filters);
      return { items: hits.slice(offset, offset + limit), total: hits.length };
    }
    const candidates = await this.candidates(q, filters);
    const ranked = [...candidates].map(([markId, candidate]) => ({ markId, ...candidate })).sort(byRank);
    const page = ranked.slice(offset, offset + limit);
    if (!page.length) return { items: [], total: ranked.length };
    const withRecordations = new Map((await this.marksWithRecordations(page.map((hit) => hit.markId))).map((mark) => [mark.markId, mark]));
    const items = page.flatMap((hit) => {
      const mark = withRecordations.get(hit.markId);
      return mark ? [{ ...mark, matchedBy: hit.matchedBy, score: hit.score }] : [];
    });
    return { items, total: ranked.length };
  }

  /** Candidate marks for a query, each with its display text and its best way of matching and score. */
  private async candidates(q: string, filters: SearchFilters): Promise<Candidates> {
    const candidates: Candidates = new Map();
    const trimmed = q.trim();
    const key = matchingKey(trimmed);
    if (!key) {
      const byNumber: { mark_id: string; display_text: string }[] = await this.lookup(
        `${this.byNumberSql} SELECT c.mark_id, ${this.displayTextOf('c')} FROM by_number c`,
        [trimmed],
      );
      byNumber.forEach((row) => consider(candidates, row, 'number'));
      return candidates;
    }
    const literal = literalKey(trimmed);
    const threshold = Math.max(MIN_SIMILARITY, (filters.minFuzzyScore ?? 0) / FUZZY_WEIGHT - 0.005);
    // Look-alikes: N1KE reads as NIKE. A hit on the folded text is a strong fuzzy match.
    const foldedKeys = lookalikeTexts(trimmed)
      .map(matchingKey)
      .filter((folded) => folded && folded !== key);
    const rows: CandidateRow[] = await this.lookup(this.candidatesSql, [trimmed, key, threshold.toFixed(3), foldedKeys]);
    for (const row of rows) considerRow(candidates, row, key, literal);
    return candidates;
  }

  /**
   * The border check, for one line or a batch (the same answers either way: `/api/check` is a batch of one).
   * First the parts that read only B-tree indexes — number, key, alias (one statement per chunk of lines, a LATERAL
   * per line, prepared once per connection); a line that is recorded by them is answered without the trigram
   * index. Only the other lines (misses, misspellings) look for fuzzy look-alikes, each capped at
   * CHECK_FUZZY_ROW_CAP trigram matches.
   */
  async check(lines: CheckLine[]): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (let start = 0; start < lines.length; start += CHECK_CHUNK) results.push(...(await this.checkChunk(lines.slice(start, start + CHECK_CHUNK))));
    return results;
  }

  private async checkChunk(lines: CheckLine[]): Promise<CheckResult[]> {
    // One question per distinct text (a manifest repeats its marks); the Nice class only filters the answer.
    const questionOf = new Map<string, number>();
    const questions: { trimmed: string; key: string; literal: string; folded: string[]; candidates: Candidates }[] = [];
    const lineQuestion = lines.map((line) => {
      const trimmed = line.mark.trim();
      let index = questionOf.get(trimmed);
      if (index === undefined) {
        const key = matchingKey(trimmed);
        index =
          questions.push({
            trimmed,
            key,
            literal: key ? literalKey(trimmed) : '',
            folded: key
              ? lookalikeTexts(trimmed)
                  .map(matchingKey)
                  .filter((folded) => folded && folded !== key)
              : [],
            candidates: new Map(),
          }) - 1;
        questionOf.set(trimmed, index);
      }
      return questions[index];
    });
    const foldedLine: number[] = [];
    const foldedKeys: string[] = [];
    questions.forEach((question, index) => question.folded.forEach((folded) => (foldedLine.push(index + 1), foldedKeys.push(folded))));
    const rows: (CandidateRow & { line: string })[] = await this.preparedQuery('check_keyed', this.keyedSql, [
      questions.map((question) => question.trimmed),
      questions.map((question) => question.key || null),
      foldedLine,
      foldedKeys,
    ]);
    for (const row of rows) {
      const question = questions[Number(row.line) - 1];
      considerRow(question.candidates, row, question.key, question.literal);
    }
    const marks = await this.marksById(questions.flatMap((question) => [...question.candidates.keys()]));
    const results = lines.map((line, index) => checkResult(lineQuestion[index].candidates, marks, line.niceClass));

    // Texts not recorded by number, key or alias (for some line): fuzzy look-alikes through the trigram index, one
    // statement for all of them.
    const unrecorded = lines.map((_line, index) => index).filter((index) => lineQuestion[index].key && !results[index].recorded);
    if (!unrecorded.length) return results;
    const fuzzyQuestions = [...new Set(unrecorded.map((index) => lineQuestion[index]))];
    const threshold = (CHECK_MIN_FUZZY_SCORE / FUZZY_WEIGHT - 0.005).toFixed(3);
    const fuzzy: (CandidateRow & { line: string })[] = await this.lookup(this.fuzzySql, [fuzzyQuestions.map((question) => question.key), threshold]);
    for (const row of fuzzy) {
      const question = fuzzyQuestions[Number(row.line) - 1];
      considerRow(question.candidates, row, question.key, question.literal);
    }
    const more = await this.marksById(fuzzyQuestions.flatMap((question) => [...question.candidates.keys()].filter((markId) => !marks.has(markId))));
    for (const [markId, mark] of more) marks.set(markId, mark);
    for (const index of unrecorded) results[index] = checkResult(lineQuestion[index].candidates, marks, lines[index].niceClass);
    return results;
  }

  /** The marks with every recordation (unfiltered), by id. */
  private async marksById(markIds: string[]): Promise<Map<string, Omit<MarkHit, 'score' | 'matchedBy'>>> {
    const unique = [...new Set(markIds)];
    if (!unique.length) return new Map();
    return new Map((await this.marksWithRecordations(unique)).map((mark) => [mark.markId, mark]));
  }

  /**
   * A statement prepared once per connection (pg names it; the name is derived from the text, so the live schema and
   * a test schema never share a name with different texts).
   */
  private async preparedQuery<T>(prefix: string, text: string, values: unknown[]): Promise<T[]> {
    const name = `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    return (await this.lookupPool().query<T & pg.QueryResultRow>({ name, text, values })).rows;
  }

  /**
   * Runs `work` (an officer request, see OfficerRedaction) so that the restrictions of the recordations its lookups
   * read are kept in `seen`, read by the same statement as the fields shown: `currentRestrictions(refs, seen)` then
   * reads only those of recordations no statement of the request read. A check was one statement more for them.
   */
  withRestrictionsSeen<T>(seen: Map<string, FieldRestriction[] | null>, work: () => T): T {
    return this.seenRestrictions.run(seen, work);
  }

  /** Marks with their recordations (filtered); marks left with no recordation are dropped. */
  async marksWithRecordations(markIds: string[], filters: SearchFilters = {}): Promise<Omit<MarkHit, 'score' | 'matchedBy'>[]> {
    // Only the fields a summary and the filters read: a whole recordation's jsonb is kilobytes, and a search may
    // touch hundreds (parsing them was most of a search's time on 1 000 000 recordations). One statement: a mark
    // without recordations would be dropped anyway.
    const rows: (SummaryRow & { display_text: string; recorded: boolean; conflict: boolean; restrictions: FieldRestriction[] | null })[] = await this.lookup(
      `SELECT m.mark_id, m.display_text, m.recorded, m.conflict, r.authority, r.recordation_number, r.status,
              jsonb_build_object('rightsHolder', r.data->'rightsHolder', 'niceClasses', r.data->'niceClasses', 'validUntil', r.data->'validUntil',
                                 'picture', r.data #> '{mark,representation,sha256}') AS data,
              ${VERIFIED_SQL} AS verified,
              CASE WHEN jsonb_typeof(r.data->'restrictions') = 'array' THEN r.data->'restrictions' END AS restrictions
       FROM ${this.tables.marks} m JOIN ${this.tables.recordations} r ON r.mark_id = m.mark_id
       WHERE m.mark_id = ANY($1::text[]) AND r.mark_id = ANY($1::text[]) ORDER BY r.authority, r.recordation_number`,
      [markIds],
    );
    const seen = this.seenRestrictions.getStore();
    if (seen) for (const row of rows) seen.set(`${row.authority}/${row.recordation_number}`, row.restrictions);
    const keep = recordationFilter(filters);
    const marks = new Map<string, Omit<MarkHit, 'score' | 'matchedBy'>>();
    for (const row of rows) {
      if (!keep(row)) continue;
      const mark = marks.get(row.mark_id) ?? { markId: row.mark_id, text: row.display_text, recorded: row.recorded, conflict: row.conflict, recordations: [] };
      mark.recordations.push(summaryOf(row));
      marks.set(row.mark_id, mark);
    }
    return [...marks.values()];
  }

  /**
   * Today's restrictions of these recordations, by `${authority}/${recordationNumber}` (those without none). Those in
   * `seen` (read by the request's own statements, see withRestrictionsSeen) are taken from there; the others are read.
   */
  async currentRestrictions(
    refs: { authority: AuthorityCode; recordationNumber: string }[],
    seen?: ReadonlyMap<string, FieldRestriction[] | null>,
  ): Promise<Map<string, FieldRestriction[]>> {
    const current = new Map<string, FieldRestriction[]>();
    const unread = refs.filter((ref) => {
      const key = `${ref.authority}/${ref.recordationNumber}`;
      if (!seen?.has(key)) return true;
      const restrictions = seen.get(key);
      if (restrictions) current.set(key, restrictions);
      return false;
    });
    if (!unread.length) return current;
    const rows: { authority: AuthorityCode; recordation_number: string; restrictions: FieldRestriction[] }[] = await this.lookup(
      `SELECT r.authority, r.recordation_number, r.data->'restrictions' AS restrictions
       FROM ${this.tables.recordations} r JOIN unnest($1::text[], $2::text[]) AS wanted(authority, recordation_number)
         ON r.authority = wanted.authority AND r.recordation_number = wanted.recordation_number
       WHERE jsonb_typeof(r.data->'restrictions') = 'array'`,
      [unread.map((ref) => ref.authority), unread.map((ref) => ref.recordationNumber)],
    );
    for (const row of rows) current.set(`${row.authority}/${row.recordation_number}`, row.restrictions);
    return current;
  }

  async mark(markId: string): Promise<(Omit<MarkHit, 'score' | 'matchedBy'> & { displaySource: string; conflicts: unknown }) | undefined> {
    const rows: { display_source: string; conflicts: unknown }[] = await this.lookup(
      `SELECT display_source, conflicts FROM ${this.tables.marks} WHERE mark_id = $1`,
      [markId],
    );
    if (!rows.length) return undefined;
    const [mark] = await this.marksWithRecordations([markId]);
    return mark && { ...mark, displaySource: rows[0].display_source, conflicts: rows[0].conflicts };
  }

  async recordation(authority: AuthorityCode, recordationNumber: string) {
    const rows: (RecordationRow & { version: number; provenance: unknown; updated_at: Date })[] = await this.lookup(
      `SELECT authority, recordation_number, status, version, data, provenance, mark_id, updated_at FROM ${this.tables.recordations} WHERE authority = $1 AND recordation_number = $2`,
      [authority, recordationNumber],
    );
    const row = rows[0];
    if (!row) return undefined;
    const provenance = unpackProvenance(row.provenance);
    return {
      authority: row.authority,
      recordationNumber: row.recordation_number,
      status: row.status,
      version: row.version,
      markId: row.mark_id,
      updatedAt: row.updated_at,
      // false when any field came from an event merged without its signature checked (VERIFY_SIGNATURES=false).
      verified: Object.values(provenance).every((ref) => (ref as { verified?: boolean }).verified !== false),
      data: row.data,
      provenance,
    };
  }

  /** The registry digest, streamed in a stable, locale-independent order (constant memory), with the number of stored events. */
  async digest(manager?: EntityManager): Promise<{ digest: string; recordations: number; marks: number; events: number }> {
    // With a manager: inside its transaction (the auditor's endpoint reads the stored positions in the same snapshot).
    const db = manager ?? this.dataSource;
    const digest = new RegistryDigest();
    let after: [string, string] = ['', ''];
    for (;;) {
      const page: (RecordationRow & { version: number; provenance: unknown })[] = await db.query(
        `SELECT authority, recordation_number, version, status, data, provenance, mark_id FROM ${this.tables.recordations}
         WHERE (authority COLLATE "C", recordation_number COLLATE "C") > ($1, $2) ORDER BY authority COLLATE "C", recordation_number COLLATE "C" LIMIT 1000`,
        after,
      );
      for (const row of page) {
        digest.addRecordation({
          authority: row.authority,
          recordationNumber: row.recordation_number,
          version: row.version,
          status: row.status,
          data: row.data,
          provenance: unpackProvenance(row.provenance),
          markId: row.mark_id,
        });
      }
      if (page.length < 1000) break;
      after = [page[page.length - 1].authority, page[page.length - 1].recordation_number];
    }
    let afterMark = '';
    for (;;) {
      const page: { mark_id: string; display_text: string; display_source: string; recorded: boolean; conflict: boolean }[] = await db.query(
        `SELECT mark_id, display_text, display_source, recorded, conflict FROM ${this.tables.marks} WHERE mark_id COLLATE "C" > $1 ORDER BY mark_id COLLATE "C" LIMIT 1000`,
        [afterMark],
      );
      for (const row of page)
        digest.addMark({
          markId: row.mark_id,
          displayText: row.display_text,
          displaySource: row.display_source,
          recorded: row.recorded,
          conflict: row.conflict,
        });
      if (page.length < 1000) break;
      afterMark = page[page.length - 1].mark_id;
    }
    const [{ count }]: { count: string }[] = await db.query(`SELECT count(*) FROM ${this.tables.events}`);
    return { digest: digest.digest(), recordations: digest.recordations, marks: digest.marks, events: Number(count) };
  }
}

/** Whether a recordation passes the search filters (class, authority, status, holder in either script). */
export function recordationFilter(filters: SearchFilters): (row: Pick<SummaryRow, 'authority' | 'status' | 'data'>) => boolean {
  const holderKey = filters.holder ? matchingKey(filters.holder) : undefined;
  return (row) =>
    (filters.niceClass === undefined || row.data.niceClasses.includes(filters.niceClass)) &&
    (filters.authority === undefined || row.authority === filters.authority) &&
    (filters.status === undefined || row.status === filters.status) &&
    (holderKey === undefined ||
      matchingKey(row.data.rightsHolder.name).includes(holderKey) ||
      (row.data.rightsHolder.nameAlt !== undefined && matchingKey(row.data.rightsHolder.nameAlt).includes(holderKey)));
}

/**
 * The check's B-tree part for many lines at once: lines ($1 trimmed text, $2 matching key or NULL), each answered by
 * a LATERAL with the same per-line parts and limits as `candidatesSql` (number, key or alias, look-alike foldings:
 * $3 line of each folded key, $4 the key). No trigram operator: the integration test checks the plan.
 */
export function checkKeyedSql(tables: RegistryTables): string {
  const { markKeys, recordations, aliases, marks } = tables;
  return `SELECT q.line, c.via, c.mark_id, c.key, c.kind, c.literal, NULL::float8 AS similarity,
      (SELECT m.display_text FROM ${marks} m WHERE m.mark_id = c.mark_id) AS display_text
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(trimmed, key, line)
    CROSS JOIN LATERAL (
      (SELECT DISTINCT 'number' AS via, r.mark_id, NULL::text AS key, NULL::text AS kind, NULL::text AS literal FROM ${recordations} r
       WHERE upper(r.recordation_number) = upper(q.trimmed) OR r.data #>> '{trademarkRegistration,number}' = q.trimmed LIMIT ${MAX_CANDIDATES})
      UNION ALL
      (SELECT 'keyed', r.mark_id, m.key, m.kind, m.literal
       FROM (SELECT DISTINCT ON (k.key, k.kind, k.literal, ${PER_READING}) k.key, k.kind, k.literal, k.authority, k.recordation_number
             FROM (VALUES (q.key), ((SELECT a.to_key FROM ${aliases} a WHERE a.from_key = q.key))) x(key)
             JOIN ${markKeys} k ON k.key = x.key) m
       JOIN ${recordations} r ON r.authority = m.authority AND r.recordation_number = m.recordation_number LIMIT ${MAX_CANDIDATES * 4})
      UNION ALL
      (SELECT DISTINCT 'lookalike', r.mark_id, NULL::text, NULL::text, NULL::text
       FROM (SELECT DISTINCT ON (k.key, ${PER_READING}) k.authority, k.recordation_number
             FROM unnest($3::int[], $4::text[]) AS f(line, key) JOIN ${markKeys} k ON k.key = f.key WHERE f.line = q.line) m
       JOIN ${recordations} r ON r.authority = m.authority AND r.recordation_number = m.recordation_number LIMIT ${MAX_CANDIDATES})
    ) c`;
}

/**
 * The check's fuzzy part for many keys ($1) at a similarity of $2 or more, a LATERAL per key: at most
 * CHECK_FUZZY_ROW_CAP trigram matches are read per key (then one row per grouping key, ranked by similarity), so a
 * text with thousands of look-alikes stays bounded. The trigram operator reads its threshold from a setting: each
 * key is produced through set_config (a subquery kept apart by OFFSET 0), so the setting is made before the first
 * index scan that uses a key. Not prepared: a generic plan was slower in the tail (see docs/architecture.md).
 */
export function checkFuzzySql(tables: RegistryTables): string {
  const { markKeys, recordations, marks } = tables;
  return `SELECT q.line, 'fuzzy' AS via, f.mark_id, NULL AS key, NULL AS kind, NULL AS literal, f.similarity,
      (SELECT m.display_text FROM ${marks} m WHERE m.mark_id = f.mark_id) AS display_text
    FROM (SELECT CASE WHEN set_config('pg_trgm.similarity_threshold', $2, true) IS NOT NULL THEN u.key END AS key, u.line
          FROM unnest($1::text[]) WITH ORDINALITY AS u(key, line) OFFSET 0) q
    CROSS JOIN LATERAL (
      SELECT r.mark_id, max(m.similarity) AS similarity
      FROM (SELECT DISTINCT ON (k.key, ${PER_READING}) k.authority, k.recordation_number, public.similarity(k.key, q.key) AS similarity
            FROM (SELECT k.key, k.kind, k.authority, k.recordation_number FROM ${markKeys} k
                  WHERE k.key OPERATOR(public.%) q.key LIMIT ${CHECK_FUZZY_ROW_CAP}) k) m
      JOIN ${recordations} r ON r.authority = m.authority AND r.recordation_number = m.recordation_number
      GROUP BY r.mark_id ORDER BY similarity DESC LIMIT ${MAX_CANDIDATES}) f`;
}

/** A check's answer from its candidates: active recordations (of the Nice class), fuzzy ones from the check's minimum. */
function checkResult(candidates: Candidates, marks: Map<string, Omit<MarkHit, 'score' | 'matchedBy'>>, niceClass: number | undefined): CheckResult {
  const keep = recordationFilter({ niceClass });
  const hits: MarkHit[] = [];
  for (const [markId, candidate] of candidates) {
    const mark = marks.get(markId);
    const recordations = mark?.recordations.filter((r) =>
      keep({ authority: r.authority, status: r.status, data: { rightsHolder: r.rightsHolder, niceClasses: r.niceClasses, validUntil: r.validUntil } }),
    );
    // As a search: a mark none of whose recordations passes the filters is not a hit.
    if (mark && recordations?.length) hits.push({ ...mark, recordations, matchedBy: candidate.matchedBy, score: candidate.score });
  }
  const matches = hits
    .sort(byRank)
    .map((hit) => ({
      markId: hit.markId,
      text: hit.text,
      matchedBy: hit.matchedBy,
      score: hit.score,
      recordations: hit.recordations.filter((r) => r.status === 'active'),
    }))
    .filter((match) => match.matchedBy !== 'fuzzy' || match.score >= CHECK_MIN_FUZZY_SCORE);
  return { recorded: matches.some((match) => match.matchedBy !== 'fuzzy' && match.recordations.length > 0), matches };
}

export function summaryOf(row: SummaryRow): RecordationSummary {
  return {
    authority: row.authority,
    recordationNumber: row.recordation_number,
    status: row.status,
    rightsHolder: row.data.rightsHolder,
    niceClasses: row.data.niceClasses,
    validUntil: row.data.validUntil,
    ...(row.verified === undefined ? {} : { verified: row.verified }),
    ...(row.data.picture ? { picture: row.data.picture } : {}),
  };
}
