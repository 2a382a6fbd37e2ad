import { describe, expect, it } from '@jest/globals';
import { OidcVerifier, configuredIssuers, principalFromClaims, type OidcIssuer } from './oidc.js';

const hk: OidcIssuer = { authority: 'HK', issuer: 'http://idp.test/realms/hk' };
const now = Math.floor(Date.now() / 1000);

describe('principalFromClaims (claims → principal, issue 21)', () => {
  it('takes the authority from the issuer, the role from the roles claim, the subject from sub', () => {
    expect(principalFromClaims({ sub: 'u-1', preferred_username: 'officer.chan', roles: ['officer', 'offline_access'] }, hk, 'roles')).toEqual({
      principal: { role: 'officer', authority: 'HK', subject: 'u-1', name: 'hk:officer.chan' },
    });
  });

  it('names a machine client by its client_id', () => {
    expect(principalFromClaims({ sub: 'hk-recordation-system', client_id: 'hk-recordation-system', roles: 'publisher' }, hk, 'roles')).toMatchObject({
      principal: { role: 'publisher', authority: 'HK', name: 'hk:hk-recordation-system' },
    });
  });

  it("reads Keycloak's realm_access.roles when the roles claim is absent, and a configured dotted path", () => {
    expect(principalFromClaims({ sub: 's', realm_access: { roles: ['default-roles-hk', 'auditor'] } }, hk, 'roles')).toMatchObject({
      principal: { role: 'auditor' },
    });
    expect(principalFromClaims({ sub: 's', resource_access: { rx: { roles: ['admin'] } } }, hk, 'resource_access.rx.roles')).toMatchObject({
      principal: { role: 'admin' },
    });
  });

  it('an HK issuer never yields a CN principal, whatever the token claims', () => {
    expect(principalFromClaims({ sub: 's', roles: ['publisher'], authority: 'CN' }, hk, 'roles')).toEqual({
      reason: expect.stringMatching(/claims authority "CN"/),
    });
    expect(principalFromClaims({ sub: 's', roles: ['publisher'], authority: 'HK' }, hk, 'roles')).toMatchObject({ principal: { authority: 'HK' } });
  });

  it('refuses a token without sub, without any of our roles, or with several', () => {
    expect(principalFromClaims({ roles: ['officer'] }, hk, 'roles')).toEqual({ reason: expect.stringMatching(/subject/) });
    expect(principalFromClaims({ sub: 's', roles: ['superuser'] }, hk, 'roles')).toEqual({ reason: expect.stringMatching(/none of the roles/) });
    expect(principalFromClaims({ sub: 's' }, hk, 'roles')).toEqual({ reason: expect.stringMatching(/none of the roles/) });
    expect(principalFromClaims({ sub: 's', roles: ['officer', 'admin'] }, hk, 'roles')).toEqual({ reason: expect.stringMatching(/several roles/) });
    expect(principalFromClaims({ sub: 's', roles: { officer: true } }, hk, 'roles')).toEqual({ reason: expect.stringMatching(/none of the roles/) });
  });
});

describe('OidcVerifier refuses before any key is fetched', () => {
  const verifier = new OidcVerifier({ issuers: [hk], audience: 'rx', rolesClaim: 'roles', clockToleranceSeconds: 5, maxTokenLength: 1024 });
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('an oversized token', async () => {
    expect(await verifier.verify(`${part({ alg: 'RS256' })}.${'a'.repeat(2000)}.sig`)).toEqual({ reason: expect.stringMatching(/oversized/) });
  });

  it('a token of an issuer not configured', async () => {
    const token = `${part({ alg: 'RS256' })}.${part({ iss: 'http://evil.test', sub: 's', exp: now + 60 })}.c2ln`;
    expect(await verifier.verify(token)).toEqual({ reason: expect.stringMatching(/issuer "http:\/\/evil.test" is not configured/) });
  });

  it('what is not a JWT', async () => {
    expect(await verifier.verify('a.b.c')).toEqual({ reason: 'not a JWT' });
    expect(OidcVerifier.looksLikeJwt('dev-officer-hk')).toBe(false);
  });
});

describe('configuredIssuers', () => {
  it('lists the authorities whose issuer is set', () => {
    expect(configuredIssuers({ OIDC_ISSUER_MO: 'http://x/realms/mo', OIDC_ISSUER_CN: 'http://x/realms/cn' })).toEqual([
      { authority: 'CN', issuer: 'http://x/realms/cn' },
      { authority: 'MO', issuer: 'http://x/realms/mo' },
    ]);
  });
});
