import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import request from 'supertest';
import { parsePrivateKey, type AuthorityCode } from '#contracts';
import { generateEvents, type GeneratedEvent } from '#datagen';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { checkAgreement } from '../../../apps/registry/src/audit/agreement.js';
import { TOKENS, TestSystem } from '../../support/system.js';

const EVENTS = 900;
const AGREE_CLI = 'dist/apps/registry/src/replay/agree.cli.js';

/**
 * Agreement you can check (issue 17, item 3): three registries, one per site (own schema, own consumer group),
 * read the same log; their digests as of the same log positions are equal even while events still flow, and a
 * site whose event store was altered is found, with the first differing record, by audit:agree (exit 1).
 */
describe('sites agree at the same log positions', () => {
  let system: TestSystem;
  let events: GeneratedEvent[];
  const sites: Record<'CN' | 'HK' | 'MO', { app: INestApplication; url: string }> = {} as never;

  async function produce(slice: GeneratedEvent[]): Promise<void> {
    for (const authority of ['CN', 'HK', 'MO'] as const) {
      const producer = createKafka({
        brokers: TEST_KAFKA_BROKERS,
        clientId: `agree-${authority}`,
        ...TEST_KAFKA_PRINCIPALS[authority],
        logLevel: 'NOTHING',
      }).producer();
      await producer.connect();
      const mine = slice.filter((e) => e.authority === authority);
      for (let i = 0; i < mine.length; i += 50) {
        await producer.send({ topic: system.topics[authority], acks: -1, messages: mine.slice(i, i + 50).map((e) => ({ key: e.key, value: e.value })) });
      }
      await producer.disconnect();
    }
  }

  const auditor = (app: INestApplication) => ({
    get: (path: string) => request(app.getHttpServer()).get(path).set('authorization', `Bearer ${TOKENS.auditor}`),
  });
  const merged = async (app: INestApplication) => {
    const positions = (await auditor(app).get('/api/audit/digest').expect(200)).body.positions as Record<string, Record<string, string>>;
    return Object.values(positions).reduce((n, p) => n + Object.values(p).reduce((m, o) => m + Number(o), 0), 0);
  };

  beforeAll(async () => {
    system = await TestSystem.create('agree');
    const keys = Object.fromEntries(
      Object.entries(system.keys.signers).map(([authority, signer]) => [authority, { keyId: signer.keyId, privateKey: parsePrivateKey(signer.privateKey) }]),
    ) as Record<AuthorityCode, { keyId: string; privateKey: ReturnType<typeof parsePrivateKey> }>;
    events = generateEvents({ seed: 17, events: EVENTS, keys });
    await produce(events.slice(0, EVENTS / 3));
    for (const site of ['CN', 'HK', 'MO'] as const) {
      const app = await system.startRegistry({ REGISTRY_SITE: site, KAFKA_CONSUMER_GROUP: `registry-${site.toLowerCase()}-${system.prefix}` });
      const { port } = app.getHttpServer().address() as AddressInfo;
      sites[site] = { app, url: `http://127.0.0.1:${port}` };
    }
  });

  afterAll(async () => {
    await system?.close();
  });

  it('gives each site its own schema and says which site answers', async () => {
    const body = (await auditor(sites.HK.app).get('/api/audit/digest').expect(200)).body;
    expect(body.site).toBe('HK');
    expect(Object.keys(body.positions).sort()).toEqual([system.topics.CN, system.topics.HK, system.topics.MO].sort());
    const client = new pg.Client({ connectionString: system.database.url });
    await client.connect();
    try {
      const schemas = (await client.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'registry_%' ORDER BY 1`)).rows.map((r) => r.nspname);
      expect(schemas).toEqual(['registry_cn', 'registry_hk', 'registry_mo']);
    } finally {
      await client.end();
    }
  });

  it('agrees at common positions while events still flow, and at the latest once every site has them', async () => {
    const flowing = produce(events.slice(EVENTS / 3));
    await waitFor(async () => (await merged(sites.MO.app)) > EVENTS / 3, { timeoutMs: 60_000, description: 'MO past the first third' });
    const during = await checkAgreement([sites.CN.url, sites.HK.url, sites.MO.url], { token: TOKENS.auditor, waitMs: 0, show: 3 });
    expect(during.differences).toEqual([]);
    expect(during.agree).toBe(true);
    await flowing;

    const all = await checkAgreement([sites.CN.url, sites.HK.url, sites.MO.url], { token: TOKENS.auditor, waitMs: 120_000, show: 3 });
    expect(all.at).toBe('latest');
    expect(all.agree).toBe(true);
    expect(all.sites.map((s) => s.events)).toEqual([EVENTS, EVENTS, EVENTS]);
    // The digest at a site's own positions is its live digest (the fold of the event store equals the stored rows).
    const live = (await auditor(sites.CN.app).get('/api/audit/digest').expect(200)).body;
    const folded = (
      await auditor(sites.CN.app)
        .get('/api/audit/digest')
        .query({ positions: JSON.stringify(live.positions) })
        .expect(200)
    ).body;
    expect(folded.digest).toBe(live.digest);
    expect(all.sites[0].digest).toBe(live.digest);
  });

  it('answers 409 for positions not reached yet and 400 naming positions for malformed ones', async () => {
    const live = (await auditor(sites.CN.app).get('/api/audit/digest').expect(200)).body;
    const ahead = { [system.topics.CN]: { '0': String(Number(live.positions[system.topics.CN]['0'] ?? 0) + 1000) } };
    const conflict = await auditor(sites.CN.app)
      .get('/api/audit/digest')
      .query({ positions: JSON.stringify(ahead) })
      .expect(409);
    expect(conflict.body.behind[0]).toMatchObject({ topic: system.topics.CN, partition: '0' });
    for (const bad of [
      '{',
      '[]',
      '{"other.topic":{"0":"1"}}',
      JSON.stringify({ [system.topics.CN]: { x: '1' } }),
      JSON.stringify({ [system.topics.CN]: { '0': '-1' } }),
    ]) {
      const response = await auditor(sites.CN.app).get('/api/audit/digest').query({ positions: bad }).expect(400);
      expect(response.body.errors[0].field).toBe('positions');
    }
  });

  it('finds a site whose event store was altered: audit:agree prints the first differing record and exits 1', async () => {
    const client = new pg.Client({ connectionString: system.database.url });
    await client.connect();
    let forged: { authority: string; recordation_number: string };
    try {
      forged = (
        await client.query(
          `UPDATE registry_mo.events SET payload = jsonb_set(payload, '{data,goods}', '"Forged goods"')
           WHERE ("topic", partition, "offset") = (
             SELECT "topic", partition, "offset" FROM registry_mo.events e WHERE disposition = 'applied'
             AND sequence = (SELECT max(sequence) FROM registry_mo.events x WHERE x.authority = e.authority AND x.recordation_number = e.recordation_number)
             ORDER BY "offset" LIMIT 1)
           RETURNING authority, recordation_number`,
        )
      ).rows[0];
    } finally {
      await client.end();
    }
    const result = await checkAgreement([sites.CN.url, sites.HK.url, sites.MO.url], { token: TOKENS.auditor, waitMs: 0, show: 5 });
    expect(result.agree).toBe(false);
    expect(result.sites[0].digest).toBe(result.sites[1].digest);
    expect(result.sites[2].digest).not.toBe(result.sites[0].digest);
    const key = `recordation ${forged.authority}:${forged.recordation_number}`;
    expect(result.differences.map((d) => d.key)).toContain(key);

    const cli = spawn(process.execPath, [AGREE_CLI, sites.CN.url, sites.HK.url, sites.MO.url, '--wait', '0'], {
      env: { ...process.env, AUDITOR_TOKEN: TOKENS.auditor },
    });
    let output = '';
    cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    expect(output).toContain('DISAGREE');
    expect(output).toContain(key);
    expect(output).toContain('at r.data.goods:');
    expect(output).toContain('MO: "Forged goods"');
    expect(code).toBe(1);
  });
});
