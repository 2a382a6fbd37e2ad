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
