import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { isAuthorityCode } from '#contracts';
import { CurrentPrincipal, FieldValidationException, Roles, type Principal } from '#platform';
import { RegistryQueries } from '../store/registry-queries.js';
import { CheckQuery, SearchQuery } from './lookup.dto.js';
import { visibleTo } from './restricted-fields.js';

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const offset = /^[0-9a-z]{1,8}$/.test(cursor) ? parseInt(cursor, 36) : NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FieldValidationException([{ field: 'cursor', reason: 'is not a cursor this service issued' }]);
  return offset;
}

/** Officers' lookups: is this mark recorded, where and for whom. */
@Roles('officer', 'auditor')
@Controller('api')
export class LookupController {
  constructor(private readonly queries: RegistryQueries) {}

  @Get('marks/search')
  async search(@Query() query: SearchQuery) {
    const limit = query.limit ?? 20;
    const offset = decodeCursor(query.cursor);
    const hits = await this.queries.search(query.q, query);
    const items = hits.slice(offset, offset + limit);
    return { items, nextCursor: offset + limit < hits.length ? (offset + limit).toString(36) : null };
  }

  @Get('check')
  async check(@Query() query: CheckQuery) {
    const hits = await this.queries.search(query.mark, { niceClass: query.niceClass });
    const matches = hits
      .map((hit) => ({ markId: hit.markId, text: hit.text, matchedBy: hit.matchedBy, score: hit.score, recordations: hit.recordations.filter((r) => r.status === 'active') }))
      .filter((match) => match.matchedBy !== 'fuzzy' || match.score >= 0.5);
    return { recorded: matches.some((match) => match.matchedBy !== 'fuzzy' && match.recordations.length > 0), matches };
  }

  @Get('marks/:markId')
  async mark(@Param('markId') markId: string) {
    const mark = markId.length <= 40 ? await this.queries.mark(markId) : undefined;
    if (!mark) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no mark ${markId}` });
    return mark;
  }

  @Get('recordations/:authority/:number')
  async recordation(@Param('authority') authority: string, @Param('number') number: string, @CurrentPrincipal() principal: Principal) {
    if (!isAuthorityCode(authority)) throw new FieldValidationException([{ field: 'authority', reason: 'must be one of: CN, HK, MO' }]);
    const found = number.length <= 40 ? await this.queries.recordation(authority, number) : undefined;
    if (!found) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no recordation ${authority} ${number}` });
    return visibleTo(found, principal);
  }
}
