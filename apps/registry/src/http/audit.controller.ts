import { Controller, Get, NotFoundException, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { once } from 'node:events';
import { DataSource } from 'typeorm';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsTimestamp } from '#contracts';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '#platform';
import { AuditQueries } from '../audit/audit-queries.js';
import { exportLines, type ExportFormat, type ExportWhat } from '../audit/export.js';
import { digestFromEventStore } from '../replay/replay.js';
import { RegistryTables } from '../store/registry-tables.js';
import { AsOfQuery } from './lookup.dto.js';
import { RegistryQueries } from '../store/registry-queries.js';

export class VerifyQuery {
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'must be an event id (UUID)' })
  eventId: string;
}

export class QuarantineQuery {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ExportQuery {
  @IsTimestamp({ message: 'must be an ISO 8601 time' })
  since: string;

  @IsOptional()
  @IsIn(['ndjson', 'csv'], { message: 'must be ndjson or csv' })
  format?: ExportFormat;

  @IsOptional()
  @IsIn(['events', 'registry'], { message: 'must be events or registry' })
  what?: ExportWhat;
}

/** Auditors' read of stored facts. */
@ApiTags('auditors')
@ApiBearerAuth()
@Roles('auditor')
@Controller('api/audit')
export class AuditController {
  constructor(
    private readonly queries: RegistryQueries,
    private readonly audit: AuditQueries,
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
  ) {}

  /** Streams events or registry rows changed since a time, page by page: memory stays constant. */
  @Get('export')
  async export(@Query() query: ExportQuery, @Res() res: Response): Promise<void> {
    const format = query.format ?? 'ndjson';
    const what = query.what ?? 'events';
    res.status(200).setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="registry-${what}-since-${query.since.replace(/[^0-9TZ]/g, '')}.${format}"`);
    for await (const line of exportLines(this.dataSource, this.tables, what, format, new Date(query.since))) {
      if (!res.write(line)) await once(res, 'drain');
      if (res.destroyed) return;
    }
    res.end();
  }

  /** A deterministic hash of the registry's state, computed from the stored rows; with asOf, from the event store. */
  @Get('digest')
  async digest(@Query() query: AsOfQuery) {
    if (!query.asOf) return this.queries.digest();
    const asOf = new Date(query.asOf);
    const [{ recordations, events }] = await this.dataSource.query<{ recordations: number; events: number }[]>(
      `SELECT count(DISTINCT (authority, recordation_number)) FILTER (WHERE disposition = 'applied')::int AS recordations, count(*)::int AS events
       FROM ${this.tables.events} WHERE received_at <= $1`,
      [asOf],
    );
    return { asOf: query.asOf, digest: await digestFromEventStore(this.dataSource, this.tables, asOf, 'received'), recordations, events };
  }

  /** Re-verifies the signature of every stored copy of an event from its original bytes. */
  @Get('verify')
  async verify(@Query() query: VerifyQuery) {
    const copies = await this.audit.verify(query.eventId);
    if (!copies.length) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no stored event ${query.eventId}` });
    return { eventId: query.eventId, verified: copies.every((copy) => copy.verified), copies };
  }

  /** Messages refused at the consumer, newest first, with their reasons. */
  @Get('quarantine')
  async quarantine(@Query() query: QuarantineQuery) {
    return { items: await this.audit.quarantine(query.limit ?? 100) };
  }
}
