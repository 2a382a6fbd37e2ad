import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../migrations/index.js';
import { RegistryTables } from '../store/registry-tables.js';
import { AliasService } from './aliases.controller.js';

/** Issue 22, Low: an alias change no longer overwrites who set what and when; auditors read every change. */
describe('alias history', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('rx_alias_history');
    await runMigrations({ url: database.urlFor('registry'), schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    dataSource = await new DataSource(dataSourceOptions({ url: database.urlFor('registry'), schema: 'registry', migrations: [] })).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('keeps every change with its author, time and the target it replaced', async () => {
    const aliases = new AliasService(dataSource, new RegistryTables('registry'));
    const first = await aliases.add('耐吉', '耐克', 'admin-a');
    const second = await aliases.add('耐吉', 'NIKE', 'admin-b');
    expect(await aliases.list()).toEqual([expect.objectContaining({ from: '耐吉', to: 'NIKE', createdBy: 'admin-b' })]);
    expect(await aliases.history()).toEqual([
      expect.objectContaining({ from: '耐吉', to: '耐克', toKey: first.toKey, previousToKey: null, setBy: 'admin-a', setAt: expect.any(Date) }),
      expect.objectContaining({ from: '耐吉', to: 'NIKE', toKey: second.toKey, previousToKey: first.toKey, setBy: 'admin-b', setAt: expect.any(Date) }),
    ]);
  });
});
