import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import request from 'supertest';
import { CredentialStore } from '#platform';
import { TestIdp } from '../../support/idp.js';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/**
 * Issue 21: the registry and the authority services accept access tokens of each authority's own issuer, from the real
 * provider of `npm start` (deploy/idp), and refuse every kind of bad token with the same 401, the reason only in the log.
 */
describe('OpenID Connect access tokens', () => {
  let idp: TestIdp;
  let system: TestSystem;
  let registry: INestApplication<Server>;
  let cn: INestApplication<Server>;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    idp = await TestIdp.start();
    system = await TestSystem.create('oidc');
    registry = await system.startRegistry(idp.env());
    cn = await system.startAuthority('CN', idp.env());
  });
  afterAll(async () => {
    await system?.close();
    await idp?.stop();
  });

  /** A token signed with the HK issuer's own key: only the claims are wrong. */
  async function hkSigned(claims: JWTPayload, header: { kid?: string } = {}): Promise<string> {
    const key = await importJWK(idp.keys.hk, 'RS256');
    return new SignJWT({ roles: ['officer'], ...claims }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: header.kid ?? idp.keys.hk.kid }).sign(key);
  }
  const validClaims = () => ({ iss: idp.issuer('HK'), aud: 'recordation-exchange', sub: 'officer-x', iat: now(), exp: now() + 300 });

  it("a risk engine's client-credentials token looks up as an officer of its authority", async () => {
    const token = await idp.clientToken('HK', 'risk-engine');
    await request(registry.getHttpServer()).get('/api/check?mark=hermes').set('authorization', `Bearer ${token}`).expect(200);
    const outcome = await registry.get(CredentialStore).verify(token);
    expect(outcome).toEqual({ principal: { role: 'officer', authority: 'HK', subject: 'hk-risk-engine', name: 'hk:hk-risk-engine' } });
  });

  it("an authority's recordation system publishes to its own service only; the registry gives a publisher nothing", async () => {
    const own = await idp.clientToken('CN', 'recordation-system');
    await request(cn.getHttpServer()).post('/recordations').set('authorization', `Bearer ${own}`).send(recordationBody('CN')).expect(201);
    // An HK token, whatever it says, acts for HK: 403 on the CN service.
    const other = await idp.clientToken('HK', 'recordation-system');
    await request(cn.getHttpServer()).post('/recordations').set('authorization', `Bearer ${other}`).send(recordationBody('CN')).expect(403);
    await request(registry.getHttpServer()).get('/api/check?mark=hermes').set('authorization', `Bearer ${own}`).expect(403);
  });

  it('a self-made token signed with the HK key is accepted only as HK, never as the CN it claims', async () => {
    const token = await hkSigned({ ...validClaims(), roles: ['publisher'], authority: 'CN' });
    await request(cn.getHttpServer()).post('/recordations').set('authorization', `Bearer ${token}`).send(recordationBody('CN')).expect(401);
    const honest = await hkSigned({ ...validClaims(), roles: ['publisher'] });
    await request(cn.getHttpServer()).post('/recordations').set('authorization', `Bearer ${honest}`).send(recordationBody('CN')).expect(403);
  });

  it('the static development tokens work next to OIDC, as before', async () => {
    await request(registry.getHttpServer()).get('/api/check?mark=hermes').set('authorization', `Bearer ${TOKENS.officer.MO}`).expect(200);
    await request(cn.getHttpServer()).get('/recordations').set('authorization', `Bearer ${TOKENS.publisher.CN}`).expect(200);
  });

  describe('bad tokens: 401 with the same body, the reason only in the log', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['expired', () => hkSigned({ ...validClaims(), iat: now() - 900, exp: now() - 600 }), /expired/],
      ['not yet valid', () => hkSigned({ ...validClaims(), nbf: now() + 600 }), /not yet valid/],
      ['wrong audience', () => hkSigned({ ...validClaims(), aud: 'another-api' }), /claim aud/],
      ['wrong issuer (not configured)', () => hkSigned({ ...validClaims(), iss: 'http://127.0.0.1:1/realms/hk' }), /is not configured/],
      ['wrong issuer (CN issuer, HK key)', () => hkSigned({ ...validClaims(), iss: idp.issuer('CN') }), /unknown kid/],
      [
        'alg none',
        () => {
          const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
          return Promise.resolve(`${part({ alg: 'none', typ: 'JWT' })}.${part({ ...validClaims(), roles: ['officer'] })}.`);
        },
        /algorithm not allowed/,
      ],
      [
        'HS256 signed with the public key',
        () => {
          const publicPem = createPublicKey({ key: idp.keys.hk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
          const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
          const input = `${part({ alg: 'HS256', typ: 'JWT', kid: idp.keys.hk.kid })}.${part({ ...validClaims(), roles: ['officer'] })}`;
          return Promise.resolve(`${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`);
        },
        /algorithm not allowed/,
      ],
      [
        'unknown kid',
        async () => {
          const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
          return new SignJWT({ ...validClaims(), roles: ['officer'] }).setProtectedHeader({ alg: 'RS256', kid: 'hk-not-published' }).sign(stranger);
        },
        /unknown kid/,
      ],
      [
        'tampered signature',
        async () => {
          const [header, payload, signature] = (await idp.clientToken('HK', 'risk-engine')).split('.');
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload;
          return `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${signature}`;
        },
        /signature does not verify/,
      ],
      ['oversized', async () => hkSigned({ ...validClaims(), padding: 'x'.repeat(9000) }), /oversized/],
    ];

    it.each(cases)('%s', async (_label, make, reason) => {
      const token = await make();
      const response = await request(registry.getHttpServer()).get('/api/check?mark=hermes').set('authorization', `Bearer ${token}`).expect(401);
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'the credential is not valid' });
      await request(cn.getHttpServer()).get('/recordations').set('authorization', `Bearer ${token}`).expect(401);
      // The reason the app logs for it (the same verifier the guard uses, against the real provider's keys).
      const outcome = await registry.get(CredentialStore).verify(token);
      expect(outcome).toEqual({ reason: expect.stringMatching(reason) });
    });
  });
});
