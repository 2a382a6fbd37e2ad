import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { RegistryTables } from '../store/registry-tables.js';
import { eventsPageSql, registryPageSql } from './export.js';

/**
 * Every export page must read its rows from an index in the page's order: a sort instead is a scan of the whole table
 * per page (at 1 000 000 recordations, 1 s a page and 1 000 pages). With sorting priced out, a plan that still sorts
 * has no such index.
 */
describe('export pages', () => {
  let database: TestDatabase;
  let db: pg.Client;
  const tables = new RegistryTables('registry');

  beforeAll(async () => {
    database = await createTestDatabase('rx_export_pages');
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    await db.query('SET enable_sort = off');
  });
  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  const planOf = async (sql: string, params: unknown[]) => (await db.query(`EXPLAIN ${sql}`, params)).rows.map((row) => row['QUERY PLAN'] as string).join('\n');

  it.each([true, false])('events, first page %s: in index order, no sort', async (first) => {
    const plan = await planOf(eventsPageSql(tables, first), [new Date('2026-01-01T00:00:00Z'), 'recordations.cn', 0, '0']);
    expect(plan).toContain('events_export_order');
    expect(plan).not.toMatch(/\bSort\b/);
  });

  it.each([true, false])('registry, first page %s: in index order, no sort', async (first) => {
    const plan = await planOf(registryPageSql(tables, first), [new Date('2026-01-01T00:00:00Z'), 'CN', 'T2024-00001']);
    expect(plan).toContain('recordations_export_order');
    expect(plan).not.toMatch(/\bSort\b/);
  });
});
