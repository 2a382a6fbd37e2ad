import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import pg from 'pg';
import sharp from 'sharp';
import request from 'supertest';
import { waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

interface Entry {
  id: string;
  at: string;
  subject: string;
  authority: string | null;
  role: string;
  method: string;
  route: string;
  path: string;
  status: number;
  query: Record<string, unknown>;
  body: Record<string, unknown> | null;
  shown: string[];
  shownCount: number;
}

const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
const officerHk = { authorization: `Bearer ${TOKENS.officer.HK}` };
const officerCn = { authorization: `Bearer ${TOKENS.officer.CN}` };
const officerMo = { authorization: `Bearer ${TOKENS.officer.MO}` };

/** The access trail (issue 21, item 4): every officer lookup and auditor read recorded; auditors read it. */
describe('access trail: GET /api/audit/access', () => {
  let system: TestSystem;
  let registry: INestApplication;
  let cnNumber = '';
  let hkNumber = '';
  let nikeNumber = '';

  const trail = async (query: Record<string, string | number>): Promise<Entry[]> =>
    (await request(registry.getHttpServer()).get('/api/audit/access').query(query).set(auditor).expect(200)).body.items;

  beforeAll(async () => {
    system = await TestSystem.create('trail');
    const cn = await system.startAuthority('CN');
    const hk = await system.startAuthority('HK');
    registry = await system.startRegistry({ ACCESS_TRAIL_FLUSH_INTERVAL_MS: '50' });
    const publish = async (app: INestApplication, authority: 'CN' | 'HK', body: Record<string, unknown>) =>
      (await request(app.getHttpServer()).post('/recordations').set('authorization', `Bearer ${TOKENS.publisher[authority]}`).send(body).expect(201)).body
        .recordationNumber as string;
    cnNumber = await publish(cn, 'CN', recordationBody('CN'));
    hkNumber = await publish(hk, 'HK', recordationBody('HK'));
    nikeNumber = await publish(
      hk,
      'HK',
      recordationBody('HK', { mark: { text: 'NIKE', script: 'Latn', type: 'word' }, niceClasses: [25], rightsHolder: { name: 'Nike, Inc.', country: 'US' } }),
    );
    await waitFor(async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set(auditor)).body.recordations === 3, {
      description: 'three recordations in the registry',
    });
  });
  afterAll(() => system?.close());

  it("records an officer's search, check, batch check and detail with subject, authority and the recordations shown", async () => {
    const server = registry.getHttpServer();
    const started = new Date().toISOString();
    const search = await request(server).get('/api/marks/search').query({ q: 'HERMES', niceClass: 18 }).set(officerHk).expect(200);
    const markId = search.body.items[0].markId as string;
    await request(server).get('/api/check').query({ mark: '爱马仕' }).set(officerHk).expect(200);
    await request(server)
      .post('/api/check/batch')
      .set(officerHk)
      .send([{ mark: 'NIKE', lineId: 'a' }, { mark: '愛馬仕', niceClass: 18 }, { mark: 'ZZYZX QUORTLE' }])
      .expect(200);
    await request(server).get(`/api/recordations/CN/${cnNumber}`).set(officerHk).expect(200);
    await request(server).get(`/api/marks/${markId}`).set(officerHk).expect(200);
    await request(server).get('/api/recordations/CN/NO-SUCH').set(officerHk).expect(404);

    let entries: Entry[] = [];
    await waitFor(async () => (entries = await trail({ subject: 'officer-hk', since: started })).length >= 6, {
      description: "six of officer-hk's lookups in the trail",
    });
    expect(entries.map((e) => e.route)).toEqual([
      'GET /api/marks/search',
      'GET /api/check',
      'POST /api/check/batch',
      'GET /api/recordations/:authority/:number',
      'GET /api/marks/:markId',
      'GET /api/recordations/:authority/:number',
    ]);
    for (const entry of entries) expect(entry).toMatchObject({ subject: 'officer-hk', authority: 'HK', role: 'officer' });
    const [searched, checked, batch, detail, mark, missing] = entries;
    const hermes = [`CN/${cnNumber}`, `HK/${hkNumber}`].sort();
    expect(searched).toMatchObject({ status: 200, query: { q: 'HERMES', niceClass: '18' } });
    expect([...searched.shown].sort()).toEqual(hermes);
    expect(checked.query).toEqual({ mark: '爱马仕' });
    expect([...checked.shown].sort()).toEqual(hermes);
    // The batch: its lines (marks listed, a small batch), its SHA-256, and the union of what its answers named.
    expect(batch.body).toMatchObject({ lines: 3, marks: ['NIKE', '愛馬仕 [18]', 'ZZYZX QUORTLE'] });
    expect(batch.body?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([...batch.shown].sort()).toEqual([...hermes, `HK/${nikeNumber}`].sort());
    expect(batch.shownCount).toBe(3);
    expect(detail).toMatchObject({ path: `/api/recordations/CN/${cnNumber}`, shown: [`CN/${cnNumber}`], status: 200 });
    expect([...mark.shown].sort()).toEqual(hermes);
    expect(missing).toMatchObject({ status: 404, shown: [], shownCount: 0 });
  });

  it("records a search by picture by the picture's SHA-256 and size (raw body and multipart), never its bytes", async () => {
    const server = registry.getHttpServer();
    const picture = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#b00020' } })
      .png()
      .toBuffer();
    const sha256 = createHash('sha256').update(picture).digest('hex');
    await request(server).post('/api/marks/search-by-image').set(officerMo).set('content-type', 'image/png').send(picture).expect(200);
    await request(server).post('/api/marks/search-by-image').set(officerMo).query({ niceClass: 25 }).attach('image', picture, 'photo.png').expect(200);
    let entries: Entry[] = [];
    await waitFor(async () => (entries = await trail({ subject: 'officer-mo' })).length >= 2, {
      description: "officer-mo's two searches by picture in the trail",
    });
    expect(entries.map((e) => [e.route, e.authority, e.body])).toEqual([
      ['POST /api/marks/search-by-image', 'MO', { picture: { sha256, bytes: picture.length, contentType: 'image/png' } }],
      ['POST /api/marks/search-by-image', 'MO', { picture: { sha256, bytes: picture.length, contentType: 'image/png' } }],
    ]);
    expect(entries[1].query).toEqual({ niceClass: '25' });
  });

  it("records auditors' reads too, and the officers of another authority apart", async () => {
    const server = registry.getHttpServer();
    const started = new Date().toISOString();
    await request(server).get(`/api/recordations/HK/${hkNumber}/history`).set(auditor).expect(200);
    await request(server).get('/api/check').query({ mark: 'NIKE' }).set(officerCn).expect(200);
    let reads: Entry[] = [];
    await waitFor(async () => (reads = await trail({ subject: 'auditor', since: started })).some((e) => e.route.endsWith('/history')), {
      description: "the auditor's history read in the trail",
    });
    expect(reads.find((e) => e.route.endsWith('/history'))).toMatchObject({ role: 'auditor', authority: null, shown: [`HK/${hkNumber}`] });
    let cn: Entry[] = [];
    await waitFor(async () => (cn = await trail({ authority: 'CN', since: started })).length >= 1, { description: "officer-cn's check in the trail" });
    expect(cn.map((e) => [e.subject, e.route, e.shown])).toEqual([['officer-cn', 'GET /api/check', [`HK/${nikeNumber}`]]]);
    expect((await trail({ authority: 'MO', since: started })).length).toBe(0);
    expect((await trail({ since: new Date(Date.now() + 3600_000).toISOString() })).length).toBe(0);
  });

  it('pages by keyset and exports the same entries as NDJSON and CSV', async () => {
    const server = registry.getHttpServer();
    await request(server).get('/api/marks/search').query({ q: '=HYPERLINK("x")' }).set(officerHk).expect(200);
    let all: Entry[] = [];
    await waitFor(async () => (all = await trail({ subject: 'officer-hk', limit: 1000 })).some((e) => e.query.q === '=HYPERLINK("x")'), {
      description: 'the formula search in the trail',
    });
    const first = await request(server).get('/api/audit/access').query({ subject: 'officer-hk', limit: 2 }).set(auditor).expect(200);
    expect(first.body.items.map((e: Entry) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
    const second = await request(server)
      .get('/api/audit/access')
      .query({ subject: 'officer-hk', limit: 2, cursor: first.body.nextCursor })
      .set(auditor)
      .expect(200);
    expect(second.body.items.map((e: Entry) => e.id)).toEqual(all.slice(2, 4).map((e) => e.id));

    const ndjson = await request(server).get('/api/audit/access').query({ subject: 'officer-hk', format: 'ndjson' }).set(auditor).expect(200);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Entry);
    expect(lines.map((e) => e.id)).toEqual(all.map((e) => e.id));

    const csv = await request(server).get('/api/audit/access').query({ subject: 'officer-hk' }).set(auditor).set('accept', 'text/csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toBe('id,at,subject,authority,role,method,route,path,status,query,body,shown,shownCount,durationMs');
    expect(rows).toHaveLength(all.length + 1);
    expect(rows.filter((row) => row.includes('HYPERLINK'))).toHaveLength(1);
  });

  it('refuses officers (403) and bad parameters (400 naming the field)', async () => {
    const server = registry.getHttpServer();
    await request(server).get('/api/audit/access').set(officerHk).expect(403);
    for (const [field, value] of [
      ['authority', 'XX'],
      ['since', 'yesterday'],
      ['limit', '0'],
      ['format', 'xml'],
      ['cursor', 'not-a-cursor'],
      ['subject', ''],
    ]) {
      const response = await request(server)
        .get('/api/audit/access')
        .query({ [field]: value })
        .set(auditor)
        .expect(400);
      expect(JSON.stringify(response.body)).toContain(field);
    }
  });
});

/** A full queue answers 503 (Retry-After) instead of answering unrecorded; nothing queued is lost. */
describe('access trail: a full queue refuses lookups', () => {
  let system: TestSystem;
  let registry: INestApplication;

  beforeAll(async () => {
    system = await TestSystem.create('trailfull');
    registry = await system.startRegistry({ ACCESS_TRAIL_QUEUE_SIZE: '2', ACCESS_TRAIL_FLUSH_BATCH: '1', ACCESS_TRAIL_FLUSH_INTERVAL_MS: '20' });
  });
  afterAll(() => system?.close());

  it('answers 503 while the writes are blocked, then records every answered lookup once they are not', async () => {
    const server = registry.getHttpServer();
    // Block the trail's writes the way a stuck database would: hold a lock its INSERT waits for.
    const blocker = new pg.Client({ connectionString: system.database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE registry.access_trail IN ACCESS EXCLUSIVE MODE');
      await request(server).get('/api/check').query({ mark: 'ONE' }).set(officerHk).expect(200);
      await request(server).get('/api/check').query({ mark: 'TWO' }).set(officerHk).expect(200);
      const refused = await request(server).get('/api/check').query({ mark: 'THREE' }).set(officerHk).expect(503);
      expect(refused.body.message).toMatch(/access trail/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const metrics = await request(server).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/registry_access_trail_refused_total 1\b/);
      expect(metrics.text).toMatch(/registry_access_trail_queue_depth 2\b/);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    let entries: Entry[] = [];
    await waitFor(
      async () =>
        (entries = (await request(server).get('/api/audit/access').query({ subject: 'officer-hk' }).set(auditor).expect(200)).body.items as Entry[]).length >=
        2,
      { description: 'the two answered lookups written' },
    );
    expect(entries.map((e) => e.query.mark)).toEqual(['ONE', 'TWO']);
    await request(server).get('/api/check').query({ mark: 'FOUR' }).set(officerHk).expect(200);
  });
});
