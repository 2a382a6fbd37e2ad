import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { CredentialStore, credentialHash, decideAccess } from './credentials.js';

describe('CredentialStore', () => {
  const store = new CredentialStore()
    .add({ role: 'publisher', authority: 'HK', name: 'publisher-hk' }, 'hk-publisher-secret')
    .add({ role: 'officer', authority: 'MO', name: 'officer-mo' }, `sha256:${createHash('sha256').update('mo-officer-secret').digest('hex')}`)
    .add({ role: 'auditor', name: 'auditor' }, undefined);

  it('authenticates a configured secret and a pre-hashed one', () => {
    expect(store.authenticate('hk-publisher-secret')).toEqual({ role: 'publisher', authority: 'HK', name: 'publisher-hk' });
    expect(store.authenticate('mo-officer-secret')).toMatchObject({ role: 'officer', authority: 'MO' });
  });

  it('refuses unknown, empty and near-miss tokens', () => {
    expect(store.authenticate('')).toBeUndefined();
    expect(store.authenticate('hk-publisher-secreT')).toBeUndefined();
    expect(store.authenticate(credentialHash('hk-publisher-secret').toString('hex'))).toBeUndefined();
  });

  it('skips credentials that are not configured', () => {
    expect(store.size).toBe(2);
  });
});

describe('decideAccess', () => {
  it('allows a listed role', () => {
    expect(decideAccess({ role: 'auditor', name: 'a' }, { roles: ['auditor', 'officer'] })).toEqual({ allowed: true });
  });

  it('refuses an unlisted role with the reason', () => {
    expect(decideAccess({ role: 'officer', authority: 'CN', name: 'o' }, { roles: ['auditor'] })).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/officer/),
    });
  });

  it("refuses one authority's publisher on another authority's service", () => {
    const decision = decideAccess({ role: 'publisher', authority: 'HK', name: 'p' }, { roles: ['publisher'], publisherAuthority: 'CN' });
    expect(decision).toMatchObject({ allowed: false, reason: expect.stringMatching(/HK.*CN/) });
  });
});
