import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { literalKey, markKeysOf, matchingKey, recordationId, resolveAlias, summariseMark, type RegistryRecordation } from '#domain';
import { RegistryQueries, recordationFilter, summaryOf, type MarkHit, type MatchedBy, type SearchFilters } from '../store/registry-queries.js';
import { RegistryConfig } from '../registry.config.js';
import { RegistryTables } from '../store/registry-tables.js';
import { HistoryQueries } from './history-queries.js';

/**
 * Search as the registry stood at a moment, from the event store. Candidates are today's matches (their marks'
 * recordations re-read as of then, so a status or holder that changed since shows as it was) plus recordations
 * whose mark text changed since, matched on their text as it was then (exact, 简/繁 or transliteration). Marks group
 * as today (a mark's id is derived from its keys); a fuzzy match on a text that no longer exists is not found.
 */
@Injectable()
export class SearchAsOf {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
    private readonly queries: RegistryQueries,
    private readonly history: HistoryQueries,
    private readonly config: RegistryConfig,
  ) {}

  async search(q: string, filters: SearchFilters, asOf: Date): Promise<(MarkHit & { asOf: string })[]> {
    // Today's candidates without today's filters: the filters apply to the recordations as they were.
    const today = await this.queries.search(q, { minFuzzyScore: filters.minFuzzyScore });
    const ranked = new Map<string, { matchedBy: MatchedBy; score: number }>(today.map((hit) => [hit.markId, { matchedBy: hit.matchedBy, score: hit.score }]));
    const members = new Map<string, { authority: MarkHit['recordations'][number]['authority']; recordationNumber: string; markId: string }>();
    for (const hit of today) for (const r of hit.recordations) members.set(recordationId(r.authority, r.recordationNumber), { ...r, markId: hit.markId });

    // Bounded work (issue 22, item 5): at most ASOF_SEARCH_MAX_RECORDATIONS recordations are re-read, one event
    // payload each, under the lookups' statement_timeout (503 when it runs out); a search that would need more is
    // refused with 422 naming the limit rather than folding thousands of payloads for every page.
    const limit = this.config.ASOF_SEARCH_MAX_RECORDATIONS;
    const run = <T>(sql: string, parameters: unknown[]) => this.queries.lookup<T>(sql, parameters);
    const key = matchingKey(q.trim());
    const changed = key ? await this.history.markChangedSince(asOf, limit + 1, run) : [];
    for (const r of changed) members.set(recordationId(r.authority, r.recordationNumber), r);
    if (members.size > limit) {
      throw new UnprocessableEntityException({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: `asOf: this search would re-read more than ${limit} recordations from the event store (today's matches plus every recordation whose mark changed since ${asOf.toISOString()}); the limit is ASOF_SEARCH_MAX_RECORDATIONS=${limit}: pick a later asOf or a narrower query`,
      });
    }
    const states = await this.history.statesAsOf([...members.values()], asOf, run);

    // A recordation whose mark changed since counts only if its mark as it was then matches the query.
    const renamedAway = new Set<string>();
    if (changed.length) {
      const aliases = await this.aliases();
      const wanted = new Set([key, resolveAlias(key, aliases)]);
      const literal = literalKey(q.trim());
      for (const r of changed) {
        const id = recordationId(r.authority, r.recordationNumber);
        const then = states.get(id);
        const hitKey = then && markKeysOf(then.data, aliases).find((k) => wanted.has(k.key));
        if (!hitKey) {
          renamedAway.add(id);
          continue;
        }
        const matchedBy: MatchedBy = hitKey.kind === 'transliteration' ? 'transliteration' : hitKey.literal === literal ? 'exact' : 'script';
        const score = matchedBy === 'exact' ? 1 : matchedBy === 'script' ? 0.95 : 0.9;
        if ((ranked.get(r.markId)?.score ?? -1) < score) ranked.set(r.markId, { matchedBy, score });
      }
    }

    const keep = recordationFilter(filters);
    const byMark = new Map<string, RegistryRecordation[]>();
    for (const [id, member] of members) {
      const then = states.get(id);
      if (then && !renamedAway.has(id) && ranked.has(member.markId) && keep(then)) byMark.set(member.markId, [...(byMark.get(member.markId) ?? []), then]);
    }
    const hits = [...byMark].map(([markId, recordations]) => {
      const summary = summariseMark(recordations.map((r) => ({ authority: r.authority, recordationNumber: r.recordationNumber, data: r.data })));
      return {
        markId,
        text: summary.displayText,
        ...ranked.get(markId)!,
        recorded: summary.recorded,
        conflict: summary.conflict,
        recordations: recordations
          .map((r) => summaryOf({ authority: r.authority, recordation_number: r.recordationNumber, status: r.status, data: r.data, mark_id: markId }))
          .sort((a, b) => a.authority.localeCompare(b.authority) || a.recordationNumber.localeCompare(b.recordationNumber)),
        asOf: asOf.toISOString(),
      };
    });
    return hits.sort((a, b) => b.score - a.score || a.text.localeCompare(b.text) || a.markId.localeCompare(b.markId));
  }

  private async aliases(): Promise<Map<string, string>> {
    const rows: { from_key: string; to_key: string }[] = await this.dataSource.query(`SELECT from_key, to_key FROM ${this.tables.aliases}`);
    return new Map(rows.map((row) => [row.from_key, row.to_key]));
  }
}
