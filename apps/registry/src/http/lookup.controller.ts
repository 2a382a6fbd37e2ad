import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { isAuthorityCode } from '#contracts';
import { recordationRefs, summariseMark } from '#domain';
import { accessNote, batchSummary } from '../access-trail/access-entry.js';
import { FieldValidationException, Roles } from '#platform';
import { HistoryQueries } from '../audit/history-queries.js';
import { SearchAsOf } from '../audit/search-as-of.js';
import { RegistryQueries, type CheckResult } from '../store/registry-queries.js';
import { MAX_BATCH_LINES, parseBatchBody, readBody, type BatchLine } from './check-batch.js';
import { AsOfQuery, CheckQuery, SearchQuery } from './lookup.dto.js';
import { OfficerRedaction } from './officer-redaction.interceptor.js';

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const offset = /^[0-9a-z]{1,8}$/.test(cursor) ? parseInt(cursor, 36) : NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FieldValidationException([{ field: 'cursor', reason: 'is not a cursor this service issued' }]);
  return offset;
}

/** Lines of a batch answered together (one keyed statement, one read of their marks); two such chunks run at once. */
const BATCH_CHUNK = 250;

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
        {
          authority: 'CN',
          recordationNumber: 'T2024-01234',
          status: 'active',
          rightsHolder: { name: '爱马仕国际', nameAlt: 'Hermès International', country: 'FR' },
          niceClasses: [18, 25],
          validUntil: '2034-04-30',
        },
        {
          authority: 'HK',
          recordationNumber: 'HK-2024-000001',
          status: 'active',
          rightsHolder: { name: 'Hermès International', country: 'FR' },
          niceClasses: [18],
          validUntil: '2030-01-01',
        },
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
  @ApiOkResponse({
    schema: {
      example: {
        recorded: true,
        matches: [
          { markId: 'm_8cfde6efdfc4ed5ab1f6', text: '爱马仕', matchedBy: 'transliteration', score: 0.9, recordations: SEARCH_EXAMPLE.items[0].recordations },
        ],
      },
    },
  })
  async check(@Query() query: CheckQuery) {
    const [result] = await this.queries.check([{ mark: query.mark, niceClass: query.niceClass }]);
    return result;
  }

  @Post('check/batch')
  @HttpCode(200)
  @ApiOperation({
    summary: `Bulk screening: up to ${MAX_BATCH_LINES} marks (a JSON array, or NDJSON with Content-Type application/x-ndjson), each { mark, niceClass?, lineId? }`,
    description:
      'Answered per line in the same order, streamed (NDJSON for NDJSON, a JSON array for JSON): { index, lineId?, recorded, matches } as /api/check, ' +
      `or { index, lineId?, error: { field, reason }, errors } for a bad line. More than ${MAX_BATCH_LINES} lines: 413; an unreadable body: 400.`,
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiBody({
    schema: {
      example: [
        { mark: '爱马仕', niceClass: 18, lineId: 'manifest-7/1' },
        { mark: 'N1KE', lineId: 'manifest-7/2' },
      ],
    },
  })
  async checkBatch(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The guard has authenticated the caller before this reads the body (no body parser runs for this route).
    const raw = await readBody(req);
    const batch = parseBatchBody(raw, req.headers['content-type']);
    // The access trail records what was screened and (below) every recordation the answer names; its interceptor
    // sees no body here, the answer is streamed.
    const note = accessNote(req);
    if (note) note.body = batchSummary(raw, batch.lines);
    const chunks: BatchLine[][] = [];
    for (let start = 0; start < batch.lines.length; start += BATCH_CHUNK) chunks.push(batch.lines.slice(start, start + BATCH_CHUNK));
    const answer = (lines: BatchLine[]) => {
      const answered = this.answerLines(lines);
      answered.catch(() => undefined); // awaited in order below; a failure there is handled there
      return answered;
    };
    // The first chunk is answered before the status is sent: a database that is down is still a 503.
    const pending = chunks.slice(0, 2).map(answer);
    const first = await pending[0];
    const ndjson = batch.format === 'ndjson';
    res.status(200).type(ndjson ? 'application/x-ndjson; charset=utf-8' : 'application/json; charset=utf-8');
    let closed = false;
    res.on('close', () => (closed = true));
    const write = async (text: string) => {
      if (res.write(text)) return;
      await new Promise<void>((resolve) => {
        const done = () => (res.off('drain', done), res.off('close', done), resolve());
        res.on('drain', done);
        res.on('close', done);
      });
    };
    try {
      if (!ndjson) await write('[');
      let written = 0;
      for (let index = 0; index < chunks.length && !closed; index++) {
        const answers = index === 0 ? first : await pending[index];
        note?.addShown(recordationRefs(answers));
        if (index + 2 < chunks.length) pending.push(answer(chunks[index + 2]));
        const text = answers.map((line) => (ndjson ? `${JSON.stringify(line)}\n` : `${written++ ? ',' : ''}\n${JSON.stringify(line)}`)).join('');
        await write(text);
      }
      if (!ndjson) await write('\n]\n');
      res.end();
    } catch (error) {
      // Mid-stream the status is sent: cut the response so that it cannot be read as a complete answer.
      res.destroy(error as Error);
    }
  }

  /** Answers one chunk of a batch's lines, in order: a bad line carries its errors, the others /api/check's answer. */
  private async answerLines(
    lines: BatchLine[],
  ): Promise<({ index: number; lineId?: string | number } & (CheckResult | { error: unknown; errors: unknown[] }))[]> {
    const checks = lines.flatMap((line) => ('check' in line ? [line.check] : []));
    const results = checks.length ? await this.queries.check(checks) : [];
    let next = 0;
    return lines.map((line) => {
      const id = line.lineId === undefined ? { index: line.index } : { index: line.index, lineId: line.lineId };
      return 'check' in line ? { ...id, ...results[next++] } : { ...id, error: line.errors[0], errors: line.errors };
    });
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
    if (!found)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `no recordation ${authority} ${number}${query.asOf ? ` at ${query.asOf}` : ''}`,
      });
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
