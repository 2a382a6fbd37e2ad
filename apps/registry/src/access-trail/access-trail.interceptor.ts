import { Injectable, ServiceUnavailableException, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { tap, type Observable } from 'rxjs';
import { recordationRefs } from '#domain';
import type { Principal } from '#platform';
import { attachNote, pictureSummary, querySummary, storable, trailSubject } from './access-entry.js';
import { AccessTrail } from './access-trail.service.js';

const SKIP_KEY = 'recordation-exchange:no-access-trail';
/**
 * A route the access trail does not record, with the reason in code: only routes that show nothing about a
 * recordation (a content-addressed picture's bytes, fetched by the page for every search result).
 */
export const NoAccessTrail = () => SetMetadata(SKIP_KEY, true);

/** The roles whose reads are recorded: officers' lookups and auditors' reads (admins maintain aliases; publishers are the authorities). */
const RECORDED_ROLES = new Set(['officer', 'auditor']);

/**
 * The one place the access trail is captured (installed for the whole registry app): after authentication, before the
 * handler, a place in the trail's queue is reserved — none left means 503, the lookup is not answered unrecorded —
 * and when the response ends its entry is committed with the status, what was asked and the recordations the
 * response named (the redacted body; a streaming handler, the batch check, adds them to the request's note).
 */
@Injectable()
export class AccessTrailInterceptor implements NestInterceptor {
  constructor(
    private readonly trail: AccessTrail,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.trail.enabled || context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { principal?: Principal }>();
    const res = http.getResponse<Response>();
    const principal = req.principal;
    if (!principal || !RECORDED_ROLES.has(principal.role)) return next.handle();
    if (this.reflector.getAllAndOverride<boolean>(SKIP_KEY, [context.getHandler(), context.getClass()])) return next.handle();

    const reservation = this.trail.reserve();
    if (!reservation) {
      res.setHeader('Retry-After', String(this.trail.retryAfterSeconds));
      throw new ServiceUnavailableException({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the access trail cannot record this request now (its queue is full): it was not answered; try again shortly',
      });
    }
    const at = new Date();
    const started = performance.now();
    const note = attachNote(req);
    res.once('close', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path ?? req.path;
      note.body ??= pictureSummary(req);
      reservation.commit({
        at,
        subject: storable(trailSubject(principal), 200),
        authority: principal.authority ?? null,
        role: principal.role,
        method: req.method,
        route: `${req.method} ${routePath}`,
        path: storable(req.path, 500),
        query: querySummary(req.query),
        body: note.body,
        // 499 (as nginx logs it): the client went away before the whole answer was sent (a batch cut mid-stream).
        status: res.writableFinished ? res.statusCode : 499,
        ...note.shown(),
        durationMs: Math.round(performance.now() - started),
      });
    });
    return next.handle().pipe(tap((body: unknown) => note.addShown(recordationRefs(body))));
  }
}
