import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { parseTrustedKeys } from '#contracts';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import pg from 'pg';
import { replayRegistry } from '../../../apps/registry/src/replay/replay.js';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/** Auditors (issue 7): history with before/after, the registry as of a time, replay with a verified digest, export. */
describe('audit: history, asOf, replay, export', () => {
  let system: TestSystem;
  let registry: INestApplication<Server>;
  const apps: Record<string, INestApplication<Server>> = {};
  const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
  let cnNumber: string;
  let hkNumber: string;
  let beforeRevocation: string;
  let totalEvents = 0;

  const publish = (authority: 'CN' | 'HK' | 'MO') => ({ authorization: `Bearer ${TOKENS.publisher[authority]}` });

  async function settled(): Promise<void> {
    await waitFor(async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set(auditor)).body.events === totalEvents, {
      description: `${totalEvents} events in the registry`,
    });
  }

  beforeAll(async () => {
    system = await TestSystem.create('audit');
    for (const authority of ['CN', 'HK', 'MO'] as const) apps[authority] = await system.startAuthority(authority);
    registry = await system.startRegistry();

    cnNumber = (await request(apps.CN.getHttpServer()).post('/recordations').set(publish('CN')).send(recordationBody('CN')).expect(201)).body.recordationNumber;
    hkNumber = (await request(apps.HK.getHttpServer()).post('/recordations').set(publish('HK')).send(recordationBody('HK')).expect(201)).body.recordationNumber;
    await request(apps.MO.getHttpServer())
      .post('/recordations')
      .set(publish('MO'))
      .send(recordationBody('MO', { mark: { text: 'HERMÈS', script: 'Latn', type: 'word' } }))
      .expect(201);
    await request(apps.HK.getHttpServer()).patch(`/recordations/${hkNumber}`).set(publish('HK')).send({ goods: 'Handbags, scarves' }).expect(200);
    await request(apps.HK.getHttpServer()).post(`/recordations/${hkNumber}/renewal`).set(publish('HK')).send({ validUntil: '2033-01-01' }).expect(200);
    totalEvents = 5;
    await settled();
    beforeRevocation = new Date().toISOString();
    await request(apps.CN.getHttpServer())
      .post(`/recordations/${cnNumber}/revocation`)
      .set(publish('CN'))
      .send({ reason: 'untruthful information' })
      .expect(200);
    totalEvents = 6;
    await settled();
  });
  afterAll(() => system?.close());

  it('shows each step of a recordation with what it changed', async () => {
    const response = await request(registry.getHttpServer()).get(`/api/recordations/HK/${hkNumber}/history`).set(auditor).expect(200);
    const events = response.body.events as {
      type: string;
      sequence: number;
      disposition: string;
      changes: { field: string; before: unknown; after: unknown }[];
      topic: string;
      offset: string;
    }[];
    expect(events.map((e) => [e.type, e.sequence, e.disposition])).toEqual([
      ['recordation.created', 1, 'applied'],
      ['recordation.amended', 2, 'applied'],
      ['recordation.renewed', 3, 'applied'],
    ]);
    expect(events[1].changes).toContainEqual({ field: 'goods', before: 'Handbags and leather goods', after: 'Handbags, scarves' });
    expect(events[2].changes).toContainEqual({ field: 'validUntil', before: '2030-01-01', after: '2033-01-01' });
    expect(events.every((e) => e.topic === system.topics.HK && /^\d+$/.test(e.offset))).toBe(true);
  });

  it('lists the history of a whole mark across authorities', async () => {
    const detail = await request(registry.getHttpServer()).get(`/api/recordations/CN/${cnNumber}`).set(auditor).expect(200);
    const response = await request(registry.getHttpServer()).get(`/api/marks/${detail.body.markId}/history`).set(auditor).expect(200);
    expect(new Set(response.body.events.map((e: { authority: string }) => e.authority))).toEqual(new Set(['CN', 'HK', 'MO']));
    expect(response.body.events).toHaveLength(6);
  });

  it('answers asOf before and after a revocation differently and correctly', async () => {
    const before = await request(registry.getHttpServer()).get(`/api/recordations/CN/${cnNumber}`).query({ asOf: beforeRevocation }).set(auditor).expect(200);
    const now = await request(registry.getHttpServer()).get(`/api/recordations/CN/${cnNumber}`).set(auditor).expect(200);
    expect(before.body).toMatchObject({ status: 'active', version: 1 });
    expect(now.body).toMatchObject({ status: 'revoked', version: 2 });
    expect(before.body.provenance.status.type).toBe('recordation.created');
    const mark = await request(registry.getHttpServer()).get(`/api/marks/${now.body.markId}`).query({ asOf: beforeRevocation }).set(auditor).expect(200);
    expect(mark.body.recordations.find((r: { authority: string }) => r.authority === 'CN').status).toBe('active');
    await request(registry.getHttpServer()).get(`/api/recordations/CN/${cnNumber}`).query({ asOf: '2000-01-01T00:00:00Z' }).set(auditor).expect(404);
    await request(registry.getHttpServer()).get(`/api/recordations/CN/${cnNumber}`).query({ asOf: 'yesterday' }).set(auditor).expect(400);
  });

  it('gives the digest as of now equal to the live digest, and another one before the revocation', async () => {
    const live = await request(registry.getHttpServer()).get('/api/audit/digest').set(auditor).expect(200);
    const now = await request(registry.getHttpServer()).get('/api/audit/digest').query({ asOf: new Date().toISOString() }).set(auditor).expect(200);
    const before = await request(registry.getHttpServer()).get('/api/audit/digest').query({ asOf: beforeRevocation }).set(auditor).expect(200);
    expect(now.body).toMatchObject({ digest: live.body.digest, events: 6, recordations: 3 });
    expect(before.body).toMatchObject({ events: 5, recordations: 3 });
    expect(before.body.digest).not.toBe(live.body.digest);
  });

  it('replays the log into a fresh schema with the same digest, and names a corrupted record', async () => {
    const options = {
      kafka: createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'replay-test', ...TEST_KAFKA_PRINCIPALS.registry, logLevel: 'NOTHING' as const }),
      databaseUrl: system.database.url,
      liveSchema: 'registry',
      targetSchema: 'registry_replay',
      topics: system.topics,
      trustedKeys: parseTrustedKeys(system.keys.trustedKeys),
    };
    const clean = await replayRegistry(options);
    expect(clean).toMatchObject({ events: 6, match: true });
    const live = await request(registry.getHttpServer()).get('/api/audit/digest').set(auditor).expect(200);
    expect(clean.liveDigest).toBe(live.body.digest);

    const client = new pg.Client({ connectionString: system.database.url });
    await client.connect();
    await client.query(`UPDATE registry.recordations SET status = 'active' WHERE authority = 'CN' AND recordation_number = $1`, [cnNumber]);
    await client.end();
    const corrupted = await replayRegistry(options);
    expect(corrupted.match).toBe(false);
    expect(corrupted.differences.map((d) => d.recordation)).toEqual([`CN:${cnNumber}`]);
  });

  it('exports events as NDJSON and the registry as CSV, streamed', async () => {
    const ndjson = await request(registry.getHttpServer()).get('/api/audit/export').query({ since: '2000-01-01T00:00:00Z' }).set(auditor).expect(200);
    const lines = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ eventId: expect.any(String), disposition: 'applied', event: { specversion: '1.0' } });
    const csv = await request(registry.getHttpServer())
      .get('/api/audit/export')
      .query({ since: '2000-01-01T00:00:00Z', format: 'csv', what: 'registry' })
      .set(auditor)
      .expect(200);
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toBe('authority,recordationNumber,version,status,markId,markText,rightsHolder,niceClasses,validFrom,validUntil,updatedAt');
    expect(rows).toHaveLength(4);
    await request(registry.getHttpServer()).get('/api/audit/export').query({ since: 'soon' }).set(auditor).expect(400);
  });
});
