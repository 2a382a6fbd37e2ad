import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';
import { recordationRefs, redactForViewer } from '#domain';
import type { Principal } from '#platform';
import { RegistryQueries } from '../store/registry-queries.js';

/**
 * Applies the one redaction policy (`redactForViewer`, libs/domain) to whatever an officer route returns, with
 * today's restrictions of every recordation the response names. Installed on the officers' controller, so a route
 * added there (e.g. a batch check) is redacted without choosing fields; `redact` is there for a route elsewhere.
 */
@Injectable()
export class OfficerRedaction implements NestInterceptor {
  constructor(private readonly queries: RegistryQueries) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
    return next.handle().pipe(mergeMap((body: unknown) => from(this.redact(body, principal))));
  }

  /** The response as this principal may see it. Nobody known → nothing restricted is shown. */
  async redact<T>(body: T, principal: Principal | undefined): Promise<T> {
    const viewer = principal ?? { role: 'anonymous' };
    const current = await this.queries.currentRestrictions(recordationRefs(body));
    return redactForViewer(body, viewer, (authority, number) => current.get(`${authority}/${number}`));
  }
}
