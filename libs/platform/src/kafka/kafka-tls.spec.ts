import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseAppConfig } from '../config/base-config.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { kafkaTlsProblems } from '../config/production-secrets.js';
import { kafkaConfig, kafkaTlsFromEnv, kafkaTlsFromFiles } from './kafka-client.factory.js';

/** Issue 22, item 1: the apps take a CA file (and optionally a client certificate) for TLS to the brokers. */
const minimal = { KAFKA_USERNAME: 'registry', KAFKA_PASSWORD: 'secret' };
const connection = { brokers: ['127.0.0.1:9092'], clientId: 'test', username: 'u', password: 'p' };

function problemsOf(env: NodeJS.ProcessEnv): { variable: string; reason: string }[] {
  try {
    loadConfig(BaseAppConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('Kafka TLS configuration', () => {
  let dir: string;
  let ca: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rx-kafka-tls-'));
    ca = join(dir, 'ca.crt');
    cert = join(dir, 'client.crt');
    key = join(dir, 'client.key');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is plaintext unless KAFKA_TLS=true (the tests’ loopback listener)', () => {
    const config = loadConfig(BaseAppConfig, minimal);
    expect(config.KAFKA_TLS).toBe(false);
    expect(kafkaTlsFromFiles(config)).toBeUndefined();
    expect(kafkaConfig(connection).ssl).toBe(false);
  });

  it('reads the CA and the client certificate into our own { ca, cert, key } shape, verifying the broker', () => {
    const config = loadConfig(BaseAppConfig, { ...minimal, KAFKA_TLS: 'true', KAFKA_CA_FILE: ca, KAFKA_CLIENT_CERT_FILE: cert, KAFKA_CLIENT_KEY_FILE: key });
    const tls = kafkaTlsFromFiles(config)!;
    expect(tls).toEqual({ ca: expect.stringContaining('CA'), cert: expect.stringContaining('CLIENT'), key: expect.stringContaining('KEY') });
    expect(kafkaConfig({ ...connection, tls }).ssl).toEqual({ rejectUnauthorized: true, ca: [tls.ca], cert: tls.cert, key: tls.key });
    // The command-line tools read the same variables from the environment.
    expect(kafkaTlsFromEnv({ KAFKA_TLS: 'true', KAFKA_CA_FILE: ca })).toEqual({ ca: tls.ca, cert: undefined, key: undefined });
    expect(() => kafkaTlsFromEnv({ KAFKA_TLS: 'yes' })).toThrow(/KAFKA_TLS must be true or false/);
  });

  it('refuses at start-up an unreadable file, naming the variable', () => {
    const locked = join(dir, 'locked.crt');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    const missing = problemsOf({ ...minimal, KAFKA_TLS: 'true', KAFKA_CA_FILE: join(dir, 'nope.crt') });
    expect(missing).toEqual([{ variable: 'KAFKA_CA_FILE', reason: expect.stringMatching(/must name a readable file: cannot read .*nope\.crt \(ENOENT\)/) }]);
    expect(problemsOf({ ...minimal, KAFKA_TLS: 'true', KAFKA_CA_FILE: dir })).toEqual([
      { variable: 'KAFKA_CA_FILE', reason: expect.stringMatching(/is not a file/) },
    ]);
    // root reads any file: the mode check only means something for other users.
    if (process.getuid?.() !== 0)
      expect(problemsOf({ ...minimal, KAFKA_TLS: 'true', KAFKA_CA_FILE: locked }).map((p) => p.variable)).toEqual(['KAFKA_CA_FILE']);
    expect(problemsOf({ ...minimal, KAFKA_TLS: 'maybe' })).toEqual([{ variable: 'KAFKA_TLS', reason: 'must be true or false' }]);
  });

  it('refuses a certificate without its key, and files given while TLS is off', () => {
    expect(problemsOf({ ...minimal, KAFKA_TLS: 'true', KAFKA_CA_FILE: ca, KAFKA_CLIENT_CERT_FILE: cert })).toEqual([
      { variable: 'KAFKA_CLIENT_KEY_FILE', reason: expect.stringMatching(/needs its private key/) },
    ]);
    expect(problemsOf({ ...minimal, KAFKA_CA_FILE: ca })).toEqual([{ variable: 'KAFKA_CA_FILE', reason: expect.stringMatching(/KAFKA_TLS is not true/) }]);
    // A config class that does not declare KAFKA_TLS (the provisioning CLI's) holds the raw string.
    expect(kafkaTlsProblems({ KAFKA_TLS: 'true', KAFKA_CA_FILE: ca }, true)).toEqual([]);
  });

  it('refuses TLS without our CA in production, naming KAFKA_CA_FILE; accepts it with the CA', () => {
    const production = {
      ...minimal,
      NODE_ENV: 'production',
      KAFKA_PASSWORD: 'a-real-kafka-password-of-32-characters!',
      DATABASE_URL: 'postgres://registry:a-real-database-password-of-32-chars!@db:5432/rx',
      KAFKA_TLS: 'true',
      OIDC_ISSUER_CN: 'https://idp.cn.example/realms/cn',
      OIDC_ISSUER_HK: 'https://idp.hk.example/realms/hk',
      OIDC_ISSUER_MO: 'https://idp.mo.example/realms/mo',
    };
    expect(problemsOf(production)).toEqual([{ variable: 'KAFKA_CA_FILE', reason: expect.stringMatching(/must be set when KAFKA_TLS=true in production/) }]);
    expect(problemsOf({ ...production, KAFKA_CA_FILE: ca })).toEqual([]);
    // Development may use the system CAs (a broker with a public certificate).
    expect(problemsOf({ ...minimal, KAFKA_TLS: 'true' })).toEqual([]);
  });
});
