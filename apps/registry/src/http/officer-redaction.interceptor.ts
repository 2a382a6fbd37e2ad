import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';
import { recordationRefs, redactForViewer } from '#domain';
import type { FieldRestriction } from '#contracts';
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
    // The restrictions of the recordations the route's lookups read, read by the same statements (the handler runs
    // in the async context of handle()): only the recordations no lookup read have theirs read afterwards.
    const seen = new Map<string, FieldRestriction[] | null>();
    return this.queries.withRestrictionsSeen(seen, () => next.handle()).pipe(mergeMap((body: unknown) => from(this.redact(body, principal, seen))));
  }

  /** The response as this principal may see it. Nobody known → nothing restricted is shown. */
  async redact<T>(body: T, principal: Principal | undefined, seen?: ReadonlyMap<string, FieldRestriction[] | null>): Promise<T> {
    const viewer = principal ?? { role: 'anonymous' };
    const current = await this.queries.currentRestrictions(recordationRefs(body), seen);
    return redactForViewer(body, viewer, (authority, number) => current.get(`${authority}/${number}`));
  }
}
