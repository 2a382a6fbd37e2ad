import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import { once } from 'node:events';
import { DataSource } from 'typeorm';
import { AUTHORITIES, IsTimestamp, type AuthorityCode } from '#contracts';
import { FieldValidationException, Roles } from '#platform';
import type { AccessEntry } from '../access-trail/access-entry.js';
import { csvLine } from '../audit/export.js';
import { RegistryTables } from '../store/registry-tables.js';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value);

/** `GET /api/audit/access`; unknown parameters are refused (400). */
export class AccessQuery {
  @ApiPropertyOptional({ description: "Who: the token's subject (a development credential's name, e.g. officer-hk)" })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'must be between 1 and 200 characters' })
  subject?: string;

  @ApiPropertyOptional({ enum: AUTHORITIES, description: 'The authority the officer acts for' })
  @IsOptional()
  @IsIn(AUTHORITIES, { message: `must be one of: ${AUTHORITIES.join(', ')}` })
  authority?: AuthorityCode;

  @ApiPropertyOptional({ enum: ['officer', 'auditor'] })
  @IsOptional()
  @IsIn(['officer', 'auditor'], { message: 'must be officer or auditor' })
  role?: 'officer' | 'auditor';

  @ApiPropertyOptional({ description: 'Entries at or after this time', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp({ message: 'must be an ISO 8601 timestamp such as 2026-01-01T00:00:00Z' })
  since?: string;

  @ApiPropertyOptional({ description: 'Entries before this time', example: '2026-02-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp({ message: 'must be an ISO 8601 timestamp such as 2026-01-01T00:00:00Z' })
  until?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'Entries a JSON page holds (exports stream every entry)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 1000' })
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['json', 'ndjson', 'csv'], description: 'Or the Accept header: application/x-ndjson, text/csv' })
  @IsOptional()
  @IsIn(['json', 'ndjson', 'csv'], { message: 'must be json, ndjson or csv' })
  format?: 'json' | 'ndjson' | 'csv';
}

/** A stored entry as the table returns it (snake_case columns). */
type AccessRow = Omit<AccessEntry, 'shownCount' | 'durationMs'> & { id: string; shown_count: number; duration_ms: number };

const CSV_COLUMNS = ['id', 'at', 'subject', 'authority', 'role', 'method', 'route', 'path', 'status', 'query', 'body', 'shown', 'shownCount', 'durationMs'];
const EXPORT_PAGE = 1000;

/** A page's last (at, id) as an opaque cursor; `at` keeps its milliseconds (entries are stamped in JavaScript). */
function encodeCursor(row: AccessRow): string {
  return Buffer.from(JSON.stringify([row.at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      typeof value[1] === 'string' &&
      /^\d{1,18}$/.test(value[1])
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // answered below
  }
  throw new FieldValidationException([{ field: 'cursor', reason: 'is not a cursor this service issued' }]);
}

function item(row: AccessRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    subject: row.subject,
    authority: row.authority,
    role: row.role,
    method: row.method,
    route: row.route,
    path: row.path,
    status: row.status,
    query: row.query,
    body: row.body,
    shown: row.shown,
    shownCount: row.shown_count,
    durationMs: row.duration_ms,
  };
}

/** Auditors read the access trail: who looked up what, when, and what they were shown. Officers get 403. */
@ApiTags('auditors')
@ApiBearerAuth()
@Roles('auditor')
@Controller('api/audit/access')
export class AccessTrailController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The access trail, oldest first from since: a JSON page ({ items, nextCursor }), or every matching entry as NDJSON or CSV',
  })
  @ApiProduces('application/json', 'application/x-ndjson', 'text/csv')
  async list(@Query() query: AccessQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const format = query.format ?? negotiated(req.headers.accept);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (format === 'json') {
      const limit = query.limit ?? 100;
      const rows = await this.page(query, after, limit + 1);
      const more = rows.length > limit;
      const items = rows.slice(0, limit);
      res.status(200).json({ items: items.map(item), nextCursor: more ? encodeCursor(items[items.length - 1]) : null });
      return;
    }
    res.status(200).setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="access-trail${query.since ? `-since-${query.since.replace(/[^0-9TZ]/g, '')}` : ''}.${format}"`);
    if (format === 'csv' && !(await write(res, `${CSV_COLUMNS.join(',')}\n`))) return;
    let cursor = after;
    for (;;) {
      const rows = await this.page(query, cursor, EXPORT_PAGE);
      for (const row of rows) {
        const entry = item(row);
        const line =
          format === 'csv'
            ? csvLine([
                entry.id,
                entry.at,
                entry.subject,
                entry.authority,
                entry.role,
                entry.method,
                entry.route,
                entry.path,
                entry.status,
                JSON.stringify(entry.query),
                entry.body ? JSON.stringify(entry.body) : '',
                entry.shown.join(' '),
                entry.shownCount,
                entry.durationMs,
              ])
            : `${JSON.stringify(entry)}\n`;
        if (!(await write(res, line))) return;
      }
      if (rows.length < EXPORT_PAGE) break;
      cursor = [rows[rows.length - 1].at.toISOString(), rows[rows.length - 1].id];
    }
    res.end();
  }

  /** One keyset page in (at, id) order; each filter has its index leading with it (subject, authority, at). */
  private page(query: AccessQuery, after: [string, string] | undefined, limit: number): Promise<AccessRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (query.subject !== undefined) add((p) => `subject = ${p}`, query.subject);
    if (query.authority !== undefined) add((p) => `authority = ${p}`, query.authority);
    if (query.role !== undefined) add((p) => `role = ${p}`, query.role);
    if (query.since !== undefined) add((p) => `at >= ${p}`, new Date(query.since));
    if (query.until !== undefined) add((p) => `at < ${p}`, new Date(query.until));
    if (after) {
      params.push(after[0], after[1]);
      where.push(`(at, id) > ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    return this.dataSource.query(
      `SELECT id::text AS id, at, subject, authority, role, method, route, path, query, body, status, shown, shown_count, duration_ms
       FROM ${this.tables.accessTrail} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at, id LIMIT ${limit}`,
      params,
    );
  }
}

function negotiated(accept: string | undefined): 'json' | 'ndjson' | 'csv' {
  if (accept && /application\/(x-)?ndjson/i.test(accept)) return 'ndjson';
  if (accept && /text\/csv/i.test(accept)) return 'csv';
  return 'json';
}

/** Writes with backpressure; false once the client has gone (the export stops). */
async function write(res: Response, text: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  return !res.destroyed;
}
