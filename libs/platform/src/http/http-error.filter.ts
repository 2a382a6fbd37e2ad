import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { FieldError } from '#contracts';

/** Error codes that mean "PostgreSQL is not reachable right now", not "your request is wrong". */
const DATABASE_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/**
 * TypeORM releases a query runner whose connection emitted an error (the server went away mid-transaction); the
 * transaction's next query then fails with this, not with the connection error. Nothing was committed.
 */
const RELEASED_BY_CONNECTION_LOSS = 'QueryRunnerProviderAlreadyReleasedError';

export function isDatabaseUnavailable(error: unknown): boolean {
  const candidate = error as { code?: string; message?: string; name?: string; driverError?: unknown } | undefined;
  if (!candidate) return false;
  if (candidate.code && DATABASE_UNAVAILABLE.has(candidate.code)) return true;
  if (candidate.name === RELEASED_BY_CONNECTION_LOSS || candidate.constructor?.name === RELEASED_BY_CONNECTION_LOSS) return true;
  if (candidate.driverError && isDatabaseUnavailable(candidate.driverError)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    candidate.message ?? '',
  );
}

/**
 * Every connection of the app's pool stayed busy for the pool's whole wait (pg-pool's connectionTimeoutMillis): the
 * database answers, but the service has more work than connections (an overloaded machine). Distinct from a
 * database that cannot be reached, so the 503 can say which.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const candidate = error as { message?: string; driverError?: unknown } | undefined;
  if (!candidate) return false;
  return candidate.message === 'timeout exceeded when trying to connect' || (candidate.driverError !== undefined && isDatabaseBusy(candidate.driverError));
}

/** PostgreSQL cancelled the statement: it ran past statement_timeout (query_canceled). */
export function isStatementTimeout(error: unknown): boolean {
  const candidate = error as { code?: string; driverError?: unknown } | undefined;
  if (!candidate) return false;
  return candidate.code === '57014' || (candidate.driverError !== undefined && isStatementTimeout(candidate.driverError));
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  /** Set by http-errors (body-parser, express): true for a client error whose message may be shown. */
  expose?: boolean;
}

/**
 * One error shape for every app: `{ statusCode, error, message, errors?: [{ field, reason }] }`.
 * Body-parser failures become 400/413 naming the body; an unreachable database becomes 503, never a false success.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<Response>(), exception, this.logger);
  }
}

/** Answers a request with the error's status and body (also used for body-parser errors, which never reach Nest). */
export function sendError(response: Response, exception: unknown, logger: Pick<Logger, 'error'>): void {
  if (response.headersSent) return;
  const { status, body } = describeError(exception);
  // Our own 5xx answers (503 readiness, …) are expected outcomes; anything else is a fault worth a stack trace.
  if (status >= 500 && !(exception instanceof HttpException)) logger.error({ err: exception }, 'request failed');
  // A 503 that set its own Retry-After (the registry's access trail: about one flush) keeps it.
  if (status === (HttpStatus.SERVICE_UNAVAILABLE as number) && !response.hasHeader('Retry-After')) response.setHeader('Retry-After', '5');
  response.status(status).json(body);
}

function describeError(exception: unknown): { status: number; body: Record<string, unknown> } {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const payload = exception.getResponse();
    const body = typeof payload === 'string' ? { statusCode: status, error: exception.name, message: payload } : { statusCode: status, ...payload };
    return { status, body };
  }
  const parserError = exception as BodyParserError;
  if (
    parserError?.type === 'entity.parse.failed' ||
    parserError?.type === 'entity.verify.failed' ||
    parserError?.type === 'encoding.unsupported' ||
    parserError?.type === 'charset.unsupported'
  ) {
    return badRequest([{ field: '(body)', reason: 'is not valid JSON in UTF-8' }]);
  }
  if (parserError?.type === 'entity.too.large') {
    return { status: 413, body: { statusCode: 413, error: 'Payload Too Large', message: `request body exceeds ${parserError.limit} bytes` } };
  }
  // Any other client error the body parser or express raised (a corrupt gzip or deflate body, a truncated
  // upload, a path that does not decode): the request is wrong, not the server.
  if (parserError?.expose === true && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return badRequest([{ field: '(body)', reason: 'could not be read (corrupt, truncated or wrongly encoded)' }]);
  }
  if (isStatementTimeout(exception)) {
    return serviceUnavailable('statement-timeout', 'the query ran longer than its time limit and was cancelled; nothing was changed: narrow it or retry later');
  }
  if (isDatabaseBusy(exception)) {
    return serviceUnavailable('database-busy', 'no database connection became free in time (the service is overloaded); nothing was stored, retry later');
  }
  if (isDatabaseUnavailable(exception)) {
    return serviceUnavailable('database-unavailable', 'the database is unavailable; nothing was stored, retry later');
  }
  return { status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error' } };
}

/** A 503: nothing was done, `reason` says why in a word, `message` in a sentence. */
function serviceUnavailable(reason: string, message: string): { status: number; body: Record<string, unknown> } {
  return { status: 503, body: { statusCode: 503, error: 'Service Unavailable', reason, message } };
}

export function badRequest(errors: FieldError[]): { status: number; body: Record<string, unknown> } {
  return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Validation failed', errors } };
}
