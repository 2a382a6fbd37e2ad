import { describe, expect, it } from '@jest/globals';
import { BaseAppConfig } from './base-config.js';
import { ConfigError, loadConfig } from './load-config.js';

const minimal = { KAFKA_USERNAME: 'registry', KAFKA_PASSWORD: 'secret' };

function problemsOf(env: NodeJS.ProcessEnv): { variable: string; reason: string }[] {
  try {
    loadConfig(BaseAppConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies defaults and converts numbers and lists', () => {
    const config = loadConfig(BaseAppConfig, { ...minimal, PORT: '4100', KAFKA_BROKERS: 'a:9092, b:9093' });
    expect(config.PORT).toBe(4100);
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.DATABASE_SCHEMA).toBe('public');
    expect(config.KAFKA_TOPIC_PREFIX).toBe('');
  });

  it('names each missing variable', () => {
    expect(
      problemsOf({})
        .map((p) => p.variable)
        .sort(),
    ).toEqual(['KAFKA_PASSWORD', 'KAFKA_USERNAME']);
  });

  it('names each bad variable with the reason', () => {
    const problems = problemsOf({
      ...minimal,
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      KAFKA_BROKERS: 'nohost',
      DATABASE_SCHEMA: 'Bad-Name',
    });
    const byVariable = new Map(problems.map((p) => [p.variable, p.reason]));
    expect([...byVariable.keys()].sort()).toEqual(['DATABASE_SCHEMA', 'DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL', 'PORT']);
    expect(byVariable.get('PORT')).toMatch(/port/);
    expect(byVariable.get('LOG_LEVEL')).toMatch(/one of/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(BaseAppConfig, { ...minimal, PORT: '' }).PORT).toBe(3000);
  });

  it('puts every problem in the error message', () => {
    expect(() => loadConfig(BaseAppConfig, { PORT: 'x' })).toThrow(/PORT[\s\S]*KAFKA_USERNAME|KAFKA_USERNAME[\s\S]*PORT/);
  });
});
