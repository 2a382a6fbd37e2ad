import { LoggerModule } from 'nestjs-pino';
import { pino, type Logger as PinoLogger } from 'pino';
import type { DynamicModule } from '@nestjs/common';

/** Never written to logs: credentials travel in these. */
const REDACTED = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["idempotency-key"]', '*.password', '*.privateKey'];

/** Structured JSON logs for a Nest app; health probes are not logged per request. */
export function loggingModule(service: string, level: string): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level,
      base: { service },
      redact: { paths: REDACTED, censor: '[redacted]' },
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}

/** The same JSON log lines for command-line tools and code outside Nest. Writes to stderr so stdout stays for data. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): PinoLogger {
  return pino({ base: { service }, level, redact: { paths: REDACTED, censor: '[redacted]' } }, pino.destination(2));
}

export type { PinoLogger };
