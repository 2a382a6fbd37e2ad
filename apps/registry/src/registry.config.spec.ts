import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '#platform';
import { loadRegistryConfig } from './registry.config.js';

const minimal = { KAFKA_PASSWORD: 'secret', TRUSTED_KEYS: 'CN:cn-1:AAAA' };

describe('registry config', () => {
  it('checks signatures unless told otherwise', () => {
    expect(loadRegistryConfig(minimal).VERIFY_SIGNATURES).toBe(true);
    expect(loadRegistryConfig({ ...minimal, VERIFY_SIGNATURES: 'true' }).VERIFY_SIGNATURES).toBe(true);
    expect(loadRegistryConfig({ ...minimal, VERIFY_SIGNATURES: 'false' }).VERIFY_SIGNATURES).toBe(false);
  });

  it('converts integer variables and names one that is not an integer in range', () => {
    expect(loadRegistryConfig({ ...minimal, CONSUMER_MIN_BYTES: '1024' }).CONSUMER_MIN_BYTES).toBe(1024);
    const problemOf = (value: string) => {
      try {
        loadRegistryConfig({ ...minimal, CONSUMER_MAX_WAIT_MS: value });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problemOf('soon')).toEqual([{ variable: 'CONSUMER_MAX_WAIT_MS', reason: expect.stringMatching(/integer/) }]);
    expect(problemOf('-1')).toEqual([{ variable: 'CONSUMER_MAX_WAIT_MS', reason: expect.stringMatching(/less than 0/) }]);
    expect(problemOf('5001')).toEqual([{ variable: 'CONSUMER_MAX_WAIT_MS', reason: expect.stringMatching(/greater than 5000/) }]);
  });

  it('names VERIFY_SIGNATURES when it is neither true nor false', () => {
    for (const value of ['no', '0', 'FALSE', 'off']) {
      try {
        loadRegistryConfig({ ...minimal, VERIFY_SIGNATURES: value });
        throw new Error(`accepted VERIFY_SIGNATURES=${value}`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([{ variable: 'VERIFY_SIGNATURES', reason: 'must be true or false' }]);
      }
    }
  });
});

describe('registry config: sites of the cross-border deployment', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadRegistryConfig({ ...minimal, ...env });
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('is single-site by default: schema registry, group registry, no rack', () => {
    const config = loadRegistryConfig(minimal);
    expect([config.REGISTRY_SITE, config.DATABASE_SCHEMA, config.KAFKA_CONSUMER_GROUP, config.KAFKA_RACK]).toEqual([
      undefined,
      'registry',
      'registry',
      undefined,
    ]);
  });

  it('gives a site its own schema, consumer group and rack unless set', () => {
    const hk = loadRegistryConfig({ ...minimal, REGISTRY_SITE: 'HK' });
    expect([hk.DATABASE_SCHEMA, hk.KAFKA_CONSUMER_GROUP, hk.KAFKA_RACK]).toEqual(['registry_hk', 'registry-hk', 'HK']);
    const mo = loadRegistryConfig({
      ...minimal,
      REGISTRY_SITE: 'MO',
      DATABASE_SCHEMA: 'registry_macao',
      KAFKA_CONSUMER_GROUP: 'registry-macao',
      KAFKA_RACK: 'mo-az1',
    });
    expect([mo.DATABASE_SCHEMA, mo.KAFKA_CONSUMER_GROUP, mo.KAFKA_RACK]).toEqual(['registry_macao', 'registry-macao', 'mo-az1']);
  });

  it('names an unknown site, a bad rack and a broker listed twice', () => {
    expect(problemsOf({ REGISTRY_SITE: 'TW' })).toEqual([{ variable: 'REGISTRY_SITE', reason: expect.stringMatching(/CN, HK, MO/) }]);
    expect(problemsOf({ REGISTRY_SITE: 'cn' })).toEqual([{ variable: 'REGISTRY_SITE', reason: expect.stringMatching(/CN, HK, MO/) }]);
    expect(problemsOf({ KAFKA_RACK: 'rack one' })).toEqual([{ variable: 'KAFKA_RACK', reason: expect.stringMatching(/rack name/) }]);
    expect(problemsOf({ KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:19092' })).toEqual([{ variable: 'KAFKA_BROKERS', reason: 'lists a broker twice' }]);
  });

  it("refuses another site's schema, group or rack, the shared group, and unverified signatures at a site", () => {
    expect(problemsOf({ REGISTRY_SITE: 'CN', DATABASE_SCHEMA: 'registry_hk' })).toEqual([
      { variable: 'DATABASE_SCHEMA', reason: expect.stringMatching(/HK's schema/) },
    ]);
    expect(problemsOf({ REGISTRY_SITE: 'CN', KAFKA_CONSUMER_GROUP: 'registry-mo' })).toEqual([
      { variable: 'KAFKA_CONSUMER_GROUP', reason: expect.stringMatching(/MO's consumer group/) },
    ]);
    expect(problemsOf({ REGISTRY_SITE: 'CN', KAFKA_CONSUMER_GROUP: 'registry' })).toEqual([
      { variable: 'KAFKA_CONSUMER_GROUP', reason: expect.stringMatching(/group of its own/) },
    ]);
    expect(problemsOf({ REGISTRY_SITE: 'HK', KAFKA_RACK: 'MO' })).toEqual([{ variable: 'KAFKA_RACK', reason: expect.stringMatching(/MO's rack/) }]);
    expect(problemsOf({ REGISTRY_SITE: 'HK', VERIFY_SIGNATURES: 'false' })).toEqual([
      { variable: 'VERIFY_SIGNATURES', reason: expect.stringMatching(/every site verifies/) },
    ]);
  });
});

describe('registry config: the access trail', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadRegistryConfig({ ...minimal, ...env });
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('records by default, with a bounded queue and a retention', () => {
    const config = loadRegistryConfig(minimal);
    expect([config.ACCESS_TRAIL_ENABLED, config.ACCESS_TRAIL_QUEUE_SIZE, config.ACCESS_TRAIL_RETENTION_DAYS]).toEqual([true, 10_000, 365]);
    expect(loadRegistryConfig({ ...minimal, ACCESS_TRAIL_QUEUE_SIZE: '2', ACCESS_TRAIL_FLUSH_BATCH: '1' }).ACCESS_TRAIL_QUEUE_SIZE).toBe(2);
  });

  it('names the variable of a bad value', () => {
    expect(problemsOf({ ACCESS_TRAIL_QUEUE_SIZE: '0' })).toEqual([{ variable: 'ACCESS_TRAIL_QUEUE_SIZE', reason: expect.stringMatching(/less than 1/) }]);
    expect(problemsOf({ ACCESS_TRAIL_RETENTION_DAYS: 'forever' })).toEqual([
      { variable: 'ACCESS_TRAIL_RETENTION_DAYS', reason: expect.stringMatching(/integer/) },
    ]);
    expect(problemsOf({ ACCESS_TRAIL_FLUSH_INTERVAL_MS: '60001' })).toEqual([
      { variable: 'ACCESS_TRAIL_FLUSH_INTERVAL_MS', reason: expect.stringMatching(/greater than 60000/) },
    ]);
    expect(problemsOf({ ACCESS_TRAIL_ENABLED: 'off' })).toEqual([{ variable: 'ACCESS_TRAIL_ENABLED', reason: 'must be true or false' }]);
  });

  it('refuses to run in production without it', () => {
    const strong = 'x'.repeat(40);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://registry:${strong}@db.internal:5432/recordation_exchange`,
      KAFKA_PASSWORD: strong,
      METRICS_TOKEN: strong,
      OIDC_ISSUER_CN: 'https://idp.cn.example/realms/cn',
      OIDC_ISSUER_HK: 'https://idp.hk.example/realms/hk',
      OIDC_ISSUER_MO: 'https://idp.mo.example/realms/mo',
    };
    expect(problemsOf(production)).toEqual([]);
    expect(problemsOf({ ...production, ACCESS_TRAIL_ENABLED: 'false' })).toEqual([
      { variable: 'ACCESS_TRAIL_ENABLED', reason: expect.stringMatching(/production/) },
    ]);
  });
});
