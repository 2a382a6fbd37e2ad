import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import sharp from 'sharp';
import request from 'supertest';
import { startAuthorityApp } from '#authority';
import { createKafka, provisionKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, createTestDatabase, createTestSigningKeys, waitFor, type TestDatabase } from '#testing';
import { startRegistryApp } from '../../../apps/registry/src/registry-app.js';

/**
 * Figurative marks end to end: a logo recorded by Hong Kong (PNG) and by Macao (a rescaled JPEG q=30 of it, another
 * holder) reaches the registry through the signed events, joins one mark (image match, conflict), and an officer
 * finds it by an inverted photo of the logo; bad pictures get 400s naming the field.
 */
const OFFICER = 'pic-officer-cn';
const logoSvg = (fg: string, bg: string) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="${bg}"/>` +
      `<circle cx="130" cy="150" r="90" fill="${fg}"/><rect x="240" y="60" width="40" height="180" fill="${fg}"/><polygon points="300,240 380,240 340,60" fill="${fg}"/></svg>`,
  );

function recordation(text: string, holder: string, representation?: Record<string, unknown>, type = 'figurative') {
  return {
    ipType: 'trademark',
    mark: { text, type, ...(representation ? { representation } : {}) },
    niceClasses: [25],
    goods: 'Clothing',
    rightsHolder: { name: holder, country: 'FR' },
    trademarkRegistration: { office: 'WIPO', number: `30${Math.floor(Math.random() * 1e7)}` },
    validFrom: '2025-01-01',
    validUntil: '2030-01-01',
  };
}

describe('figurative marks: pictures recorded, matched and searched', () => {
  let database: TestDatabase;
  let hongKong: INestApplication;
  let macao: INestApplication;
  let registry: INestApplication;
  let logo: Buffer;

  beforeAll(async () => {
    logo = await sharp(logoSvg('#b00020', '#ffffff')).png().toBuffer();
    database = await createTestDatabase();
    const prefix = `t${Date.now().toString(36)}p.`;
    await provisionKafka(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'pictures-provision', ...TEST_KAFKA_PRINCIPALS.admin }), { topicPrefix: prefix });
    const keys = createTestSigningKeys();
    const shared = {
      ...process.env,
      PORT: '0',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'error',
    };
    const authority = async (code: 'HK' | 'MO', schema: string) =>
      startAuthorityApp(code, {
        ...shared,
        DATABASE_SCHEMA: schema,
        KAFKA_USERNAME: TEST_KAFKA_PRINCIPALS[code].username,
        KAFKA_PASSWORD: TEST_KAFKA_PRINCIPALS[code].password,
        SIGNING_KEY_ID: keys.signers[code].keyId,
        SIGNING_PRIVATE_KEY: keys.signers[code].privateKey,
        [`PUBLISHER_TOKEN_${code}`]: `pic-publisher-${code}`,
      });
    hongKong = await authority('HK', 'hong_kong');
    macao = await authority('MO', 'macao');
    registry = await startRegistryApp({
      ...shared,
      KAFKA_USERNAME: TEST_KAFKA_PRINCIPALS.registry.username,
      KAFKA_PASSWORD: TEST_KAFKA_PRINCIPALS.registry.password,
      KAFKA_CONSUMER_GROUP: `registry-pictures-${Date.now().toString(36)}`,
      TRUSTED_KEYS: keys.trustedKeys,
      OFFICER_TOKEN_CN: OFFICER,
    });
  });

  afterAll(async () => {
    await hongKong?.close();
    await macao?.close();
    await registry?.close();
    await database?.drop();
  });

  it('refuses bad pictures with a 400 naming the field', async () => {
    const huge = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#ffffff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const cases: [string, Record<string, unknown> | undefined, string, RegExp][] = [
      ['zero bytes', { data: '' }, 'figurative', /between|base64|empty/],
      ['truncated', { data: logo.subarray(0, Math.floor(logo.length / 2)).toString('base64') }, 'figurative', /does not decode/],
      ['PNG declared as JPEG', { data: logo.toString('base64'), mediaType: 'image/jpeg' }, 'figurative', /declared image\/jpeg/],
      ['SVG', { data: logoSvg('#000', '#fff').toString('base64') }, 'figurative', /SVG/],
      ['10 000 × 10 000', { data: huge.toString('base64') }, 'figurative', /40 megapixels/],
      ['not base64', { data: '%%%' }, 'figurative', /base64/],
      ['a word mark with a picture', { data: logo.toString('base64') }, 'word', /only a figurative or combined/],
    ];
    for (const [name, representation, type, reason] of cases) {
      const response = await request(hongKong.getHttpServer())
        .post('/recordations')
        .set('authorization', 'Bearer pic-publisher-HK')
        .send(recordation(name, 'Aurora SA', representation, type));
      expect({ name, status: response.status }).toEqual({ name, status: 400 });
      const errors = (response.body as { errors: { field: string; reason: string }[] }).errors;
      expect(errors.some((e) => e.field.startsWith('mark.representation') && reason.test(e.reason))).toBe(true);
    }
  });

  it('joins the same logo across authorities, and finds it by an inverted photo', async () => {
    const hk = await request(hongKong.getHttpServer())
      .post('/recordations')
      .set('authorization', 'Bearer pic-publisher-HK')
      .send(recordation('Aurora Crest', 'Aurora SA', { data: logo.toString('base64'), mediaType: 'image/png' }))
      .expect(201);
    const copy = await sharp(logo).resize(220).jpeg({ quality: 30 }).toBuffer();
    const mo = await request(macao.getHttpServer())
      .post('/recordations')
      .set('authorization', 'Bearer pic-publisher-MO')
      .send(recordation('Estrela Aurora', 'Outra Lda', { data: copy.toString('base64') }))
      .expect(201);
    const numbers = [hk.body.recordationNumber as string, mo.body.recordationNumber as string];

    const stored = await request(hongKong.getHttpServer()).get(`/recordations/${numbers[0]}`).set('authorization', 'Bearer pic-publisher-HK').expect(200);
    expect(stored.body.data.mark.representation).toMatchObject({ mediaType: 'image/png', width: 400, height: 300, bytes: logo.length });
    expect(stored.body.data.mark.representation.data).toBeUndefined();

    const photo = await sharp(logo)
      .negate({ alpha: false })
      .extend({ top: 20, bottom: 20, left: 20, right: 20, background: '#000000' })
      .jpeg({ quality: 60 })
      .toBuffer();
    const hit = await waitFor(
      async () => {
        const response = await request(registry.getHttpServer())
          .post('/api/marks/search-by-image')
          .set('authorization', `Bearer ${OFFICER}`)
          .set('content-type', 'image/jpeg')
          .send(photo);
        if (response.status !== 200) throw new Error(`search-by-image answered ${response.status}: ${JSON.stringify(response.body)}`);
        const first = (
          response.body as {
            items: { markId: string; matchedBy: string; score: number; conflict: boolean; recordations: { recordationNumber: string; picture?: string }[] }[];
          }
        ).items[0];
        return first && numbers.every((n) => first.recordations.some((r) => r.recordationNumber === n)) ? first : undefined;
      },
      { timeoutMs: 45_000, description: 'both recordations under one mark found by picture' },
    );
    expect(hit.matchedBy).toBe('image');
    expect(hit.score).toBeGreaterThan(0.8);
    expect(hit.conflict).toBe(true);

    const picture = hit.recordations[0].picture!;
    expect(picture).toMatch(/^[0-9a-f]{64}$/);
    const thumbnail = await request(registry.getHttpServer()).get(`/api/pictures/${picture}/thumbnail`).set('authorization', `Bearer ${OFFICER}`).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect(thumbnail.headers['cache-control']).toContain('max-age');
    await request(registry.getHttpServer()).get(`/api/pictures/${picture}/thumbnail`).expect(401);

    // Multipart with a Nice class the mark does not cover: nothing.
    const none = await request(registry.getHttpServer())
      .post('/api/marks/search-by-image')
      .set('authorization', `Bearer ${OFFICER}`)
      .query({ niceClass: 9 })
      .attach('image', photo, 'photo.jpg')
      .expect(200);
    expect(none.body.items).toEqual([]);

    // Bad searches are 4xx, never 5xx.
    for (const body of [Buffer.alloc(0), logoSvg('#000', '#fff'), logo.subarray(0, 100)]) {
      const response = await request(registry.getHttpServer())
        .post('/api/marks/search-by-image')
        .set('authorization', `Bearer ${OFFICER}`)
        .set('content-type', 'image/png')
        .send(body);
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('image');
    }
  });
});
