import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { RECORDATION_DATASCHEMA_V1, encodeSignedEvent, generateSigningKeyPair, parsePrivateKey, type RecordationEvent } from '#contracts';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, alterSignedPayload, waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

type Credential = 'none' | 'bad' | 'publisher-cn' | 'officer-cn' | 'auditor' | 'admin';
const BEARER: Record<Exclude<Credential, 'none'>, string> = {
  bad: 'not-a-credential',
  'publisher-cn': TOKENS.publisher.CN,
  'officer-cn': TOKENS.officer.CN,
  auditor: TOKENS.auditor,
  admin: TOKENS.admin,
};

/** Who may call what (issue 5): the full role × endpoint matrix, restricted fields, broker ACLs, signatures. */
describe('security', () => {
  let system: TestSystem;
  let cn: INestApplication<Server>;
  let registry: INestApplication<Server>;
  let restrictedNumber: string;
  let restrictedEventId: string;

  beforeAll(async () => {
    system = await TestSystem.create('sec');
    cn = await system.startAuthority('CN');
    registry = await system.startRegistry();
    const created = await request(cn.getHttpServer())
      .post('/recordations')
      .set('authorization', `Bearer ${TOKENS.publisher.CN}`)
      .send(
        recordationBody('CN', {
          knownInfringers: [{ name: 'Shady Bags Trading', country: 'VN' }],
          restrictions: [{ field: 'knownInfringers', sharedWith: ['HK'] }],
        }),
      )
      .expect(201);
    restrictedNumber = created.body.recordationNumber;
    restrictedEventId = created.body.eventId;
    await waitFor(
      async () =>
        (await request(registry.getHttpServer()).get(`/api/recordations/CN/${restrictedNumber}`).set('authorization', `Bearer ${TOKENS.auditor}`)).status ===
        200,
      {
        description: 'the recordation in the registry',
      },
    );
  });
  afterAll(() => system?.close());

  describe('registry role × endpoint matrix', () => {
    const endpoints: { method: 'get' | 'post'; path: string; body?: object; allowed: Credential[] }[] = [
      { method: 'get', path: '/api/marks/search?q=hermes', allowed: ['officer-cn', 'auditor'] },
      { method: 'get', path: '/api/check?mark=hermes', allowed: ['officer-cn', 'auditor'] },
      { method: 'get', path: '/api/marks/m_unknown', allowed: ['officer-cn', 'auditor'] },
      { method: 'get', path: '/api/recordations/CN/T2000-00000', allowed: ['officer-cn', 'auditor'] },
      { method: 'get', path: '/api/audit/digest', allowed: ['auditor'] },
      { method: 'get', path: '/api/audit/quarantine', allowed: ['auditor'] },
      { method: 'get', path: '/api/audit/verify?eventId=00000000-0000-7000-8000-000000000000', allowed: ['auditor'] },
      { method: 'get', path: '/api/admin/aliases', allowed: ['officer-cn', 'auditor', 'admin'] },
      { method: 'post', path: '/api/admin/aliases', body: { from: '耐吉', to: '耐克' }, allowed: ['admin'] },
      { method: 'post', path: '/api/check/batch', body: [{ mark: 'hermes', lineId: 'matrix' }], allowed: ['officer-cn', 'auditor'] },
    ];
    const credentials: Credential[] = ['none', 'bad', 'publisher-cn', 'officer-cn', 'auditor', 'admin'];
    const cases = endpoints.flatMap((endpoint) =>
      credentials.map((credential) => [`${endpoint.method.toUpperCase()} ${endpoint.path}`, credential, endpoint] as const),
    );

    it.each(cases)('%s as %s', async (_label, credential, endpoint) => {
      let call = request(registry.getHttpServer())[endpoint.method](endpoint.path);
      if (credential !== 'none') call = call.set('authorization', `Bearer ${BEARER[credential]}`);
      const response = endpoint.body ? await call.send(endpoint.body) : await call;
      // The registry knows no publisher credential: to it a publisher is nobody (401).
      const expected =
        credential === 'none' || credential === 'bad' || credential === 'publisher-cn' ? 401 : endpoint.allowed.includes(credential) ? 'allowed' : 403;
      if (expected === 'allowed')
        expect({ credential, status: response.status }).toEqual({ credential, status: expect.not.stringMatching(/^40[13]$/) as unknown as number });
      else expect({ credential, status: response.status }).toEqual({ credential, status: expected });
      if (expected === 'allowed') expect([200, 201, 404]).toContain(response.status);
    });
  });

  describe('authority service credentials', () => {
    it.each([
      ['none', undefined, 401],
      ['bad', 'nope', 401],
      ['an officer (unknown to an authority service)', TOKENS.officer.CN, 401],
      ["Hong Kong's publisher", TOKENS.publisher.HK, 403],
      ["the Mainland's publisher", TOKENS.publisher.CN, 201],
    ])('POST /recordations at the Mainland service with %s → %s', async (_label, token, status) => {
      let call = request(cn.getHttpServer()).post('/recordations');
      if (token) call = call.set('authorization', `Bearer ${token}`);
      await call.send(recordationBody('CN', { mark: { text: `MATRIX ${status}`, type: 'word' } })).expect(status);
    });
  });

  describe('restricted fields', () => {
    async function seenBy(token: string) {
      const response = await request(registry.getHttpServer())
        .get(`/api/recordations/CN/${restrictedNumber}`)
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      return {
        infringers: response.body.data.knownInfringers,
        provenance: response.body.provenance.knownInfringers,
        withheld: response.body.withheld,
        restrictions: response.body.data.restrictions,
      };
    }

    it('shows knownInfringers to the officers named (HK), the recording authority (CN) and auditors', async () => {
      for (const token of [TOKENS.officer.HK, TOKENS.officer.CN, TOKENS.auditor]) {
        expect(await seenBy(token)).toMatchObject({ infringers: [{ name: 'Shady Bags Trading' }], withheld: undefined });
      }
    });

    it('withholds it, and its provenance, from an officer not named (MO)', async () => {
      // Nor is it told the field exists (no withheld list, no restriction naming it).
      expect(await seenBy(TOKENS.officer.MO)).toEqual({ infringers: undefined, provenance: undefined, withheld: undefined, restrictions: [] });
    });

    it('never carries a restricted field in /api/check or its batch, to any officer; the batch answers as the check', async () => {
      const recordation = await request(registry.getHttpServer())
        .get(`/api/recordations/CN/${restrictedNumber}`)
        .set('authorization', `Bearer ${TOKENS.auditor}`)
        .expect(200);
      const mark = recordation.body.data.mark.text as string;
      for (const token of [TOKENS.officer.MO, TOKENS.officer.HK, TOKENS.officer.CN]) {
        const single = await request(registry.getHttpServer()).get('/api/check').query({ mark }).set('authorization', `Bearer ${token}`).expect(200);
        const batch = await request(registry.getHttpServer())
          .post('/api/check/batch')
          .set('authorization', `Bearer ${token}`)
          .send([{ mark, lineId: 'r' }])
          .expect(200);
        expect(single.body.recorded).toBe(true);
        expect(batch.body).toEqual([{ index: 0, lineId: 'r', ...single.body }]);
        expect(JSON.stringify(batch.body)).not.toContain('Shady Bags');
      }
    });
  });

  describe('Kafka ACLs', () => {
    it("refuses the Hong Kong principal on the Mainland's topic", async () => {
      const producer = createKafka({
        brokers: TEST_KAFKA_BROKERS,
        clientId: 'acl-test',
        ...TEST_KAFKA_PRINCIPALS.HK,
        logLevel: 'NOTHING',
        retry: { retries: 0 },
      }).producer();
      await producer.connect();
      try {
        await expect(producer.send({ topic: system.topics.CN, messages: [{ key: 'x', value: 'forged' }] })).rejects.toThrow(/Not authorized to access topics/);
        await expect(producer.send({ topic: system.topics.HK, messages: [{ key: 'x', value: 'own topic' }] })).resolves.toBeDefined();
      } finally {
        await producer.disconnect();
      }
    });
  });

  describe('signed events', () => {
    function forgedEvent(number: string, text: string): RecordationEvent {
      return {
        specversion: '1.0',
        id: `0192${Math.floor(Math.random() * 0xffff)
          .toString(16)
          .padStart(4, '0')}-0000-7000-8000-${Date.now().toString(16).padStart(12, '0').slice(-12)}`,
        type: 'recordation.created',
        source: 'CN',
        subject: number,
        sequence: 1,
        time: new Date().toISOString(),
        dataschema: RECORDATION_DATASCHEMA_V1,
        datacontenttype: 'application/json',
        changedFields: ['mark'],
        data: {
          ...(recordationBody('CN', { mark: { text, type: 'word' } }) as object),
          recordationNumber: number,
          authority: 'CN',
          status: 'active',
          version: 1,
          validUntil: '2034-12-31',
        } as RecordationEvent['data'],
      };
    }

    it('quarantines an event signed with an unknown key, one altered after signing, and one signed by another authority; merges none', async () => {
      const stranger = { keyId: 'stranger-1', privateKey: parsePrivateKey(generateSigningKeyPair().privateKey) };
      const hkKey = { keyId: system.keys.signers.HK.keyId, privateKey: parsePrivateKey(system.keys.signers.HK.privateKey) };
      const cnKey = { keyId: system.keys.signers.CN.keyId, privateKey: parsePrivateKey(system.keys.signers.CN.privateKey) };
      const altered = alterSignedPayload(
        encodeSignedEvent(forgedEvent('T2020-99993', 'ALTERED MARK'), cnKey),
        (payload) => void (payload.data.rightsHolder.name = 'Counterfeiter Ltd'),
      );

      const producer = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'forger', ...TEST_KAFKA_PRINCIPALS.CN, logLevel: 'NOTHING' }).producer();
      await producer.connect();
      await producer.send({
        topic: system.topics.CN,
        messages: [
          { key: 'T2020-99991', value: encodeSignedEvent(forgedEvent('T2020-99991', 'FORGED MARK'), stranger) },
          { key: 'T2020-99992', value: encodeSignedEvent(forgedEvent('T2020-99992', 'HK SIGNED MARK'), hkKey) },
          { key: 'T2020-99993', value: altered },
        ],
      });
      await producer.disconnect();

      const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
      const reasons = await waitFor(
        async () => {
          const response = await request(registry.getHttpServer()).get('/api/audit/quarantine').set(auditor).expect(200);
          const found = (response.body.items as { reason: string; topic: string }[])
            .filter((item) => item.topic === system.topics.CN)
            .map((item) => item.reason)
            .sort();
          return found.length >= 3 ? found : undefined;
        },
        { description: 'three quarantined events' },
      );
      expect(reasons).toEqual(['bad-signature', 'signer-mismatch', 'unknown-key']);
      for (const number of ['T2020-99991', 'T2020-99992', 'T2020-99993']) {
        await request(registry.getHttpServer()).get(`/api/recordations/CN/${number}`).set(auditor).expect(404);
      }
      const search = await request(registry.getHttpServer()).get('/api/marks/search').query({ q: 'FORGED MARK' }).set(auditor).expect(200);
      expect(search.body.items.filter((item: { matchedBy: string }) => item.matchedBy !== 'fuzzy')).toEqual([]);
    });

    it('re-verifies a stored event for auditors and records key and result in provenance', async () => {
      const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
      const verified = await request(registry.getHttpServer()).get('/api/audit/verify').query({ eventId: restrictedEventId }).set(auditor).expect(200);
      expect(verified.body).toMatchObject({
        eventId: restrictedEventId,
        verified: true,
        copies: [{ verified: true, keyId: system.keys.signers.CN.keyId, disposition: 'applied' }],
      });
      const detail = await request(registry.getHttpServer()).get(`/api/recordations/CN/${restrictedNumber}`).set(auditor).expect(200);
      expect(detail.body.provenance.mark).toMatchObject({ eventId: restrictedEventId, keyId: system.keys.signers.CN.keyId, verified: true });
    });
  });

  describe('rate limits', () => {
    it('answers 429 past the per-minute limit, and keeps health probes open', async () => {
      const limited = await system.startAuthority('HK', { RATE_LIMIT_PER_MINUTE: '3' });
      const auth = { authorization: `Bearer ${TOKENS.publisher.HK}` };
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await request(limited.getHttpServer()).get('/recordations').set(auth)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      await request(limited.getHttpServer()).get('/health').expect(200);
    });
  });
});
