import { Controller, Get, NotFoundException, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isAuthorityCode } from '#contracts';
import { summariseMark } from '#domain';
import { CurrentPrincipal, FieldValidationException, Roles, type Principal } from '#platform';
import { HistoryQueries } from '../audit/history-queries.js';
import { SearchAsOf } from '../audit/search-as-of.js';
import { RegistryQueries } from '../store/registry-queries.js';
import { AsOfQuery, CheckQuery, SearchQuery } from './lookup.dto.js';
import { OfficerRedaction } from './officer-redaction.interceptor.js';

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const offset = /^[0-9a-z]{1,8}$/.test(cursor) ? parseInt(cursor, 36) : NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FieldValidationException([{ field: 'cursor', reason: 'is not a cursor this service issued' }]);
  return offset;
}

/** The check lists a fuzzy look-alike from this score up (a search lists them all). */
const CHECK_MIN_FUZZY_SCORE = 0.5;

/** Officers' lookups: is this mark recorded, where and for whom. */
const SEARCH_EXAMPLE = {
  items: [
    {
      markId: 'm_8cfde6efdfc4ed5ab1f6',
      text: '爱马仕',
      score: 0.95,
      matchedBy: 'script',
      recorded: true,
      conflict: false,
      recordations: [
        { authority: 'CN', recordationNumber: 'T2024-01234', status: 'active', rightsHolder: { name: '爱马仕国际', nameAlt: 'Hermès International', country: 'FR' }, niceClasses: [18, 25], validUntil: '2034-04-30' },
        { authority: 'HK', recordationNumber: 'HK-2024-000001', status: 'active', rightsHolder: { name: 'Hermès International', country: 'FR' }, niceClasses: [18], validUntil: '2030-01-01' },
      ],
    },
  ],
  nextCursor: null,
};

@ApiTags('officers')
@ApiBearerAuth()
@Roles('officer', 'auditor')
@Controller('api')
// Every response of this controller goes through the one redaction policy (restricted fields, today's scope).
@UseInterceptors(OfficerRedaction)
export class LookupController {
  constructor(
    private readonly queries: RegistryQueries,
    private readonly history: HistoryQueries,
    private readonly searchAsOf: SearchAsOf,
  ) {}

  @Get('marks/search')
  @ApiOperation({ summary: 'Ranked marks: number, exact, 简/繁, alias, transliteration, then fuzzy look-alikes; with asOf, as the registry stood then' })
  @ApiOkResponse({ schema: { example: SEARCH_EXAMPLE } })
  async search(@Query() query: SearchQuery) {
    const limit = query.limit ?? 20;
    const offset = decodeCursor(query.cursor);
    const { asOf, ...filters } = query;
    const page = asOf
      ? await this.searchAsOf.search(query.q, filters, new Date(asOf)).then((hits) => ({ items: hits.slice(offset, offset + limit), total: hits.length }))
      : await this.queries.searchPage(query.q, filters, offset, limit);
    return { items: page.items, nextCursor: offset + limit < page.total ? (offset + limit).toString(36) : null };
  }

  @Get('check')
  @ApiOperation({ summary: 'The border question in one call: is this mark recorded, and by whom (active recordations)' })
  @ApiOkResponse({ schema: { example: { recorded: true, matches: [{ markId: 'm_8cfde6efdfc4ed5ab1f6', text: '爱马仕', matchedBy: 'transliteration', score: 0.9, recordations: SEARCH_EXAMPLE.items[0].recordations }] } } })
  async check(@Query() query: CheckQuery) {
    const hits = await this.queries.search(query.mark, { niceClass: query.niceClass, minFuzzyScore: CHECK_MIN_FUZZY_SCORE });
    const matches = hits
      .map((hit) => ({ markId: hit.markId, text: hit.text, matchedBy: hit.matchedBy, score: hit.score, recordations: hit.recordations.filter((r) => r.status === 'active') }))
      .filter((match) => match.matchedBy !== 'fuzzy' || match.score >= CHECK_MIN_FUZZY_SCORE);
    return { recorded: matches.some((match) => match.matchedBy !== 'fuzzy' && match.recordations.length > 0), matches };
  }

  @Get('marks/:markId')
  async mark(@Param('markId') markId: string, @Query() query: AsOfQuery) {
    const mark = markId.length <= 40 ? await this.queries.mark(markId) : undefined;
    if (!mark) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no mark ${markId}` });
    if (!query.asOf) return mark;
    // Its recordations as they stood then (membership is today's: a mark's id is derived from its keys).
    const asOf = new Date(query.asOf);
    const members = [];
    for (const r of mark.recordations) {
      const then = await this.history.recordationAsOf(r.authority, r.recordationNumber, asOf);
      if (then) members.push(then);
    }
    if (!members.length) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `mark ${markId} had no recordation at ${query.asOf}` });
    const summary = summariseMark(members.map((m) => ({ authority: m.authority, recordationNumber: m.recordationNumber, data: m.data })));
    return {
      markId,
      asOf: query.asOf,
      text: summary.displayText,
      displaySource: summary.displaySource,
      recorded: summary.recorded,
      conflict: summary.conflict,
      conflicts: summary.conflicts,
      recordations: members.map((m) => ({
        authority: m.authority,
        recordationNumber: m.recordationNumber,
        status: m.status,
        rightsHolder: m.data.rightsHolder,
        niceClasses: m.data.niceClasses,
        validUntil: m.data.validUntil,
      })),
    };
  }

  @Get('recordations/:authority/:number')
  async recordation(@Param('authority') authority: string, @Param('number') number: string, @Query() query: AsOfQuery) {
    if (!isAuthorityCode(authority)) throw new FieldValidationException([{ field: 'authority', reason: 'must be one of: CN, HK, MO' }]);
    const found =
      number.length > 40
        ? undefined
        : query.asOf
          ? await this.history.recordationAsOf(authority, number, new Date(query.asOf)).then((r) => r && { ...r, asOf: query.asOf })
          : await this.queries.recordation(authority, number);
    if (!found) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no recordation ${authority} ${number}${query.asOf ? ` at ${query.asOf}` : ''}` });
    return found;
  }

  @Roles('auditor')
  @Get('recordations/:authority/:number/history')
  async recordationHistory(@Param('authority') authority: string, @Param('number') number: string) {
    if (!isAuthorityCode(authority)) throw new FieldValidationException([{ field: 'authority', reason: 'must be one of: CN, HK, MO' }]);
    const events = number.length <= 40 ? await this.history.recordationHistory(authority, number) : [];
    if (!events.length) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no events for ${authority} ${number}` });
    return { authority, recordationNumber: number, events };
  }

  @Roles('auditor')
  @Get('marks/:markId/history')
  async markHistory(@Param('markId') markId: string) {
    const recordations = markId.length <= 40 ? await this.history.markHistory(markId) : [];
    if (!recordations.length) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no mark ${markId}` });
    const events = recordations
      .flatMap((r) => r.events.map((event) => ({ authority: r.authority, recordationNumber: r.recordationNumber, ...event })))
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.time.localeCompare(b.time));
    return { markId, events };
  }
}
