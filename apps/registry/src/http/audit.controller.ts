import { Controller, Get } from '@nestjs/common';
import { Roles } from '#platform';
import { RegistryQueries } from '../store/registry-queries.js';

/** Auditors' read of stored facts. */
@Roles('auditor')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly queries: RegistryQueries) {}

  /** A deterministic hash of the registry's state, computed from the stored rows. */
  @Get('digest')
  digest() {
    return this.queries.digest();
  }
}
