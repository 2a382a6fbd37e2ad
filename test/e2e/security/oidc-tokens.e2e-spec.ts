import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import request from 'supertest';
import { CredentialStore } from '#platform';
import { HOSTILE_TOKEN_KINDS, TestIdp, hkSigned as signedByHk } from '../../support/idp.js';
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

  const hkSigned = (claims: JWTPayload) => signedByHk(idp, claims);

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
    const token = await hkSigned({ roles: ['publisher'], authority: 'CN' });
    await request(cn.getHttpServer()).post('/recordations').set('authorization', `Bearer ${token}`).send(recordationBody('CN')).expect(401);
    const honest = await hkSigned({ roles: ['publisher'] });
    await request(cn.getHttpServer()).post('/recordations').set('authorization', `Bearer ${honest}`).send(recordationBody('CN')).expect(403);
  });

  it('the static development tokens work next to OIDC, as before', async () => {
    await request(registry.getHttpServer()).get('/api/check?mark=hermes').set('authorization', `Bearer ${TOKENS.officer.MO}`).expect(200);
    await request(cn.getHttpServer()).get('/recordations').set('authorization', `Bearer ${TOKENS.publisher.CN}`).expect(200);
  });

  describe('bad tokens: 401 with the same body, the reason only in the log', () => {
    const cases = HOSTILE_TOKEN_KINDS.map((kind) => [kind.label, kind] as const);

    it.each(cases)('%s', async (_label, kind) => {
      const token = await kind.make(idp);
      const response = await request(registry.getHttpServer()).get('/api/check?mark=hermes').set('authorization', `Bearer ${token}`).expect(401);
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'the credential is not valid' });
      await request(cn.getHttpServer()).get('/recordations').set('authorization', `Bearer ${token}`).expect(401);
      // The reason the app logs for it (the same verifier the guard uses, against the real provider's keys).
      const outcome = await registry.get(CredentialStore).verify(token);
      expect(outcome).toEqual({ reason: expect.stringMatching(kind.reason) });
    });
  });
});
