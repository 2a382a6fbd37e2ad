import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startAuthorityApp } from '#authority';
import { createKafka, provisionKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, createTestDatabase, createTestSigningKeys, waitFor, type TestDatabase } from '#testing';
import { startRegistryApp } from '../../../apps/registry/src/registry-app.js';

/**
 * The thin slice through the whole system: a recordation POSTed to the Hong Kong service is found by the
 * registry's lookup, through the real Kafka broker and PostgreSQL, in any script.
 */
const PUBLISHER = 'slice-publisher-hk';
const OFFICER = 'slice-officer-cn';

describe('POST to an authority → lookup in the registry', () => {
  let database: TestDatabase;
  let hongKong: INestApplication<Server>;
  let registry: INestApplication<Server>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const prefix = `t${Date.now().toString(36)}s.`;
    await provisionKafka(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'slice-provision', ...TEST_KAFKA_PRINCIPALS.admin }), { topicPrefix: prefix });
    const keys = createTestSigningKeys();
    const shared = {
      ...process.env,
      PORT: '0',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'error',
    };
    hongKong = await startAuthorityApp('HK', {
      ...shared,
      DATABASE_URL: database.urlFor('hong_kong'),
      KAFKA_USERNAME: TEST_KAFKA_PRINCIPALS.HK.username,
      KAFKA_PASSWORD: TEST_KAFKA_PRINCIPALS.HK.password,
      SIGNING_KEY_ID: keys.signers.HK.keyId,
      SIGNING_PRIVATE_KEY: keys.signers.HK.privateKey,
      PUBLISHER_TOKEN_HK: PUBLISHER,
    });
    registry = await startRegistryApp({
      ...shared,
      DATABASE_URL: database.urlFor('registry'),
      KAFKA_USERNAME: TEST_KAFKA_PRINCIPALS.registry.username,
      KAFKA_PASSWORD: TEST_KAFKA_PRINCIPALS.registry.password,
      KAFKA_CONSUMER_GROUP: `registry-slice-${Date.now().toString(36)}`,
      TRUSTED_KEYS: keys.trustedKeys,
      OFFICER_TOKEN_CN: OFFICER,
    });
  });

  afterAll(async () => {
    await hongKong?.close();
    await registry?.close();
    await database?.drop();
  });

  it('finds a Hong Kong recordation of 愛馬仕 by its Simplified form within seconds', async () => {
    const created = await request(hongKong.getHttpServer())
      .post('/recordations')
      .set('authorization', `Bearer ${PUBLISHER}`)
      .send({
        ipType: 'trademark',
        mark: { text: '愛馬仕', script: 'Hant', type: 'word', transliterations: [{ script: 'Latn', text: 'HERMES' }] },
        niceClasses: [18, 25],
        goods: 'Handbags and leather goods',
        rightsHolder: { name: 'Hermès International', nameAlt: '愛馬仕國際', country: 'FR' },
        trademarkRegistration: { office: 'HKIPD', number: '300123456', expiresOn: '2035-01-01' },
        validFrom: '2025-01-01',
        validUntil: '2030-01-01',
        representative: { name: 'Local examiner', email: 'examiner@example.org' },
      })
      .expect(201);
    const { recordationNumber, eventId } = created.body as { recordationNumber: string; eventId: string };
    expect(recordationNumber).toMatch(/^HK-\d{4}-\d{6}$/);

    const found = await waitFor(
      async () => {
        const response = await request(registry.getHttpServer()).get('/api/marks/search').set('authorization', `Bearer ${OFFICER}`).query({ q: '爱马仕' });
        const items = (response.body as { items?: { recordations: { authority: string; recordationNumber: string }[] }[] }).items ?? [];
        return items.find((item) => item.recordations.some((r) => r.recordationNumber === recordationNumber));
      },
      { timeoutMs: 30_000, description: `${recordationNumber} in the registry's search` },
    );
    expect(found.recordations).toContainEqual(expect.objectContaining({ authority: 'HK', recordationNumber, status: 'active' }));

    const detail = await request(registry.getHttpServer())
      .get(`/api/recordations/HK/${recordationNumber}`)
      .set('authorization', `Bearer ${OFFICER}`)
      .expect(200);
    expect(detail.body.provenance.mark).toMatchObject({ eventId, authority: 'HK', type: 'recordation.created', sequence: 1 });
  });
});
