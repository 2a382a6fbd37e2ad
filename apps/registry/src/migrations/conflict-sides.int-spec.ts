import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from './index.js';

/** A registry migrated up to the one before ConflictSides, with marks in the old shape, then migrated to the end. */
describe('migration ConflictSides', () => {
  let database: TestDatabase;
  let db: pg.Client;

  const recordation = (authority: string, number: string, holder: string, markId: string) => [
    authority,
    number,
    JSON.stringify({ status: 'active', rightsHolder: { name: holder, country: 'HK' }, mark: { text: '丽东', type: 'word' } }),
    markId,
  ];

  beforeAll(async () => {
    database = await createTestDatabase('rx_conflict_sides');
    const before = REGISTRY_MIGRATIONS.findIndex((migration) => migration.name === 'ConflictSides1764700000000');
    expect(before).toBeGreaterThan(0);
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS.slice(0, before) });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    for (const row of [
      recordation('CN', 'T1', '丽东实业有限公司', 'm_old'),
      recordation('HK', 'H1', 'Lai Tung Trading Limited', 'm_old'),
      recordation('MO', 'M1', '丽东实业', 'm_old'),
      recordation('HK', 'H2', 'Other Holder Limited', 'm_current'),
    ]) {
      await db.query(
        `INSERT INTO registry.recordations (authority, recordation_number, version, status, data, provenance, mark_id, valid_until, updated_at)
         VALUES ($1, $2, 1, 'active', $3, '{}', $4, '2036-01-01', now())`,
        row,
      );
    }
    await db.query(
      `INSERT INTO registry.marks (mark_id, display_text, display_source, recorded, conflict, conflicts, recordation_count) VALUES
       ('m_old', '丽东', 'CN:T1', true, true, '[{"a": "CN:T1", "b": "HK:H1"}, {"a": "HK:H1", "b": "MO:M1"}]', 3),
       ('m_current', '丽东', 'HK:H2', true, false, '[]', 1)`,
    );
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  it('re-summarises a mark stored with conflicting pairs into one side per holder', async () => {
    const { rows } = await db.query(`SELECT conflict, conflicts FROM registry.marks WHERE mark_id = 'm_old'`);
    expect(rows[0]).toEqual({
      conflict: true,
      conflicts: [
        { holder: '丽东实业有限公司', recordations: ['CN:T1', 'MO:M1'] },
        { holder: 'Lai Tung Trading Limited', recordations: ['HK:H1'] },
      ],
    });
  });

  it('leaves a mark already in the current shape as it was', async () => {
    const { rows } = await db.query(`SELECT conflict, conflicts, display_source FROM registry.marks WHERE mark_id = 'm_current'`);
    expect(rows[0]).toEqual({ conflict: false, conflicts: [], display_source: 'HK:H2' });
  });
});
