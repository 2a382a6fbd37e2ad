import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/** Issue 7: search with asOf answers as the registry stood then — statuses as they were, marks by their old text. */
describe('audit: search as of a time', () => {
  let system: TestSystem;
  let registry: INestApplication<Server>;
  const apps: Record<string, INestApplication<Server>> = {};
  const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
  const publish = (authority: 'CN' | 'MO') => ({ authorization: `Bearer ${TOKENS.publisher[authority]}` });
  let cnNumber: string;
  let moNumber: string;
  let before: string;
  let events = 0;

  const settled = () =>
    waitFor(async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set(auditor)).body.events === events, {
      description: `${events} events merged`,
    });
  const search = (q: string, asOf?: string) =>
    request(registry.getHttpServer())
      .get('/api/marks/search')
      .query(asOf ? { q, asOf } : { q })
      .set(auditor);

  beforeAll(async () => {
    system = await TestSystem.create('searchasof');
    apps.CN = await system.startAuthority('CN');
    apps.MO = await system.startAuthority('MO');
    // A small bound, so the last test can pass it (issue 22, item 5): 2 recordations re-read at most.
    registry = await system.startRegistry({ ASOF_SEARCH_MAX_RECORDATIONS: '2' });
    cnNumber = (await request(apps.CN.getHttpServer()).post('/recordations').set(publish('CN')).send(recordationBody('CN')).expect(201)).body.recordationNumber;
    moNumber = (
      await request(apps.MO.getHttpServer())
        .post('/recordations')
        .set(publish('MO'))
        .send(recordationBody('MO', { mark: { text: 'ALTES ZEICHEN', script: 'Latn', type: 'word' }, rightsHolder: { name: 'Zeichen Lda', country: 'MO' } }))
        .expect(201)
    ).body.recordationNumber;
    events = 2;
    await settled();
    before = new Date().toISOString();
    await request(apps.CN.getHttpServer())
      .post(`/recordations/${cnNumber}/revocation`)
      .set(publish('CN'))
      .send({ reason: 'untruthful information' })
      .expect(200);
    await request(apps.MO.getHttpServer())
      .patch(`/recordations/${moNumber}`)
      .set(publish('MO'))
      .send({ mark: { text: 'NEUES ZEICHEN', script: 'Latn', type: 'word' } })
      .expect(200);
    events = 4;
    await settled();
  });
  afterAll(() => system?.close());

  it('shows a revoked recordation as active, and its mark as recorded, before the revocation', async () => {
    const now = await search('愛馬仕').expect(200);
    const then = await search('愛馬仕', before).expect(200);
    expect(now.body.items[0]).toMatchObject({ recorded: false, recordations: [{ authority: 'CN', recordationNumber: cnNumber, status: 'revoked' }] });
    expect(then.body.items[0]).toMatchObject({
      recorded: true,
      asOf: expect.any(String),
      recordations: [{ authority: 'CN', recordationNumber: cnNumber, status: 'active' }],
    });
    expect(then.body.items[0].markId).toBe(now.body.items[0].markId);
  });

  it('finds a mark by the text it had then, and not by the text it has now', async () => {
    expect((await search('ALTES ZEICHEN').expect(200)).body.items.filter((i: { matchedBy: string }) => i.matchedBy !== 'fuzzy')).toEqual([]);
    const old = await search('Altes Zeichen', before).expect(200);
    expect(old.body.items).toHaveLength(1);
    expect(old.body.items[0]).toMatchObject({ matchedBy: 'exact', text: 'ALTES ZEICHEN', recordations: [{ authority: 'MO', recordationNumber: moNumber }] });
    const renamed = await search('NEUES ZEICHEN', before).expect(200);
    expect(renamed.body.items).toEqual([]);
    expect((await search('NEUES ZEICHEN').expect(200)).body.items[0]).toMatchObject({ text: 'NEUES ZEICHEN' });
  });

  it('applies the filters to the recordations as they were, finds nothing before the first event, and refuses a bad time', async () => {
    expect((await search('愛馬仕', before).query({ status: 'active' }).expect(200)).body.items).toHaveLength(1);
    expect((await search('愛馬仕', before).query({ status: 'revoked' }).expect(200)).body.items).toEqual([]);
    expect((await search('愛馬仕', '2000-01-01T00:00:00Z').expect(200)).body.items).toEqual([]);
    const bad = await search('愛馬仕', 'last tuesday').expect(400);
    expect(bad.body.errors).toEqual([{ field: 'asOf', reason: 'must be an ISO 8601 timestamp' }]);
  });

  it('bounds the work: a search that would re-read more than ASOF_SEARCH_MAX_RECORDATIONS recordations is refused with 422 naming it', async () => {
    // One more recordation created after `before`: its mark "changed" since then too. Today's match (CN) plus the two
    // changed since (MO renamed, MO new) is 3, above the bound of 2.
    await request(apps.MO.getHttpServer())
      .post('/recordations')
      .set(publish('MO'))
      .send(recordationBody('MO', { mark: { text: 'DRITTES ZEICHEN', script: 'Latn', type: 'word' }, rightsHolder: { name: 'Dritte Lda', country: 'MO' } }))
      .expect(201);
    events = 5;
    await settled();
    const refused = await search('愛馬仕', before).expect(422);
    expect(refused.body.message).toMatch(/more than 2 recordations/);
    expect(refused.body.message).toMatch(/ASOF_SEARCH_MAX_RECORDATIONS=2/);
    // A moment after every change re-reads only today's match: answered.
    const later = await search('愛馬仕', new Date().toISOString()).expect(200);
    expect(later.body.items[0]).toMatchObject({ recordations: [{ authority: 'CN', recordationNumber: cnNumber, status: 'revoked' }] });
  });
});
