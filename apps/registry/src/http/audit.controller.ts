import { Controller, Get, NotFoundException, Query } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Roles } from '#platform';
import { AuditQueries } from '../audit/audit-queries.js';
import { RegistryQueries } from '../store/registry-queries.js';

export class VerifyQuery {
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'must be an event id (UUID)' })
  eventId: string;
}

export class QuarantineQuery {
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

/** Auditors' read of stored facts. */
@Roles('auditor')
@Controller('api/audit')
export class AuditController {
  constructor(
    private readonly queries: RegistryQueries,
    private readonly audit: AuditQueries,
  ) {}

  /** A deterministic hash of the registry's state, computed from the stored rows. */
  @Get('digest')
  digest() {
    return this.queries.digest();
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
