import { ConflictException, Controller, Get, Inject, NotFoundException, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { once } from 'node:events';
import { DataSource } from 'typeorm';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsTimestamp, authorityTopics, type TopicSet } from '#contracts';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { FieldValidationException, Roles } from '#platform';
import type { DigestEntry } from '#domain';
import { digestAtPositions, parsePositions, positionsBehind, storedPositions } from '../audit/digest-at-positions.js';
import { REGISTRY_TOPICS } from '../consumer/registry-consumer.js';
import { RegistryConfig } from '../registry.config.js';
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

/** The digest: live, as of a time (asOf), or as of log positions (positions) to compare sites. */
export class DigestQuery extends AsOfQuery {
  @ApiPropertyOptional({
    description: 'Log positions as JSON {"topic": {"partition": nextOffset}}: the digest of the events below them',
    example: '{"recordations.cn":{"0":"12"}}',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  positions?: string;

  @ApiPropertyOptional({ description: 'entries: with positions, also every line of the digest (key and SHA-256), to find where sites differ' })
  @IsOptional()
  @IsIn(['entries'], { message: 'must be entries' })
  detail?: 'entries';

  @ApiPropertyOptional({ description: 'With positions: comma-separated entry keys (e.g. "recordation CN:T2026-00001") whose full canonical JSON to return' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  entries?: string;
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
    private readonly config: RegistryConfig,
    @Inject(REGISTRY_TOPICS) private readonly topics: TopicSet,
  ) {}

  /** Streams events or registry rows changed since a time, page by page: memory stays constant. */
  @Get('export')
  async export(@Query() query: ExportQuery, @Res() res: Response): Promise<void> {
    const format = query.format ?? 'ndjson';
    const what = query.what ?? 'events';
    res.status(200).setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="registry-${what}-since-${query.since.replace(/[^0-9TZ]/g, '')}.${format}"`);
    // A client that goes away ends the export cleanly: the wait for 'drain' ends on 'close' too (it waited for ever,
    // holding the page's query), and leaving the loop closes the generator.
    for await (const line of exportLines(this.dataSource, this.tables, what, format, new Date(query.since))) {
      if (res.destroyed) return;
      if (!res.write(line)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (res.destroyed) return;
    }
    res.end();
  }

  /**
   * A deterministic hash of the registry's state. Plain: from the stored rows, with the log positions it covers
   * (read in the same snapshot). With asOf: from the event store as of a time. With positions: from the event store
   * as of those log positions (409 while this registry has not applied that far) — the same for every site that
   * applied the same log, so sites are comparable while events flow (npm run audit:agree).
   */
  @Get('digest')
  async digest(@Query() query: DigestQuery) {
    const site = this.config.REGISTRY_SITE ?? null;
    const topics = authorityTopics(this.topics);
    if (query.positions !== undefined) {
      if (query.asOf) throw new FieldValidationException([{ field: 'positions', reason: 'cannot be combined with asOf' }]);
      const parsed = parsePositions(query.positions, topics);
      if ('reason' in parsed) throw new FieldValidationException([{ field: 'positions', reason: parsed.reason }]);
      const stored = await storedPositions(this.dataSource, this.tables, topics);
      const behind = positionsBehind(stored, parsed.positions);
      if (behind.length) {
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          message: 'this registry has not applied the log up to these positions yet',
          site,
          positions: stored,
          behind: behind.slice(0, 20),
        });
      }
      const wanted = new Set(
        (query.entries ?? '')
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean),
      );
      const entries: DigestEntry[] | undefined = query.detail === 'entries' || wanted.size ? [] : undefined;
      const result = await digestAtPositions(this.dataSource, this.tables, parsed.positions, entries);
      return {
        site,
        positions: parsed.positions,
        ...result,
        ...(query.detail === 'entries' && entries ? { entries: entries.map(({ key, sha256 }) => ({ key, sha256 })) } : {}),
        ...(wanted.size && entries
          ? { lines: entries.filter((entry) => wanted.has(entry.key)).map(({ key, line }) => ({ key, record: JSON.parse(line) as unknown })) }
          : {}),
      };
    }
    if (query.detail || query.entries) throw new FieldValidationException([{ field: query.detail ? 'detail' : 'entries', reason: 'needs positions' }]);
    if (!query.asOf) {
      return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
        const positions = await storedPositions(manager, this.tables, topics);
        return { site, ...(await this.queries.digest(manager)), positions };
      });
    }
    const asOf = new Date(query.asOf);
    const [{ recordations, events }] = await this.dataSource.query<{ recordations: number; events: number }[]>(
      `SELECT count(DISTINCT (authority, recordation_number)) FILTER (WHERE disposition = 'applied')::int AS recordations, count(*)::int AS events
       FROM ${this.tables.events} WHERE received_at <= $1`,
      [asOf],
    );
    return { site, asOf: query.asOf, digest: await digestFromEventStore(this.dataSource, this.tables, asOf, 'received'), recordations, events };
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
