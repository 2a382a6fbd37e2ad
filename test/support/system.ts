import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { startAuthorityApp } from '#authority';
import { parseTrustedKeys, decodeSignedEvent, topicNames, type AuthorityCode, type DecodedEvent, type TopicSet } from '#contracts';
import { AUTHORITY_DATABASE_ROLE, createKafka, kafkaTlsFromEnv, provisionKafka, type KafkaMessage } from '#platform';
import {
  TEST_KAFKA_BROKERS,
  TEST_KAFKA_PRINCIPALS,
  createTestDatabase,
  createTestSigningKeys,
  waitFor,
  type TestDatabase,
  type TestSigningKeys,
} from '#testing';
import { startRegistryApp } from '../../apps/registry/src/registry-app.js';

/** Bearer credentials every test system uses. */
export const TOKENS = {
  publisher: { CN: 'test-publisher-cn', HK: 'test-publisher-hk', MO: 'test-publisher-mo' },
  officer: { CN: 'test-officer-cn', HK: 'test-officer-hk', MO: 'test-officer-mo' },
  auditor: 'test-auditor',
  admin: 'test-admin',
} as const;

/**
 * A throw-away system for one test file: its own database, its own topic namespace on the real broker
 * (provisioned with topics and ACLs), fresh signing keys, and helpers to start the apps in-process.
 */
export class TestSystem {
  readonly apps: INestApplication<Server>[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly prefix: string,
    readonly topics: TopicSet,
    readonly keys: TestSigningKeys,
  ) {}

  static async create(label: string): Promise<TestSystem> {
    const database = await createTestDatabase();
    const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${label}.`;
    // TLS when the run says so (KAFKA_TLS=true, KAFKA_CA_FILE: the apps read the same variables); npm test: plaintext.
    const admin = createKafka({
      brokers: TEST_KAFKA_BROKERS,
      clientId: `test-${label}`,
      ...TEST_KAFKA_PRINCIPALS.admin,
      tls: kafkaTlsFromEnv(),
      logLevel: 'ERROR',
    });
    await provisionKafka(admin, { topicPrefix: prefix });
    return new TestSystem(database, prefix, topicNames(prefix), createTestSigningKeys());
  }

  /** Environment shared by every app of this system (each app then gets its own database role's URL). */
  baseEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'error',
      DATABASE_URL: this.database.url,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: this.prefix,
    };
  }

  authorityEnv(authority: AuthorityCode, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...this.baseEnv(),
      DATABASE_URL: this.database.urlFor(AUTHORITY_DATABASE_ROLE[authority]),
      KAFKA_USERNAME: TEST_KAFKA_PRINCIPALS[authority].username,
      KAFKA_PASSWORD: TEST_KAFKA_PRINCIPALS[authority].password,
      SIGNING_KEY_ID: this.keys.signers[authority].keyId,
      SIGNING_PRIVATE_KEY: this.keys.signers[authority].privateKey,
      PUBLISHER_TOKEN_CN: TOKENS.publisher.CN,
      PUBLISHER_TOKEN_HK: TOKENS.publisher.HK,
      PUBLISHER_TOKEN_MO: TOKENS.publisher.MO,
      OUTBOX_POLL_INTERVAL_MS: '50',
      ...overrides,
    };
  }

  registryEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...this.baseEnv(),
      DATABASE_URL: this.database.urlFor('registry'),
      KAFKA_USERNAME: TEST_KAFKA_PRINCIPALS.registry.username,
      KAFKA_PASSWORD: TEST_KAFKA_PRINCIPALS.registry.password,
      KAFKA_CONSUMER_GROUP: `registry-${this.prefix}`,
      TRUSTED_KEYS: this.keys.trustedKeys,
      OFFICER_TOKEN_CN: TOKENS.officer.CN,
      OFFICER_TOKEN_HK: TOKENS.officer.HK,
      OFFICER_TOKEN_MO: TOKENS.officer.MO,
      AUDITOR_TOKEN: TOKENS.auditor,
      ADMIN_TOKEN: TOKENS.admin,
      ...overrides,
    };
  }

  async startAuthority(authority: AuthorityCode, overrides: NodeJS.ProcessEnv = {}): Promise<INestApplication<Server>> {
    const app = await startAuthorityApp(authority, this.authorityEnv(authority, overrides));
    this.apps.push(app);
    return app;
  }

  async startRegistry(overrides: NodeJS.ProcessEnv = {}): Promise<INestApplication<Server>> {
    const app = await startRegistryApp(this.registryEnv(overrides));
    this.apps.push(app);
    return app;
  }

  /**
   * Reads every message of a topic from the beginning until `expected` arrived: as the registry principal, or as
   * the admin for the quarantine topic (the registry may only write there).
   */
  async readTopic(topic: string, expected: number, timeoutMs = 30_000): Promise<(KafkaMessage & { partition: number; decoded: DecodedEvent })[]> {
    const principal = topic === this.topics.QUARANTINE ? TEST_KAFKA_PRINCIPALS.admin : TEST_KAFKA_PRINCIPALS.registry;
    const kafka = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'test-reader', ...principal, tls: kafkaTlsFromEnv(), logLevel: 'ERROR' });
    const consumer = kafka.consumer({ groupId: `registry-reader-${this.prefix}-${Math.random().toString(36).slice(2, 8)}` });
    const received: (KafkaMessage & { partition: number; decoded: DecodedEvent })[] = [];
    const trusted = parseTrustedKeys(this.keys.trustedKeys);
    const authority = (['CN', 'HK', 'MO'] as const).find((code) => this.topics[code] === topic);
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoResolve: true,
        eachBatch: ({ batch: { partition, messages } }) => {
          for (const message of messages) received.push({ ...message, partition, decoded: decodeSignedEvent(message.value, trusted, authority) });
          return Promise.resolve();
        },
      });
      await waitFor(() => received.length >= expected, { timeoutMs, description: `${expected} messages on ${topic}` });
    } finally {
      await consumer.disconnect();
    }
    return received;
  }

  async close(): Promise<void> {
    for (const app of this.apps.reverse()) await app.close().catch(() => undefined);
    await this.database.drop();
  }
}

/** A valid recordation body for an authority, with overrides. */
export function recordationBody(authority: AuthorityCode, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const office = { CN: 'CNIPA', HK: 'HKIPD', MO: 'DSE' }[authority];
  const script = authority === 'CN' ? 'Hans' : 'Hant';
  const text = authority === 'CN' ? '爱马仕' : '愛馬仕';
  return {
    ipType: 'trademark',
    mark: { text, script, type: 'word', transliterations: [{ script: 'Latn', text: 'HERMES' }] },
    niceClasses: [18, 25],
    goods: 'Handbags and leather goods',
    rightsHolder: { name: 'Hermès International', nameAlt: '愛馬仕國際', country: 'FR' },
    trademarkRegistration: { office, number: '300123456', expiresOn: '2040-01-01' },
    validFrom: '2025-01-01',
    ...(authority === 'CN' ? {} : { validUntil: '2030-01-01' }),
    ...overrides,
  };
}
