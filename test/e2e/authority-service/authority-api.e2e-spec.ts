import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ExpireRecordationsUseCase } from '#authority';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/**
 * The Hong Kong and Mainland services over HTTP, on the real broker and database: every endpoint, the
 * refusals, idempotency, illegal transitions, bulk, expiry, and every published event checked against the contract.
 */
describe('authority service API', () => {
  let system: TestSystem;
  let hk: INestApplication<Server>;
  let cn: INestApplication<Server>;
  const accepted: { number: string; version: number }[] = [];
  const auth = (authority: 'HK' | 'CN') => ({ authorization: `Bearer ${TOKENS.publisher[authority]}` });
  const remember = (body: { recordationNumber: string; version: number; eventId: string | null }) => {
    if (body.eventId) accepted.push({ number: body.recordationNumber, version: body.version });
  };

  beforeAll(async () => {
    system = await TestSystem.create('auth');
    hk = await system.startAuthority('HK');
    cn = await system.startAuthority('CN');
  });
  afterAll(() => system?.close());

  describe('authentication', () => {
    it('refuses a request without a credential (401) and with a bad one (401)', async () => {
      await request(hk.getHttpServer()).get('/recordations').expect(401);
      await request(hk.getHttpServer()).get('/recordations').set('authorization', 'Bearer nope').expect(401);
    });

    it('refuses the Hong Kong publisher at the Mainland service (403)', async () => {
      const response = await request(cn.getHttpServer()).post('/recordations').set(auth('HK')).send(recordationBody('CN')).expect(403);
      expect(response.body.message).toMatch(/HK.*CN/);
    });

    it('leaves health probes open', async () => {
      await request(hk.getHttpServer()).get('/health').expect(200);
      // Publicly only up or down (issue 22, item 9): no broker or database detail.
      expect((await request(hk.getHttpServer()).get('/health/ready').expect(200)).body).toEqual({ status: 'up' });
    });
  });

  describe('lifecycle happy paths', () => {
    let number: string;

    it('creates (201) with a number in the authority format', async () => {
      const response = await request(hk.getHttpServer()).post('/recordations').set(auth('HK')).send(recordationBody('HK')).expect(201);
      expect(response.body).toMatchObject({ recordationNumber: expect.stringMatching(/^HK-\d{4}-\d{6}$/), version: 1, eventId: expect.any(String) });
      number = response.body.recordationNumber;
      remember(response.body);
    });

    it('reads the current state with the publish state of each event', async () => {
      const response = await request(hk.getHttpServer()).get(`/recordations/${number}`).set(auth('HK')).expect(200);
      expect(response.body).toMatchObject({ recordationNumber: number, version: 1, status: 'active', data: { mark: { text: '愛馬仕' }, authority: 'HK' } });
      expect(response.body.events).toHaveLength(1);
      expect(['pending', 'published']).toContain(response.body.events[0].publishState);
    });

    it('amends any subset of fields (version + 1)', async () => {
      const response = await request(hk.getHttpServer())
        .patch(`/recordations/${number}`)
        .set(auth('HK'))
        .send({ goods: 'Handbags, wallets and scarves', licensees: [{ name: 'HK Distribution Ltd', country: 'HK' }] })
        .expect(200);
      expect(response.body).toMatchObject({ version: 2, status: 'active' });
      remember(response.body);
    });

    it('renews, suspends, reinstates and cancels', async () => {
      const steps: [string, object, string][] = [
        ['renewal', { validUntil: '2032-01-01' }, 'active'],
        ['suspension', { reason: 'ownership review' }, 'suspended'],
        ['reinstatement', { reason: 'review completed' }, 'active'],
        ['cancellation', { reason: 'transferred', note: 'assigned to a new owner' }, 'cancelled'],
      ];
      let version = 2;
      for (const [path, body, status] of steps) {
        const response = await request(hk.getHttpServer()).post(`/recordations/${number}/${path}`).set(auth('HK')).send(body).expect(200);
        expect(response.body).toMatchObject({ version: ++version, status });
        remember(response.body);
      }
    });

    it('revokes another recordation for untruthful information', async () => {
      const created = await request(hk.getHttpServer())
        .post('/recordations')
        .set(auth('HK'))
        .send(recordationBody('HK', { recordationNumber: 'HK-2025-900001' }))
        .expect(201);
      remember(created.body);
      const revoked = await request(hk.getHttpServer())
        .post('/recordations/HK-2025-900001/revocation')
        .set(auth('HK'))
        .send({ reason: 'untruthful information' })
        .expect(200);
      expect(revoked.body).toMatchObject({ status: 'revoked', version: 2 });
      remember(revoked.body);
    });

    it('lists by status and pages with a cursor', async () => {
      const cancelled = await request(hk.getHttpServer()).get('/recordations').query({ status: 'cancelled' }).set(auth('HK')).expect(200);
      expect(cancelled.body.items.map((item: { recordationNumber: string }) => item.recordationNumber)).toEqual([number]);
      const first = await request(hk.getHttpServer()).get('/recordations').query({ limit: 1 }).set(auth('HK')).expect(200);
      expect(first.body.items).toHaveLength(1);
      const second = await request(hk.getHttpServer()).get('/recordations').query({ limit: 1, cursor: first.body.nextCursor }).set(auth('HK')).expect(200);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].recordationNumber).not.toBe(first.body.items[0].recordationNumber);
    });
  });

  describe('bad input: 400 naming the field, nothing written or published', () => {
    const base = recordationBody('HK');
    const cases: [string, unknown, string][] = [
      ['unknown field', { ...base, colour: 'red' }, 'colour'],
      ['missing mark', { ...base, mark: undefined }, 'mark'],
      ['missing goods', { ...base, goods: undefined }, 'goods'],
      ['Nice class 0', { ...base, niceClasses: [0] }, 'niceClasses'],
      ['Nice class 46', { ...base, niceClasses: [46] }, 'niceClasses'],
      ['no Nice class', { ...base, niceClasses: [] }, 'niceClasses'],
      ['Nice class as text', { ...base, niceClasses: ['18'] }, 'niceClasses'],
      ['mark type', { ...base, mark: { text: 'X', type: 'hologram' } }, 'mark.type'],
      ['blank mark text', { ...base, mark: { text: '   ', type: 'word' } }, 'mark.text'],
      ['NUL in the mark', { ...base, mark: { text: 'A\u0000B', type: 'word' } }, 'mark.text'],
      ['script code', { ...base, mark: { text: 'X', type: 'word', script: 'Chinese' } }, 'mark.script'],
      ['country code', { ...base, rightsHolder: { name: 'X', country: 'Hong Kong' } }, 'rightsHolder.country'],
      ['impossible date', { ...base, validFrom: '2025-02-30' }, 'validFrom'],
      ['end before start', { ...base, validUntil: '2024-01-01' }, 'validUntil'],
      ['missing end where the term is the holder’s', { ...base, validUntil: undefined }, 'validUntil'],
      ['office of another authority', { ...base, trademarkRegistration: { office: 'CNIPA', number: '1' } }, 'trademarkRegistration.office'],
      ['number in another format', { ...base, recordationNumber: 'T2024-01234' }, 'recordationNumber'],
      ['email', { ...base, representative: { name: 'R', email: 'not-an-email' } }, 'representative.email'],
      ['HS code', { ...base, genuineGoods: [{ description: 'Bags', hsCode: 'bags' }] }, 'genuineGoods.0.hsCode'],
      ['restricted field name', { ...base, restrictions: [{ field: 'goods', sharedWith: ['CN'] }] }, 'restrictions.0.field'],
      ['prototype key', JSON.parse(`{"__proto__": {"admin": true}, "goods": "x"}`), '__proto__'],
      ['array body', [base], '(body)'],
    ];

    it.each(cases)('%s', async (_label, body, field) => {
      const response = await request(hk.getHttpServer())
        .post('/recordations')
        .set(auth('HK'))
        .send(body as object)
        .expect(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      expect(response.body.errors.every((error: { reason: string }) => error.reason.length > 0)).toBe(true);
    });

    it('answers malformed JSON with 400 naming the body', async () => {
      const response = await request(hk.getHttpServer())
        .post('/recordations')
        .set(auth('HK'))
        .set('content-type', 'application/json')
        .send('{"goods": ')
        .expect(400);
      expect(response.body.errors).toEqual([{ field: '(body)', reason: expect.any(String) }]);
    });

    it('refuses bad list filters and amendments', async () => {
      expect((await request(hk.getHttpServer()).get('/recordations').query({ status: 'lost' }).set(auth('HK')).expect(400)).body.errors[0].field).toBe(
        'status',
      );
      expect((await request(hk.getHttpServer()).get('/recordations').query({ limit: '0' }).set(auth('HK')).expect(400)).body.errors[0].field).toBe('limit');
      expect((await request(hk.getHttpServer()).get('/recordations').query({ sort: 'x' }).set(auth('HK')).expect(400)).body.errors[0].field).toBe('sort');
      expect((await request(hk.getHttpServer()).patch('/recordations/HK-2025-900001').set(auth('HK')).send({}).expect(400)).body.errors[0].field).toBe(
        '(body)',
      );
      expect(
        (await request(hk.getHttpServer()).post('/recordations/HK-2025-900001/cancellation').set(auth('HK')).send({ reason: 'bored' }).expect(400)).body
          .errors[0].field,
      ).toBe('reason');
    });

    it('wrote nothing: the list holds only the accepted recordations', async () => {
      const response = await request(hk.getHttpServer()).get('/recordations').set(auth('HK')).expect(200);
      expect(response.body.items).toHaveLength(new Set(accepted.map((a) => a.number)).size);
    });
  });

  describe('idempotency and conflicts', () => {
    it('returns the first response to a retry and publishes nothing new', async () => {
      const body = recordationBody('HK', { mark: { text: '香奈兒', type: 'word' } });
      const first = await request(hk.getHttpServer()).post('/recordations').set(auth('HK')).set('idempotency-key', 'retry-1').send(body).expect(201);
      const retry = await request(hk.getHttpServer()).post('/recordations').set(auth('HK')).set('idempotency-key', 'retry-1').send(body).expect(201);
      expect(retry.body).toEqual(first.body);
      remember(first.body);
      const events = await request(hk.getHttpServer()).get(`/recordations/${first.body.recordationNumber}`).set(auth('HK')).expect(200);
      expect(events.body.events).toHaveLength(1);
    });

    it('refuses the same key with another request (422)', async () => {
      await request(hk.getHttpServer()).post('/recordations').set(auth('HK')).set('idempotency-key', 'retry-1').send(recordationBody('HK')).expect(422);
    });

    it('answers 409 to a duplicate number and to illegal transitions, 404 to an unknown number', async () => {
      await request(hk.getHttpServer())
        .post('/recordations')
        .set(auth('HK'))
        .send(recordationBody('HK', { recordationNumber: 'HK-2025-900001' }))
        .expect(409);
      await request(hk.getHttpServer()).post('/recordations/HK-2025-900001/renewal').set(auth('HK')).send({ validUntil: '2035-01-01' }).expect(409);
      await request(hk.getHttpServer()).post('/recordations/HK-2025-900001/reinstatement').set(auth('HK')).send({ reason: 'x' }).expect(409);
      await request(hk.getHttpServer()).get('/recordations/HK-2099-999999').set(auth('HK')).expect(404);
      await request(hk.getHttpServer()).post('/recordations/HK-2099-999999/suspension').set(auth('HK')).send({ reason: 'x' }).expect(404);
    });

    it('refuses a Mainland renewal before its last six months (409)', async () => {
      const created = await request(cn.getHttpServer()).post('/recordations').set(auth('CN')).send(recordationBody('CN')).expect(201);
      expect(created.body.recordationNumber).toMatch(/^T\d{4}-\d{5}$/);
      const response = await request(cn.getHttpServer())
        .post(`/recordations/${created.body.recordationNumber}/renewal`)
        .set(auth('CN'))
        .send({ validUntil: '2036-01-01' })
        .expect(409);
      expect(response.body.message).toMatch(/renewal opens on/);
      const state = await request(cn.getHttpServer()).get(`/recordations/${created.body.recordationNumber}`).set(auth('CN')).expect(200);
      expect(state.body.data.validUntil).toBe('2034-12-31');
    });
  });

  describe('bulk', () => {
    it('creates the good items and rejects the bad ones with reasons (JSON array)', async () => {
      const items = [
        recordationBody('HK', { mark: { text: '維他奶', type: 'word' } }),
        { ...recordationBody('HK'), niceClasses: [99] },
        recordationBody('HK', { mark: { text: '周大福', type: 'word' } }),
      ];
      const response = await request(hk.getHttpServer()).post('/recordations/bulk').set(auth('HK')).send(items).expect(200);
      expect(response.body).toMatchObject({ created: 2, rejected: 1 });
      expect(response.body.results[1]).toMatchObject({ index: 1, status: 'rejected', errors: [expect.objectContaining({ field: 'niceClasses' })] });
      for (const result of response.body.results) if (result.status === 'created') remember(result);
    });

    it('takes NDJSON with a broken line', async () => {
      const ndjson = [
        JSON.stringify(recordationBody('HK', { mark: { text: '鉅記', type: 'word' } })),
        '{"broken": ',
        JSON.stringify(recordationBody('HK', { goods: 42 })),
      ].join('\n');
      const response = await request(hk.getHttpServer())
        .post('/recordations/bulk')
        .set(auth('HK'))
        .set('content-type', 'application/x-ndjson')
        .send(ndjson)
        .expect(200);
      expect(response.body).toMatchObject({ created: 1, rejected: 2 });
      expect(response.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'rejected', 'rejected']);
      remember(response.body.results[0]);
    });

    it('takes an Idempotency-Key of the full 200 characters, and a retry creates nothing twice', async () => {
      const key = `bulk-${'k'.repeat(195)}`;
      const items = [recordationBody('HK', { mark: { text: '嘉頓', type: 'word' } }), recordationBody('HK', { mark: { text: '李錦記', type: 'word' } })];
      const first = await request(hk.getHttpServer()).post('/recordations/bulk').set(auth('HK')).set('idempotency-key', key).send(items).expect(200);
      expect(first.body).toMatchObject({ created: 2, rejected: 0 });
      for (const result of first.body.results) remember(result);
      const retry = await request(hk.getHttpServer()).post('/recordations/bulk').set(auth('HK')).set('idempotency-key', key).send(items).expect(200);
      expect(retry.body.results.map((r: { recordationNumber: string }) => r.recordationNumber)).toEqual(
        first.body.results.map((r: { recordationNumber: string }) => r.recordationNumber),
      );
      await request(hk.getHttpServer()).post('/recordations/bulk').set(auth('HK')).set('idempotency-key', `${key}x`).send(items).expect(400);
    });
  });

  describe('expiry', () => {
    it('publishes expired events by itself once validUntil has passed', async () => {
      const created = await request(hk.getHttpServer())
        .post('/recordations')
        .set(auth('HK'))
        .send(recordationBody('HK', { mark: { text: '大白兔', type: 'word' }, validUntil: '2027-01-01' }))
        .expect(201);
      remember(created.body);
      const expired = await hk.get(ExpireRecordationsUseCase).execute(new Date('2027-01-02T08:00:00Z'));
      expect(expired).toContain(created.body.recordationNumber);
      const state = await request(hk.getHttpServer()).get(`/recordations/${created.body.recordationNumber}`).set(auth('HK')).expect(200);
      expect(state.body).toMatchObject({ status: 'expired', version: 2 });
      expect(state.body.events.map((e: { type: string }) => e.type)).toEqual(['recordation.created', 'recordation.expired']);
      for (const number of expired) accepted.push({ number, version: 2 });
    });
  });

  it('published every accepted change exactly once, in order per recordation, valid against the contract', async () => {
    const messages = await system.readTopic(system.topics.HK, accepted.length);
    expect(messages).toHaveLength(accepted.length);
    const byNumber = new Map<string, number[]>();
    for (const message of [...messages].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) {
      expect(message.decoded).toMatchObject({ ok: true, verified: true });
      if (!message.decoded.ok) continue;
      expect(message.key?.toString()).toBe(message.decoded.event.subject);
      byNumber.set(message.decoded.event.subject, [...(byNumber.get(message.decoded.event.subject) ?? []), message.decoded.event.sequence]);
    }
    for (const [number, sequences] of byNumber) {
      expect({ number, sequences }).toEqual({ number, sequences: sequences.map((_, index) => index + 1) });
    }
    const ids = messages.map((m) => (m.decoded.ok ? m.decoded.event.id : ''));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
