import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { topicNames, type AuthorityCode } from '#contracts';
import { generateEvents } from '#datagen';
import { eventRefOf, matchingKey, mergeEvent, recordationId, type RegistryRecordation } from '#domain';
import { dataSourceOptions, runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { writeRegistryState } from './registry-bulk-load.js';
import { CHECK_FUZZY_ROW_CAP, RegistryQueries, checkFuzzySql, checkKeyedSql } from './registry-queries.js';
import { RegistryTables } from './registry-tables.js';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/**
 * Issue 18, item 3: the check's common cases (exact key, 简/繁, alias, number) never touch the trigram index — their
 * statement has no trigram operator and its plan no trigram index, even with sequential scans priced out — and only
 * a line those leave unrecorded runs the fuzzy statement, which reads at most CHECK_FUZZY_ROW_CAP trigram matches.
 */
describe('the check’s plans', () => {
  let database: TestDatabase;
  let db: pg.Client;
  let dataSource: DataSource;
  let queries: RegistryQueries;
  const tables = new RegistryTables('registry');
  const texts: string[] = [];
  let number = '';

  beforeAll(async () => {
    database = await createTestDatabase('rx_check_plans');
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    // A registry of 3 000 recordations folded from the generator, as the lookup benchmark loads one.
    const recordations = new Map<string, RegistryRecordation>();
    const offsets: Record<AuthorityCode, number> = { CN: 0, HK: 0, MO: 0 };
    for (const { authority, event } of generateEvents({ seed: 7, events: 3_450, keys: null })) {
      const id = recordationId(authority, event.subject);
      const ref = eventRefOf(event, topicNames('')[authority], 0, String(offsets[authority]++), event.time, 'plans', true);
      const outcome = mergeEvent(recordations.get(id), event, ref, false);
      if (outcome.disposition === 'applied') recordations.set(id, outcome.next);
      if (event.type === 'recordation.created') texts.push(event.data.mark.text);
    }
    const active = [...recordations.values()].find((r) => r.status === 'active')!;
    number = active.recordationNumber;
    await writeRegistryState(db, tables, recordations, new Map());
    // 2 000 look-alikes of one text: more trigram matches than a check may read.
    await db.query(
      `INSERT INTO registry.mark_keys (key, authority, recordation_number, kind, literal)
       SELECT $1 || lpad(i::text, 4, '0'), 'MO', 'LOOKALIKE-' || i, 'text', $1 || i FROM generate_series(1, 2000) i`,
      [matchingKey('LUXORIA ')],
    );
    await db.query(`INSERT INTO registry.aliases (from_key, to_key, from_text, to_text, created_by) VALUES ($1, $2, 'SOME ALIAS', $3, 'test')`, [
      matchingKey('SOME ALIAS'),
      matchingKey(active.data.mark.text),
      active.data.mark.text,
    ]);
    await db.query('ANALYZE registry.recordations; ANALYZE registry.mark_keys; ANALYZE registry.marks; ANALYZE registry.aliases');
    dataSource = await new DataSource(dataSourceOptions({ url: database.url, schema: 'registry', migrations: [] })).initialize();
    queries = new RegistryQueries(dataSource, tables);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.end();
    await database?.drop();
  });

  const commonLines = () => [texts[0], texts[1], texts[2], 'SOME ALIAS', number, ...texts.slice(3, 40)];

  it('has no trigram operator in the statement for number, key and alias', () => {
    const sql = checkKeyedSql(tables);
    expect(sql).not.toMatch(/%|similarity\(|<->|mark_keys_trigram/);
  });

  it.each([false, true])('plans number, key and alias without the trigram index (sequential scans priced out: %s)', async (noSeqScan) => {
    const lines = commonLines();
    await db.query(`SET enable_seqscan = ${noSeqScan ? 'off' : 'on'}`);
    // A generic plan, as the prepared statement gets after five runs; and a custom one for these values.
    for (const generic of [false, true]) {
      await db.query(`SET plan_cache_mode = ${generic ? 'force_generic_plan' : 'force_custom_plan'}`);
      const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${checkKeyedSql(tables)}`, [
        lines.map((l) => l.trim()),
        lines.map((l) => matchingKey(l.trim()) || null),
        [1],
        [matchingKey('N1KE')],
      ]);
      const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
      expect(nodes.map((node) => node['Index Name']).filter(Boolean)).not.toContain('mark_keys_trigram');
      expect(nodes.some((node) => node['Index Name'] === 'mark_keys_pkey')).toBe(true);
    }
    await db.query('RESET enable_seqscan; RESET plan_cache_mode');
  });

  it('answers recorded common cases without running the fuzzy statement; a miss runs it once', async () => {
    const statements: string[] = [];
    const query = dataSource.query.bind(dataSource);
    dataSource.query = ((sql: string, parameters?: unknown[]) => (statements.push(sql), query(sql, parameters))) as typeof dataSource.query;
    try {
      const lines = [texts[0], 'SOME ALIAS', number].map((mark) => ({ mark }));
      const results = await queries.check(lines);
      expect(results.map((result) => result.recorded)).toEqual([true, true, true]);
      expect(results[1].matches[0].matchedBy).toBe('alias');
      expect(results[2].matches[0].matchedBy).toBe('number');
      expect(statements.filter((sql) => sql.includes('OPERATOR(public.%)'))).toEqual([]);
      const [miss] = await queries.check([{ mark: 'ZZYZX QUORTLE' }]);
      expect(miss).toEqual({ recorded: false, matches: [] });
      expect(statements.filter((sql) => sql.includes('OPERATOR(public.%)'))).toHaveLength(1);
    } finally {
      dataSource.query = query;
    }
  });

  it(`reads at most ${CHECK_FUZZY_ROW_CAP} trigram matches for a text with thousands of look-alikes`, async () => {
    const key = matchingKey('LUXORIA 0001');
    const { rows } = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${checkFuzzySql(tables)}`, [[key], '0.3']);
    const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
    // The scan of mark_keys (through the trigram index, or sequential while it finds enough) stops at the cap.
    const scans = nodes.filter((node) => node['Relation Name'] === 'mark_keys');
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) expect(scan['Actual Rows']).toBeLessThanOrEqual(CHECK_FUZZY_ROW_CAP);
    // Without the cap the same text matches all 2 000.
    await db.query(`SET pg_trgm.similarity_threshold = 0.3`);
    const { rows: all } = await db.query(`SELECT count(*)::int AS n FROM registry.mark_keys WHERE key OPERATOR(public.%) $1`, [key]);
    await db.query(`RESET pg_trgm.similarity_threshold`);
    expect(all[0].n).toBeGreaterThan(CHECK_FUZZY_ROW_CAP);
  });
});
