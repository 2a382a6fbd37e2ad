import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer.js';
import pg from 'pg';
import { lastValueFrom, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { dataSourceOptions, isStatementTimeout, runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { RegistryQueries } from '../store/registry-queries.js';
import { RegistryTables } from '../store/registry-tables.js';
import { OfficerRedaction } from './officer-redaction.interceptor.js';

/**
 * The officers' redaction reads today's restrictions of the recordations a response names; those a lookup of the
 * same request read come from that statement (no second read), the others are read afterwards. Either way the
 * restricted field is withheld from an officer outside the restriction's scope.
 */
describe('OfficerRedaction with the restrictions the lookups read', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let queries: RegistryQueries;
  let blocker: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('rx_officer_redaction');
    await runMigrations({ url: database.urlFor('registry'), schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    dataSource = await new DataSource(dataSourceOptions({ url: database.urlFor('registry'), schema: 'registry', migrations: [] })).initialize();
    queries = new RegistryQueries(dataSource, new RegistryTables('registry'), 300);
    blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    const data = (number: string) =>
      JSON.stringify({
        recordationNumber: number,
        rightsHolder: { name: 'Holder' },
        niceClasses: [18],
        validUntil: '2030-01-01',
        knownInfringers: [{ name: 'Shady Bags Trading' }],
        restrictions: [{ field: 'knownInfringers', sharedWith: ['HK'] }],
      });
    await blocker.query(
      `INSERT INTO registry.marks (mark_id, display_text, display_source, recorded, conflict, conflicts, recordation_count) VALUES ('m_1', 'ACME', 'CN/T-1', true, false, '[]', 2)`,
    );
    await blocker.query(
      `INSERT INTO registry.recordations (authority, recordation_number, version, status, data, provenance, mark_id, valid_until, updated_at)
       VALUES ('CN', 'T-1', 1, 'active', $1, '{}', 'm_1', '2030-01-01', now()), ('CN', 'T-2', 1, 'active', $2, '{}', 'm_1', '2030-01-01', now())`,
      [data('T-1'), data('T-2')],
    );
  });
  afterAll(async () => {
    await queries?.close();
    await blocker?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A route of the officers' controller, through Nest's own interceptor chain, as `principal` calls it. */
  async function route<T>(principal: { role: string; authority?: string }, handler: () => Promise<T>): Promise<T> {
    const request = { principal };
    const observable = (await new InterceptorsConsumer().intercept(
      [new OfficerRedaction(queries)],
      [request, {}, () => undefined],
      { constructor: class {} },
      () => undefined,
      handler,
      'http',
    )) as Observable<T>;
    return lastValueFrom(observable);
  }

  /** What a route that lists mark m_1 and shows recordation CN/T-1 in full answers. */
  const markWithDetail = async () => {
    const [mark] = await queries.marksWithRecordations(['m_1']);
    return { mark, detail: { authority: 'CN', recordationNumber: 'T-1', knownInfringers: [{ name: 'Shady Bags Trading' }] } };
  };

  it('withholds the restricted field from an officer outside the scope and shows it to one inside', async () => {
    const outside = await route({ role: 'officer', authority: 'MO' }, markWithDetail);
    expect(outside.mark.recordations.map((r) => r.recordationNumber)).toEqual(['T-1', 'T-2']);
    expect(outside.detail).toEqual({ authority: 'CN', recordationNumber: 'T-1' });
    const inside = await route({ role: 'officer', authority: 'HK' }, markWithDetail);
    expect(inside.detail.knownInfringers).toEqual([{ name: 'Shady Bags Trading' }]);
  });

  it("takes the restrictions of what the request's lookups read from those statements, and reads the others", async () => {
    // Reading the recordations table now waits for the lock (and times out): a redaction that answers has not read it.
    const marks = await queries.marksWithRecordations(['m_1']);
    expect(marks).toHaveLength(1);
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE registry.recordations IN ACCESS EXCLUSIVE MODE');
    try {
      const seen = new Map([
        ['CN/T-1', [{ field: 'knownInfringers' as const, sharedWith: ['HK' as const] }]],
        ['CN/T-2', null],
      ]);
      const current = await queries.currentRestrictions(
        [
          { authority: 'CN', recordationNumber: 'T-1' },
          { authority: 'CN', recordationNumber: 'T-2' },
        ],
        seen,
      );
      expect([...current.keys()]).toEqual(['CN/T-1']);
      // One the request's lookups did not read is read (here: waits for the lock and is cancelled).
      const failure = await queries.currentRestrictions([{ authority: 'CN', recordationNumber: 'T-3' }], seen).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isStatementTimeout(failure)).toBe(true);
    } finally {
      await blocker.query('ROLLBACK');
    }
  });

  it("does not read again, through Nest's interceptor chain, the restrictions the route's lookups read", async () => {
    const outside = await route({ role: 'officer', authority: 'MO' }, async () => {
      const answer = await markWithDetail();
      // From here on a read of the recordations table would wait for the lock and be cancelled (the route fails).
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE registry.recordations IN ACCESS EXCLUSIVE MODE');
      return answer;
    }).finally(() => blocker.query('ROLLBACK'));
    expect(outside.detail).toEqual({ authority: 'CN', recordationNumber: 'T-1' });
  });

  it("fills them within the request's async context: a lookup there records what it read", async () => {
    const seen = new Map<string, unknown>();
    await queries.withRestrictionsSeen(seen as Map<string, never>, () => queries.marksWithRecordations(['m_1']));
    expect(Object.fromEntries(seen)).toEqual({
      'CN/T-1': [{ field: 'knownInfringers', sharedWith: ['HK'] }],
      'CN/T-2': [{ field: 'knownInfringers', sharedWith: ['HK'] }],
    });
    // Outside it nothing is recorded.
    await queries.marksWithRecordations(['m_1']);
    expect(seen.size).toBe(2);
  });
});
