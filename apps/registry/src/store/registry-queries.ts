import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthorityCode, RecordationState, RecordationStatus } from '#contracts';
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

/** Best first: score, then the kind of match, then the text and the id (so pages are stable). */
function byRank(a: Pick<MarkHit, 'score' | 'matchedBy' | 'text' | 'markId'>, b: Pick<MarkHit, 'score' | 'matchedBy' | 'text' | 'markId'>): number {
  return b.score - a.score || PREFERENCE.indexOf(a.matchedBy) - PREFERENCE.indexOf(b.matchedBy) || a.text.localeCompare(b.text) || a.markId.localeCompare(b.markId);
}

/** What a mark's list of recordations shows and filters on. */
type SummaryRow = Omit<RecordationRow, 'data'> & { data: Pick<RecordationState, 'rightsHolder' | 'niceClasses' | 'validUntil'> & { picture?: string | null } };

interface RecordationRow {
  authority: AuthorityCode;
  recordation_number: string;
  status: RecordationStatus;
  data: RecordationState;
  mark_id: string;
}

/** Read side of the registry: officers' lookups and the digest. Every figure comes from stored rows. */
@Injectable()
export class RegistryQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
  ) {}

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
  private async candidates(q: string, filters: SearchFilters): Promise<Map<string, { text: string; matchedBy: MatchedBy; score: number }>> {
    const candidates = new Map<string, { text: string; matchedBy: MatchedBy; score: number }>();
    const consider = (row: { mark_id: string; display_text: string }, matchedBy: MatchedBy, score = SCORES[matchedBy]) => {
      const existing = candidates.get(row.mark_id);
      if (!existing || score > existing.score || (score === existing.score && PREFERENCE.indexOf(matchedBy) < PREFERENCE.indexOf(existing.matchedBy))) {
        candidates.set(row.mark_id, { text: row.display_text, matchedBy, score });
      }
    };

    const trimmed = q.trim();
    const key = matchingKey(trimmed);
    if (!key) {
      const byNumber: { mark_id: string; display_text: string }[] = await this.dataSource.query(
        `${this.byNumberSql} SELECT c.mark_id, ${this.displayTextOf('c')} FROM by_number c`,
        [trimmed],
      );
      byNumber.forEach((row) => consider(row, 'number'));
      return candidates;
    }
    const literal = literalKey(trimmed);
    const threshold = Math.max(MIN_SIMILARITY, (filters.minFuzzyScore ?? 0) / FUZZY_WEIGHT - 0.005);
    // Look-alikes: N1KE reads as NIKE. A hit on the folded text is a strong fuzzy match.
    const foldedKeys = lookalikeTexts(trimmed).map(matchingKey).filter((folded) => folded && folded !== key);
    const rows: { via: 'number' | 'keyed' | 'fuzzy' | 'lookalike'; mark_id: string; display_text: string; key: string | null; kind: string | null; literal: string | null; similarity: number | null }[] =
      await this.dataSource.query(this.candidatesSql, [trimmed, key, threshold.toFixed(3), foldedKeys]);
    for (const row of rows) {
      if (row.via === 'number') consider(row, 'number');
      else if (row.via === 'keyed') {
        if (row.key !== key) consider(row, 'alias');
        else if (row.kind === 'transliteration' || row.kind === 'pinyin') consider(row, 'transliteration');
        else consider(row, row.literal === literal ? 'exact' : 'script');
      } else if (row.via === 'fuzzy') consider(row, 'fuzzy', Math.round(Number(row.similarity) * FUZZY_WEIGHT * 1000) / 1000);
      else consider(row, 'fuzzy', 0.85);
    }
    return candidates;
  }

  /** Marks with their recordations (filtered); marks left with no recordation are dropped. */
  async marksWithRecordations(markIds: string[], filters: SearchFilters = {}): Promise<Omit<MarkHit, 'score' | 'matchedBy'>[]> {
    // Only the fields a summary and the filters read: a whole recordation's jsonb is kilobytes, and a search may
    // touch hundreds (parsing them was most of a search's time on 1 000 000 recordations). One statement: a mark
    // without recordations would be dropped anyway.
    const rows: (SummaryRow & { display_text: string; recorded: boolean; conflict: boolean })[] = await this.dataSource.query(
      `SELECT m.mark_id, m.display_text, m.recorded, m.conflict, r.authority, r.recordation_number, r.status,
              jsonb_build_object('rightsHolder', r.data->'rightsHolder', 'niceClasses', r.data->'niceClasses', 'validUntil', r.data->'validUntil',
                                 'picture', r.data #> '{mark,representation,sha256}') AS data
       FROM ${this.tables.marks} m JOIN ${this.tables.recordations} r ON r.mark_id = m.mark_id
       WHERE m.mark_id = ANY($1::text[]) AND r.mark_id = ANY($1::text[]) ORDER BY r.authority, r.recordation_number`,
      [markIds],
    );
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

  async mark(markId: string): Promise<(Omit<MarkHit, 'score' | 'matchedBy'> & { displaySource: string; conflicts: unknown }) | undefined> {
    const rows: { display_source: string; conflicts: unknown }[] = await this.dataSource.query(`SELECT display_source, conflicts FROM ${this.tables.marks} WHERE mark_id = $1`, [markId]);
    if (!rows.length) return undefined;
    const [mark] = await this.marksWithRecordations([markId]);
    return mark && { ...mark, displaySource: rows[0].display_source, conflicts: rows[0].conflicts };
  }

  async recordation(authority: AuthorityCode, recordationNumber: string) {
    const rows: (RecordationRow & { version: number; provenance: unknown; updated_at: Date })[] = await this.dataSource.query(
      `SELECT authority, recordation_number, status, version, data, provenance, mark_id, updated_at FROM ${this.tables.recordations} WHERE authority = $1 AND recordation_number = $2`,
      [authority, recordationNumber],
    );
    const row = rows[0];
    return (
      row && {
        authority: row.authority,
        recordationNumber: row.recordation_number,
        status: row.status,
        version: row.version,
        markId: row.mark_id,
        updatedAt: row.updated_at,
        data: row.data,
        provenance: unpackProvenance(row.provenance),
      }
    );
  }

  /** The registry digest, streamed in a stable, locale-independent order (constant memory), with the number of stored events. */
  async digest(): Promise<{ digest: string; recordations: number; marks: number; events: number }> {
    const digest = new RegistryDigest();
    let after: [string, string] = ['', ''];
    for (;;) {
      const page: (RecordationRow & { version: number; provenance: unknown })[] = await this.dataSource.query(
        `SELECT authority, recordation_number, version, status, data, provenance, mark_id FROM ${this.tables.recordations}
         WHERE (authority COLLATE "C", recordation_number COLLATE "C") > ($1, $2) ORDER BY authority COLLATE "C", recordation_number COLLATE "C" LIMIT 1000`,
        after,
      );
      for (const row of page) {
        digest.addRecordation({ authority: row.authority, recordationNumber: row.recordation_number, version: row.version, status: row.status, data: row.data, provenance: unpackProvenance(row.provenance), markId: row.mark_id });
      }
      if (page.length < 1000) break;
      after = [page[page.length - 1].authority, page[page.length - 1].recordation_number];
    }
    let afterMark = '';
    for (;;) {
      const page: { mark_id: string; display_text: string; display_source: string; recorded: boolean; conflict: boolean }[] = await this.dataSource.query(
        `SELECT mark_id, display_text, display_source, recorded, conflict FROM ${this.tables.marks} WHERE mark_id COLLATE "C" > $1 ORDER BY mark_id COLLATE "C" LIMIT 1000`,
        [afterMark],
      );
      for (const row of page) digest.addMark({ markId: row.mark_id, displayText: row.display_text, displaySource: row.display_source, recorded: row.recorded, conflict: row.conflict });
      if (page.length < 1000) break;
      afterMark = page[page.length - 1].mark_id;
    }
    const [{ count }]: { count: string }[] = await this.dataSource.query(`SELECT count(*) FROM ${this.tables.events}`);
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

export function summaryOf(row: SummaryRow): RecordationSummary {
  return {
    authority: row.authority,
    recordationNumber: row.recordation_number,
    status: row.status,
    rightsHolder: row.data.rightsHolder,
    niceClasses: row.data.niceClasses,
    validUntil: row.data.validUntil,
    ...(row.data.picture ? { picture: row.data.picture } : {}),
  };
}
