import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { loadAuthorityConfig } from '../../../authority/src/authority.config.js';
import { loadRegistryConfig } from '../../../../apps/registry/src/registry.config.js';
import { ConfigError } from './load-config.js';

const strong = () => randomBytes(24).toString('base64url'); // 32 characters

function problemsOf(load: () => unknown): Record<string, string> {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return Object.fromEntries(error.problems.map((p) => [p.variable, p.reason]));
    throw error;
  }
  return {};
}

/** The registry's environment as scripts/start.sh gives it, with the development values of .env.example. */
const developmentRegistry = {
  DATABASE_URL: 'postgres://registry:registry-dev-secret@127.0.0.1:5432/recordation_exchange',
  KAFKA_PASSWORD: 'registry-dev-secret',
  TRUSTED_KEYS: 'CN:cn-dev-2026-12-02:MCowBQYDK2VwAyEA',
  OFFICER_TOKEN_CN: 'dev-officer-cn',
  OFFICER_TOKEN_HK: 'dev-officer-hk',
  OFFICER_TOKEN_MO: 'dev-officer-mo',
  AUDITOR_TOKEN: 'dev-auditor',
  ADMIN_TOKEN: 'dev-admin',
  VERIFY_SIGNATURES: 'false',
};

const productionRegistry = {
  DATABASE_URL: `postgres://registry:${strong()}@db.internal:5432/recordation_exchange`,
  KAFKA_PASSWORD: strong(),
  TRUSTED_KEYS: 'CN:gacc-2027:MCowBQYDK2VwAyEA',
  OIDC_ISSUER_CN: 'https://idp.customs.gov.cn/realms/cn',
  OIDC_ISSUER_HK: 'https://idp.customs.gov.hk/realms/hk',
  OIDC_ISSUER_MO: 'https://idp.customs.gov.mo/realms/mo',
  METRICS_TOKEN: strong(),
};

describe('production mode (NODE_ENV=production) refuses development secrets', () => {
  it('starts in development mode with every development default, as today', () => {
    expect(problemsOf(() => loadRegistryConfig({ ...developmentRegistry, NODE_ENV: 'development' }))).toEqual({});
    expect(problemsOf(() => loadRegistryConfig(developmentRegistry))).toEqual({});
  });

  it('names every development default of the registry in production', () => {
    const problems = problemsOf(() => loadRegistryConfig({ ...developmentRegistry, NODE_ENV: 'production' }));
    expect(Object.keys(problems).sort()).toEqual(
      [
        'ADMIN_TOKEN',
        'AUDITOR_TOKEN',
        'DATABASE_URL',
        'KAFKA_PASSWORD',
        'OFFICER_TOKEN_CN',
        'OFFICER_TOKEN_HK',
        'OFFICER_TOKEN_MO',
        'OIDC_ISSUER_CN',
        'OIDC_ISSUER_HK',
        'OIDC_ISSUER_MO',
        'TRUSTED_KEYS',
        'VERIFY_SIGNATURES',
      ].sort(),
    );
    expect(problems.OFFICER_TOKEN_CN).toMatch(/development default/);
    // No value is printed.
    expect(JSON.stringify(problems)).not.toMatch(/dev-officer|registry-dev-secret/);
  });

  it('refuses a credential shorter than 32 characters, the superuser and the hash of a development default', () => {
    const problems = problemsOf(() =>
      loadRegistryConfig({
        ...productionRegistry,
        NODE_ENV: 'production',
        METRICS_TOKEN: 'x'.repeat(31),
        ADMIN_TOKEN: `sha256:${createHash('sha256').update('dev-admin').digest('hex')}`,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/recordation_exchange',
      }),
    );
    expect(problems).toEqual({
      METRICS_TOKEN: expect.stringMatching(/shorter than 32/),
      ADMIN_TOKEN: expect.stringMatching(/hash of a development default/),
      DATABASE_URL: expect.stringMatching(/own role/),
    });
  });

  it('accepts real secrets in production', () => {
    expect(problemsOf(() => loadRegistryConfig({ ...productionRegistry, NODE_ENV: 'production' }))).toEqual({});
  });

  it('refuses static bearer tokens, however strong, and requires an https issuer per authority (issue 21)', () => {
    const problems = problemsOf(() =>
      loadRegistryConfig({
        ...productionRegistry,
        NODE_ENV: 'production',
        OFFICER_TOKEN_CN: strong(),
        OIDC_ISSUER_HK: 'http://idp.internal/realms/hk',
        OIDC_ISSUER_MO: '',
      }),
    );
    expect(problems).toEqual({
      OFFICER_TOKEN_CN: expect.stringMatching(/static bearer token.*OIDC/),
      OIDC_ISSUER_HK: expect.stringMatching(/https/),
      OIDC_ISSUER_MO: expect.stringMatching(/not set/),
    });
  });

  it('names a malformed issuer URL in any mode', () => {
    expect(problemsOf(() => loadRegistryConfig({ ...developmentRegistry, OIDC_ISSUER_HK: 'not a url' }))).toEqual({
      OIDC_ISSUER_HK: expect.stringMatching(/issuer URL/),
    });
  });

  it("refuses an authority service's development signing key, publisher token and Kafka password", () => {
    const problems = problemsOf(() =>
      loadAuthorityConfig('HK', {
        NODE_ENV: 'production',
        DATABASE_URL: `postgres://hong_kong:${strong()}@db:5432/rx`,
        KAFKA_PASSWORD: 'hk-dev-secret',
        SIGNING_KEY_ID: 'hk-dev-2026-12-02',
        SIGNING_PRIVATE_KEY: 'irrelevant here',
        PUBLISHER_TOKEN_HK: 'dev-publisher-hk',
      }),
    );
    expect(Object.keys(problems).sort()).toEqual([
      'KAFKA_PASSWORD',
      'OIDC_ISSUER_CN',
      'OIDC_ISSUER_HK',
      'OIDC_ISSUER_MO',
      'PUBLISHER_TOKEN_HK',
      'SIGNING_KEY_ID',
    ]);
  });

  it('starts an authority service in production with its publishers signing in through OIDC, no static token (the deployments)', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://hong_kong:${strong()}@db:5432/rx`,
      KAFKA_PASSWORD: strong(),
      SIGNING_KEY_ID: 'hk-2027',
      SIGNING_PRIVATE_KEY: 'irrelevant here',
      OIDC_ISSUER_CN: productionRegistry.OIDC_ISSUER_CN,
      OIDC_ISSUER_HK: productionRegistry.OIDC_ISSUER_HK,
      OIDC_ISSUER_MO: productionRegistry.OIDC_ISSUER_MO,
    };
    expect(problemsOf(() => loadAuthorityConfig('HK', production))).toEqual({});
    // Neither its issuer nor a static token: its publishers would have no way in (in any mode).
    const { NODE_ENV: _mode, OIDC_ISSUER_HK: _issuer, ...development } = production;
    expect(problemsOf(() => loadAuthorityConfig('HK', development))).toEqual({ PUBLISHER_TOKEN_HK: expect.stringMatching(/not set.*OIDC_ISSUER_HK/) });
  });
});
