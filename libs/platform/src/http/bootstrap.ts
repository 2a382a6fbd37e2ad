import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { CredentialStore } from '../auth/credentials.js';
import type { BaseAppConfig } from '../config/base-config.js';
import { ConfigError } from '../config/load-config.js';
import { createLogger } from '../logging/logging.js';
import { authenticateLargeBodies } from './authenticate-large-bodies.js';
import { ContractValidationPipe } from './contract-validation.pipe.js';
import { HttpErrorFilter, sendError } from './http-error.filter.js';
import { countHttpRequests } from './http-metrics.js';
import { requireUtf8 } from './require-utf8.js';

export interface HttpAppOptions {
  /** Routes that take large bodies (bulk uploads, pictures), with their own limit; JSON and NDJSON. First match wins. */
  largeBodyRoutes?: { paths: string[]; limit: string } | { paths: string[]; limit: string }[];
  /** The app's requests counter (httpRequestsCounter), looked up once the app exists; counts every answer. */
  httpRequests?: (app: NestExpressApplication) => Parameters<typeof countHttpRequests>[0];
  /**
   * Routes whose handler reads the body itself, after the guard has authenticated the caller: no body parser reads
   * it first (an anonymous caller cannot make the app read megabytes).
   */
  ownBodyRoutes?: string[];
  /** Called with the app before it listens (Swagger, static files …). */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

/** Creates, configures and starts an app's HTTP server; the same for every app so they behave alike. */
export async function createHttpApp(module: unknown, config: BaseAppConfig, options: HttpAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module as never, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  if (options.httpRequests) app.use(countHttpRequests(options.httpRequests(app)));
  app.use(helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'"] } } }));
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));
  // Per credential (per client address for requests without a valid one), every route but the probes: one broken or
  // hostile client cannot starve the others, and clients behind one proxy or NAT do not share one budget.
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: config.RATE_LIMIT_PER_MINUTE,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: rateLimitKey(credentialsOf(app)),
      skip: (req) => req.path.startsWith('/health') || req.path === '/metrics',
      handler: (_req, res) =>
        res.status(429).json({ statusCode: 429, error: 'Too Many Requests', message: `more than ${config.RATE_LIMIT_PER_MINUTE} requests a minute` }),
    }),
  );

  // Nobody gets a large body read without a valid credential (the guard runs after the parsers).
  app.use(authenticateLargeBodies(app.get(CredentialStore, { strict: false })));

  for (const large of [options.largeBodyRoutes ?? []].flat()) {
    app.use(large.paths, answeringErrors(express.json({ limit: large.limit, strict: true, verify: requireUtf8 })));
    app.use(large.paths, answeringErrors(express.text({ type: ['application/x-ndjson', 'application/ndjson'], limit: large.limit, verify: requireUtf8 })));
  }
  // body-parser skips a request whose body a large-route parser already consumed.
  const jsonParser = answeringErrors(express.json({ limit: config.HTTP_BODY_LIMIT, strict: false, verify: requireUtf8 }));
  // Express routes paths case-insensitively and with or without a trailing slash: so does this test.
  const routeKey = (path: string) => path.toLowerCase().replace(/\/+$/, '');
  const ownBody = new Set((options.ownBodyRoutes ?? []).map(routeKey));
  app.use(
    ownBody.size
      ? (req: express.Request, res: express.Response, next: express.NextFunction) => (ownBody.has(routeKey(req.path)) ? next() : jsonParser(req, res, next))
      : jsonParser,
  );

  app.useGlobalPipes(new ContractValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  await options.configure?.(app);
  return app;
}

/** TRUST_PROXY (checked by BaseAppConfig) as Express's `trust proxy` setting. */
export function trustProxy(value: string): boolean | number | string[] {
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((entry) => entry.trim());
}

function credentialsOf(app: NestExpressApplication): CredentialStore | undefined {
  try {
    return app.get(CredentialStore, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * The limiter's key: the principal a valid bearer credential belongs to, else the client address (an IPv6 client by
 * its /56, as express-rate-limit advises). An unknown credential counts against the address, so inventing tokens
 * does not buy fresh budgets.
 */
export function rateLimitKey(credentials: CredentialStore | undefined): (req: express.Request) => Promise<string> {
  return async (req) => {
    const outcome = credentials ? await credentials.verifyRequest(req) : undefined;
    if (outcome && 'principal' in outcome) return `credential:${outcome.principal.role}:${outcome.principal.name}:${outcome.principal.subject ?? ''}`;
    return `address:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
  };
}

/** Body-parser errors happen before Nest's filters: answer them here in the same shape (400 / 413). */
function answeringErrors(parser: express.RequestHandler): express.RequestHandler {
  const logger = new NestLogger('BodyParser');
  return (req, res, next) => parser(req, res, (error?: unknown) => (error ? sendError(res, error, logger) : next()));
}

/**
 * The `main.ts` of every app: load config (exit 1 naming the bad variable), build, listen.
 * Errors before the logger exists still come out as one JSON line.
 */
export async function runApp(service: string, start: () => Promise<NestExpressApplication>): Promise<void> {
  const logger = createLogger(service);
  try {
    await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal({ problems: error.problems }, error.message);
    } else {
      logger.fatal({ err: error }, 'failed to start');
    }
    process.exit(1);
  }
}
