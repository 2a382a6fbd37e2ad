import type { NextFunction, Request, Response } from 'express';
import { Counter, type Registry } from 'prom-client';

/** `<prefix>_http_requests_total{method, route, status}`: every answered request, by route pattern (not raw path: bounded label values). */
export function httpRequestsCounter(registry: Registry, prefix: string): Counter<'method' | 'route' | 'status'> {
  return new Counter({
    name: `${prefix}_http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern (unmatched: no route) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
}

/** Counts each request when its response is finished; first in the chain, so 400, 413 and 429 answers count too. */
export function countHttpRequests(counter: Counter<'method' | 'route' | 'status'>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.once('finish', () => {
      const route = req.route as { path?: unknown } | undefined;
      // Nest answers unknown paths from a catch-all route ({/*splat}): those count as unmatched, not as a route.
      const path = typeof route?.path === 'string' && !route.path.includes('*') ? route.path : undefined;
      const pattern = path === undefined ? 'unmatched' : `${req.baseUrl}${path}`;
      counter.inc({ method: req.method, route: pattern, status: String(res.statusCode) });
    });
    next();
  };
}
