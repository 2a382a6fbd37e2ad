import { describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import { sendError } from './http-error.filter.js';

function capture(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent = { status: 0, body: {} as Record<string, unknown> };
  const response = {
    headersSent: false,
    hasHeader: () => false,
    setHeader: () => response,
    status: (status: number) => {
      sent.status = status;
      return response;
    },
    json: (body: Record<string, unknown>) => {
      sent.body = body;
      return response;
    },
  };
  sendError(response as unknown as Response, exception, { error: () => undefined });
  return sent;
}

/** What body-parser hands on for a body it cannot read: an http-errors 400 without a `type`. */
function httpError(status: number, message: string, extra: object = {}) {
  return Object.assign(new Error(message), { status, statusCode: status, expose: status < 500, ...extra });
}

// Found by the hostile-HTTP fault scenario: a corrupt gzip or deflate body answered 500.
describe('sendError for body-parser errors', () => {
  it('answers a corrupt compressed body with 400', () => {
    expect(capture(httpError(400, 'incorrect header check', { code: 'Z_DATA_ERROR', errno: -3 }))).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Validation failed',
        errors: [{ field: '(body)', reason: 'could not be read (corrupt, truncated or wrongly encoded)' }],
      },
    });
  });

  it('answers a verify failure (invalid UTF-8) with 400 naming the body', () => {
    expect(capture(httpError(403, 'the body is not valid UTF-8', { type: 'entity.verify.failed' })).status).toBe(400);
    expect(capture(httpError(400, 'the body is not valid UTF-8', { type: 'entity.parse.failed' })).body.errors).toEqual([
      { field: '(body)', reason: 'is not valid JSON in UTF-8' },
    ]);
  });

  it('still answers 500 for an unexpected error, and for a server-side http-error', () => {
    expect(capture(new Error('boom')).status).toBe(500);
    expect(capture(httpError(500, 'boom')).status).toBe(500);
  });
});

// Issue 17 (cross-border faults): every refusal of a write is a 503 that says why, never a 500 or a silent loss.
describe('sendError for a database that cannot take the write', () => {
  it('answers an exhausted connection pool with 503 reason database-busy', () => {
    const { status, body } = capture(new Error('timeout exceeded when trying to connect'));
    expect([status, body.reason]).toEqual([503, 'database-busy']);
    expect(body.message).toMatch(/nothing was stored, retry later/);
  });

  it('answers a database that cannot be reached with 503 reason database-unavailable', () => {
    const { status, body } = capture(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect([status, body.reason]).toEqual([503, 'database-unavailable']);
  });
});
