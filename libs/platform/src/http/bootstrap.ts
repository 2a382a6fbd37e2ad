import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { BaseAppConfig } from '../config/base-config.js';
import { ConfigError } from '../config/load-config.js';
import { createLogger } from '../logging/logging.js';
import { ContractValidationPipe } from './contract-validation.pipe.js';
import { HttpErrorFilter, sendError } from './http-error.filter.js';
import { requireUtf8 } from './require-utf8.js';

export interface HttpAppOptions {
  /** Routes that take large bodies (bulk uploads, pictures), with their own limit; JSON and NDJSON. First match wins. */
  largeBodyRoutes?: { paths: string[]; limit: string } | { paths: string[]; limit: string }[];
  /** Called with the app before it listens (Swagger, static files …). */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

/** Creates, configures and starts an app's HTTP server; the same for every app so they behave alike. */
export async function createHttpApp(module: unknown, config: BaseAppConfig, options: HttpAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module as never, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.use(helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'"] } } }));
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Per client address, every route but the probes: one broken or hostile client cannot starve the others.
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: config.RATE_LIMIT_PER_MINUTE,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      skip: (req) => req.path.startsWith('/health') || req.path === '/metrics',
      handler: (_req, res) => res.status(429).json({ statusCode: 429, error: 'Too Many Requests', message: `more than ${config.RATE_LIMIT_PER_MINUTE} requests a minute` }),
    }),
  );

  for (const large of [options.largeBodyRoutes ?? []].flat()) {
    app.use(large.paths, answeringErrors(express.json({ limit: large.limit, strict: true, verify: requireUtf8 })));
    app.use(large.paths, answeringErrors(express.text({ type: ['application/x-ndjson', 'application/ndjson'], limit: large.limit, verify: requireUtf8 })));
  }
  // body-parser skips a request whose body a large-route parser already consumed.
  app.use(answeringErrors(express.json({ limit: config.HTTP_BODY_LIMIT, strict: false, verify: requireUtf8 })));

  app.useGlobalPipes(new ContractValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  await options.configure?.(app);
  return app;
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
