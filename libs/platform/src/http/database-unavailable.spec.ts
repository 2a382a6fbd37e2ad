import { describe, expect, it } from '@jest/globals';
import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseBusy, isDatabaseUnavailable, isStatementTimeout } from './http-error.filter.js';

describe('isDatabaseUnavailable', () => {
  it('recognises the ways a lost PostgreSQL shows up', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(
      isDatabaseUnavailable(
        new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    // A transaction whose connection died: TypeORM released its runner and the next query says so.
    expect(isDatabaseUnavailable(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
  });

  it('does not hide real faults behind a 503', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate key'), { code: '23505' })))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('isStatementTimeout', () => {
  it('recognises a statement PostgreSQL cancelled at statement_timeout, and nothing else', () => {
    expect(
      isStatementTimeout(new QueryFailedError('SELECT', [], Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))),
    ).toBe(true);
    expect(isStatementTimeout(new QueryFailedError('SELECT', [], Object.assign(new Error('duplicate key'), { code: '23505' })))).toBe(false);
    expect(isStatementTimeout(undefined)).toBe(false);
  });
});

describe('isDatabaseBusy', () => {
  it("recognises pg-pool's wait for a free connection running out, not a database that cannot be reached", () => {
    expect(isDatabaseBusy(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseBusy(new Error('Connection terminated due to connection timeout'))).toBe(false);
    expect(isDatabaseBusy(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isDatabaseBusy(undefined)).toBe(false);
  });
});
