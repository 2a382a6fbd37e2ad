import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { RESTRICTABLE_FIELDS } from '#contracts';
import { waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

const SECRET_HOLDER = 'Secret Holder Ltd ZQX';
const SECRET_INFRINGER = 'Hidden Infringer Co QJV';

/**
 * One redaction policy on every officer response (issue 22, items 8 and 9, and the Low item on withheld fields).
 * The test makes `rightsHolder` restrictable — a field every summary (search, check, mark) projects, so only a
 * policy applied to whole responses, not a choice of fields per query, can keep it hidden — and proves that an
 * officer outside the scope never sees it, nor that it exists, from any officer route, today or as of any time;
 * and that a field restricted today stays hidden in views of a time before it was restricted.
 */
describe('the redaction policy', () => {
  let system: TestSystem;
  let cn: INestApplication;
  let registry: INestApplication;
  let number: string;
  let markId: string;
  let beforeRestriction: string;

  beforeAll(async () => {
    (RESTRICTABLE_FIELDS as unknown as string[]).push('rightsHolder');
    system = await TestSystem.create('redact');
    cn = await system.startAuthority('CN');
    registry = await system.startRegistry({ METRICS_TOKEN: 'test-metrics-scraper' });
    const publish = { authorization: `Bearer ${TOKENS.publisher.CN}` };
    const created = await request(cn.getHttpServer())
      .post('/recordations')
      .set(publish)
      .send(
        recordationBody('CN', {
          mark: { text: 'REDACTZ', script: 'Latn', type: 'word' },
          rightsHolder: { name: SECRET_HOLDER, country: 'FR' },
          knownInfringers: [{ name: SECRET_INFRINGER, country: 'VN' }],
          restrictions: [{ field: 'rightsHolder', sharedWith: ['HK'] }],
        }),
      )
      .expect(201);
    number = created.body.recordationNumber;
    const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
    await waitFor(async () => (await request(registry.getHttpServer()).get(`/api/recordations/CN/${number}`).set(auditor)).status === 200, {
      description: 'the recordation in the registry',
    });
    beforeRestriction = new Date().toISOString();
    await waitFor(() => Date.now() > Date.parse(beforeRestriction) + 5 || undefined, { intervalMs: 5, description: 'a later millisecond' });
    // Later, the Mainland restricts knownInfringers too: today's restriction, unknown to the views of before.
    await request(cn.getHttpServer())
      .patch(`/recordations/${number}`)
      .set(publish)
      .send({
        restrictions: [
          { field: 'rightsHolder', sharedWith: ['HK'] },
          { field: 'knownInfringers', sharedWith: ['HK'] },
        ],
      })
      .expect(200);
    await waitFor(
      async () => ((await request(registry.getHttpServer()).get(`/api/recordations/CN/${number}`).set(auditor)).body.version as number) >= 2 || undefined,
      { description: 'the amendment in the registry' },
    );
    markId = (await request(registry.getHttpServer()).get(`/api/recordations/CN/${number}`).set(auditor)).body.markId;
  });
  afterAll(async () => {
    (RESTRICTABLE_FIELDS as unknown as string[]).splice((RESTRICTABLE_FIELDS as unknown as string[]).indexOf('rightsHolder'), 1);
    await system?.close();
  });

  const officerPaths = () => [
    `/api/marks/search?q=REDACTZ`,
    `/api/marks/search?q=REDACTZ&asOf=${encodeURIComponent(beforeRestriction)}`,
    `/api/check?mark=REDACTZ`,
    `/api/recordations/CN/${encodeURIComponent(number)}`,
    `/api/recordations/CN/${encodeURIComponent(number)}?asOf=${encodeURIComponent(beforeRestriction)}`,
    ...(markId ? [`/api/marks/${markId}`, `/api/marks/${markId}?asOf=${encodeURIComponent(beforeRestriction)}`] : []),
  ];

  it('never shows a restricted field, or that it exists, to an officer outside its scope (MO)', async () => {
    expect(markId).toMatch(/^m_/);
    for (const path of officerPaths()) {
      const response = await request(registry.getHttpServer()).get(path).set('authorization', `Bearer ${TOKENS.officer.MO}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      const text = JSON.stringify(response.body);
      expect({ path, found: text.includes('REDACTZ') || text.includes(number) }).toEqual({ path, found: true });
      for (const secret of [SECRET_HOLDER, SECRET_INFRINGER, 'rightsHolder', 'knownInfringers', 'withheld']) {
        expect({ path, leaks: text.includes(secret) ? secret : undefined }).toEqual({ path, leaks: undefined });
      }
    }
  });

  it('shows it to the officers named (HK) and the recording authority (CN), today and as of before', async () => {
    for (const token of [TOKENS.officer.HK, TOKENS.officer.CN]) {
      for (const path of officerPaths()) {
        const text = JSON.stringify((await request(registry.getHttpServer()).get(path).set('authorization', `Bearer ${token}`).expect(200)).body);
        expect({ path, shown: text.includes(SECRET_HOLDER) }).toEqual({ path, shown: true });
      }
    }
  });

  it('keeps history and export for auditors: an officer gets neither', async () => {
    for (const path of [
      `/api/recordations/CN/${encodeURIComponent(number)}/history`,
      `/api/marks/${markId}/history`,
      '/api/audit/export?what=registry&since=2000-01-01T00:00:00Z',
      '/api/audit/export?what=events&since=2000-01-01T00:00:00Z',
    ]) {
      await request(registry.getHttpServer()).get(path).set('authorization', `Bearer ${TOKENS.officer.MO}`).expect(403);
      const audited = await request(registry.getHttpServer())
        .get(path)
        .set('authorization', `Bearer ${TOKENS.auditor}`)
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => done(null, text));
        });
      expect({ path, status: audited.status, shown: String(audited.body).includes(SECRET_HOLDER) }).toEqual({ path, status: 200, shown: true });
    }
  });

  it('serves /metrics only to the METRICS_TOKEN when one is set (issue 22, item 9)', async () => {
    await request(registry.getHttpServer()).get('/metrics').expect(401);
    await request(registry.getHttpServer()).get('/metrics').set('authorization', `Bearer ${TOKENS.officer.HK}`).expect(401);
    const scraped = await request(registry.getHttpServer()).get('/metrics').set('authorization', 'Bearer test-metrics-scraper').expect(200);
    expect(scraped.text).toMatch(/registry_/);
  });
});
