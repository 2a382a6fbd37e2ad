/**
 * Smoke test against the real local broker (deploy/kafka/kafka.sh start): kafkajs 2.2.4 itself (not the adapter:
 * its ACL and error-type checks are kafkajs's) against Kafka 4.1, SASL/SCRAM-SHA-512 and the ACLs that
 * provisionKafka creates. The adapter's own smoke test, on both clients, is kafka-adapter.smoke-spec.ts. Runs in a
 * topic namespace of its own (a unique prefix) and removes its topics, ACLs and consumer group afterwards. Over TLS
 * when KAFKA_TLS=true (with KAFKA_CA_FILE), else on the loopback plaintext listener `npm test` uses.
 *
 * Then the TLS listener itself (issue 22, item 1) on the shared broker when it runs TLS, else on a private TLS broker
 * (port 19592): a plaintext client is refused, a client without our CA fails certificate verification, one with it
 * works; and the SCRAM passwords are on no process's command line and in no file others can read.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { topicNames, type TopicSet } from '../../libs/contracts/src/topics.js';
import {
  createKafka,
  createKafkajsClient,
  kafkaTlsFromEnv,
  parseBrokerList,
  type KafkaLogSink,
  type KafkaTlsOptions,
} from '../../libs/platform/src/kafka/kafka-client.factory.js';
import { provisionKafka, recordationAcls } from '../../libs/platform/src/kafka/kafka-provisioning.js';
import { PrivateBroker } from '../../libs/testing/src/private-broker.js';

const { Partitioners, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

const BROKERS = parseBrokerList(process.env.KAFKA_BROKERS);
const TLS = kafkaTlsFromEnv();
const PASSWORDS = {
  admin: process.env.KAFKA_PASSWORD_ADMIN ?? 'admin-dev-secret',
  'authority-cn': process.env.KAFKA_PASSWORD_CN ?? 'cn-dev-secret',
  'authority-hk': process.env.KAFKA_PASSWORD_HK ?? 'hk-dev-secret',
  'authority-mo': process.env.KAFKA_PASSWORD_MO ?? 'mo-dev-secret',
  registry: process.env.KAFKA_PASSWORD_REGISTRY ?? 'registry-dev-secret',
} as const;
type Principal = keyof typeof PASSWORDS;

const RUN_ID = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const TOPIC_PREFIX = `smoke-${RUN_ID}.`;
const REGISTRY_GROUP = `registry-smoke-${RUN_ID}`;

/** kafkajs log lines are kept here (printed only when a test fails through its assertion messages). */
const kafkaLogs: string[] = [];
const quietSink: KafkaLogSink = {
  error: (message, context) => kafkaLogs.push(`error ${message} ${JSON.stringify(context)}`),
  warn: (message, context) => kafkaLogs.push(`warn ${message} ${JSON.stringify(context)}`),
  log: () => undefined,
  debug: () => undefined,
};

function client(principal: Principal, password: string = PASSWORDS[principal], retries = 5): Kafka {
  return createKafkajsClient({
    brokers: BROKERS,
    tls: TLS,
    clientId: `smoke-${principal}-${RUN_ID}`,
    username: principal,
    password,
    logger: quietSink,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}

/** The same principal through the adapter (provisionKafka takes one). */
function adapter(principal: Principal): ReturnType<typeof createKafka> {
  return createKafka({
    client: 'kafkajs',
    brokers: BROKERS,
    tls: TLS,
    clientId: `smoke-${principal}-${RUN_ID}`,
    username: principal,
    password: PASSWORDS[principal],
    logger: quietSink,
  });
}

/** Every `type` found along an error's cause chain (kafkajs wraps protocol errors in retry errors). */
function errorTypes(error: unknown, seen = new Set<unknown>()): string[] {
  if (!error || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as { type?: unknown; name?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
  const own = [e.type, e.name].filter((v): v is string => typeof v === 'string');
  const nested = [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return [...own, ...nested.flatMap((n) => errorTypes(n, seen))];
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to be refused, but it succeeded');
}

/** Resolves when `predicate` holds for the values pushed so far; rejects after `timeoutMs`. */
function collector<T>(predicate: (items: T[]) => boolean, timeoutMs: number, what: string) {
  const items: T[] = [];
  let resolve!: (items: T[]) => void;
  let reject!: (error: Error) => void;
  const done = new Promise<T[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (got ${items.length})`)), timeoutMs);
  return {
    done: done.finally(() => clearTimeout(timer)),
    push(item: T) {
      items.push(item);
      if (predicate(items)) resolve(items);
    },
  };
}

describe('local Kafka broker (SASL/SCRAM + ACLs) with kafkajs', () => {
  let topics: TopicSet;
  let admin: Admin;
  const toDisconnect: Array<Producer | Consumer | Admin> = [];

  async function connectedProducer(principal: Principal, retries = 5): Promise<Producer> {
    const producer = client(principal, undefined, retries).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    toDisconnect.push(producer);
    await producer.connect();
    return producer;
  }

  beforeAll(async () => {
    topics = topicNames(TOPIC_PREFIX);
    admin = client('admin').admin();
    toDisconnect.push(admin);
    await admin.connect();

    const first = await provisionKafka(adapter('admin'), { topics });
    expect(first.createdTopics.sort()).toEqual(Object.values(topics).sort());
    // Every topic ACL is new (the registry's group ACL is shared by all topic sets and may exist already).
    const topicAcls = recordationAcls(topics).filter((acl) => acl.resourceType === AclResourceTypes.TOPIC).length;
    expect(first.newAcls).toBeGreaterThanOrEqual(topicAcls);

    // Idempotent: a second run creates nothing.
    const second = await provisionKafka(adapter('admin'), { topics });
    expect(second.createdTopics).toEqual([]);
    expect(second.existingTopics.sort()).toEqual(Object.values(topics).sort());
    expect(second.expandedTopics).toEqual([]);
    expect(second.newAcls).toBe(0);
  }, 60_000);

  afterAll(async () => {
    for (const c of toDisconnect.reverse()) await c.disconnect().catch(() => undefined);
    // Leave the shared dev broker as we found it: drop this run's group, ACLs and topics.
    const cleaner = client('admin').admin();
    try {
      await cleaner.connect();
      await cleaner.deleteGroups([REGISTRY_GROUP]).catch(() => undefined);
      await cleaner.deleteAcls({
        filters: recordationAcls(topics)
          .filter((acl) => acl.resourceType === AclResourceTypes.TOPIC)
          .map((acl) => ({ ...acl })),
      });
      await cleaner.deleteTopics({ topics: Object.values(topics) });
    } finally {
      await cleaner.disconnect();
    }
  }, 60_000);

  it('lists and describes the provisioned topics as admin', async () => {
    const listed = await admin.listTopics();
    expect(listed).toEqual(expect.arrayContaining(Object.values(topics)));

    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
    const partitions = Object.fromEntries(metadata.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({ [topics.CN]: 6, [topics.HK]: 6, [topics.MO]: 6, [topics.QUARANTINE]: 3 });

    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.clusterId).toEqual(expect.any(String));

    const acls = await admin.describeAcls({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topics.HK,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const principals = acls.resources.flatMap((r) => r.acls.map((a) => `${a.principal}:${a.operation}`)).sort();
    expect(principals).toEqual(
      [
        `User:authority-hk:${AclOperationTypes.WRITE}`,
        `User:authority-hk:${AclOperationTypes.DESCRIBE}`,
        `User:registry:${AclOperationTypes.READ}`,
        `User:registry:${AclOperationTypes.DESCRIBE}`,
      ].sort(),
    );
  });

  it('authority-hk produces to its topic; registry consumes it in a group and commits offsets', async () => {
    const producer = await connectedProducer('authority-hk');
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61); // a 10 MiB value must pass (fault tests send poison this big)
    const sent = [
      { key: 'IPR-0001', value: JSON.stringify({ n: 1 }) },
      { key: 'IPR-0002', value: JSON.stringify({ n: 2 }) },
      { key: 'IPR-0001', value: JSON.stringify({ n: 3 }) },
    ];
    await producer.send({ topic: topics.HK, acks: -1, messages: sent });
    await producer.send({ topic: topics.HK, acks: -1, messages: [{ key: 'IPR-BIG', value: big }] });

    const consumer = client('registry').consumer({ groupId: REGISTRY_GROUP, allowAutoTopicCreation: false });
    toDisconnect.push(consumer);
    const received = collector<{ key: string; size: number; partition: number; offset: string }>(
      (items) => items.length >= sent.length + 1,
      45_000,
      'the produced messages',
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.HK], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          received.push({ key: message.key?.toString() ?? '', size: message.value?.length ?? 0, partition, offset: message.offset });
        },
      });
      const items = await received.done;
      expect(items.map((m) => m.key).sort()).toEqual(['IPR-0001', 'IPR-0001', 'IPR-0002', 'IPR-BIG']);
      expect(items.find((m) => m.key === 'IPR-BIG')?.size).toBe(big.length);
      // Same key, same partition.
      const ipr1 = items.filter((m) => m.key === 'IPR-0001');
      expect(ipr1[0].partition).toBe(ipr1[1].partition);
    } finally {
      await consumer.disconnect();
    }

    // The committed offsets, read back by the registry itself (READ on its group, DESCRIBE on the topic).
    const registryAdmin = client('registry').admin();
    toDisconnect.push(registryAdmin);
    await registryAdmin.connect();
    const offsets = await registryAdmin.fetchOffsets({ groupId: REGISTRY_GROUP, topics: [topics.HK] });
    expect(offsets).toHaveLength(1);
    const committed = offsets[0].partitions.map((p) => Number(p.offset)).filter((o) => o >= 0);
    expect(committed.reduce((a, b) => a + b, 0)).toBe(sent.length + 1);
  }, 60_000);

  it('registry may write to the quarantine topic', async () => {
    const producer = await connectedProducer('registry');
    const [result] = await producer.send({ topic: topics.QUARANTINE, acks: -1, messages: [{ key: 'IPR-0001', value: 'poison' }] });
    expect(result.errorCode).toBe(0);
  }, 30_000);

  it('refuses authority-hk writing to the Mainland topic (TOPIC_AUTHORIZATION_FAILED)', async () => {
    const producer = await connectedProducer('authority-hk', 1);
    const error = await rejection(producer.send({ topic: topics.CN, messages: [{ key: 'IPR-0001', value: 'forged' }] }));
    expect(errorTypes(error)).toContain('TOPIC_AUTHORIZATION_FAILED');
  }, 30_000);

  it('refuses the registry a consumer group outside its prefix (GROUP_AUTHORIZATION_FAILED)', async () => {
    // kafkajs turns the FindCoordinator refusal into KafkaJSGroupCoordinatorNotFound and only logs the
    // broker's error code (at debug level), so capture the debug log to see the real reason.
    const debugLines: string[] = [];
    const registryAdmin = createKafkajsClient({
      brokers: BROKERS,
      clientId: `smoke-registry-debug-${RUN_ID}`,
      username: 'registry',
      password: PASSWORDS.registry,
      tls: TLS,
      logLevel: 'DEBUG',
      logger: { ...quietSink, debug: (message, context) => debugLines.push(`${message} ${JSON.stringify(context)}`) },
      retry: { retries: 1, initialRetryTime: 100 },
    }).admin();
    toDisconnect.push(registryAdmin);
    await registryAdmin.connect();
    const error = await rejection(registryAdmin.fetchOffsets({ groupId: `other-${RUN_ID}`, topics: [topics.HK] }));
    expect(errorTypes(error)).toContain('KafkaJSGroupCoordinatorNotFound');
    expect(debugLines.some((line) => line.includes('GROUP_AUTHORIZATION_FAILED'))).toBe(true);
  }, 30_000);

  it('refuses a wrong password', async () => {
    const intruder = client('authority-hk', 'not-the-password', 0).admin();
    toDisconnect.push(intruder);
    const error = await rejection(intruder.connect());
    expect(errorTypes(error)).toContain('KafkaJSSASLAuthenticationError');
  }, 30_000);
});

/** Every string found along an error's cause chain: messages and codes (TLS errors carry an OpenSSL code). */
function errorTexts(error: unknown, seen = new Set<unknown>()): string[] {
  if (!error || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as { message?: unknown; code?: unknown; type?: unknown; name?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
  const own = [e.message, e.code, e.type, e.name].filter((v): v is string => typeof v === 'string');
  const nested = [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return [...own, ...nested.flatMap((n) => errorTexts(n, seen))];
}

const KAFKA_DIR = fileURLToPath(new URL('../../deploy/kafka/', import.meta.url));
const TLS_PRIVATE_PORT = 19592;
const run = promisify(execFile);

describe('TLS listener (SASL_SSL, development CA) and SCRAM password hygiene', () => {
  let brokers: string[];
  let dataDir: string;
  let ca: string;
  let own: PrivateBroker | undefined;

  beforeAll(async () => {
    if (process.env.KAFKA_TLS === 'true') {
      // The shared broker runs TLS: test it (its data dir is ours when it was started from this checkout).
      brokers = BROKERS;
      dataDir = process.env.KAFKA_DATA_DIR ?? join(KAFKA_DIR, '.data');
      ca = readFileSync(process.env.KAFKA_CA_FILE ?? join(KAFKA_DIR, '.cache/tls/ca.crt'), 'utf8');
    } else {
      own = await PrivateBroker.start(TLS_PRIVATE_PORT, { KAFKA_TLS: 'true' });
      brokers = own.brokers;
      dataDir = own.dataDir;
      ca = readFileSync(join(process.env.KAFKA_TLS_DIR ?? join(KAFKA_DIR, '.cache/tls'), 'ca.crt'), 'utf8');
    }
  }, 300_000);

  afterAll(async () => {
    await own?.destroy();
  }, 120_000);

  /** An admin client of the TLS broker: `tls` undefined connects in plaintext. */
  const tlsClient = (tls: KafkaTlsOptions | undefined) =>
    createKafkajsClient({
      brokers,
      tls,
      clientId: `smoke-tls-${RUN_ID}`,
      username: 'admin',
      password: PASSWORDS.admin,
      logger: quietSink,
      connectionTimeout: 5_000,
      retry: { retries: 0 },
    });

  it('answers a client that trusts our CA (host name 127.0.0.1 verified against the certificate)', async () => {
    const admin = tlsClient({ ca }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(expect.arrayContaining([brokers[0]]));
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('refuses a plaintext client', async () => {
    const admin = tlsClient(undefined).admin();
    const error = await rejection(admin.connect());
    await admin.disconnect().catch(() => undefined);
    // The broker reads the SASL handshake as a broken TLS record and closes the connection: nothing is exchanged.
    expect(errorTexts(error).join(' | ')).toMatch(/KafkaJSConnectionError|Connection (closed|timeout)|ECONNRESET|KafkaJSNumberOfRetriesExceeded|timed out/i);
    expect(errorTexts(error).join(' | ')).not.toMatch(/SASL/);
  }, 60_000);

  it('fails certificate verification for a client without our CA (the system CAs do not know it)', async () => {
    const admin = tlsClient({}).admin();
    const error = await rejection(admin.connect());
    await admin.disconnect().catch(() => undefined);
    expect(errorTexts(error).join(' | ')).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|self.signed certificate|unable to verify/i,
    );
  }, 60_000);

  it('puts no SCRAM password on any command line (ps) nor in a file others can read', async () => {
    const secrets = Object.values(PASSWORDS);
    const { stdout } = await run('ps', ['-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 });
    const leaking = stdout.split('\n').filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(leaking).toEqual([]);

    // The data dir is ours alone; every file that holds a password or a key is 0600, in directories only we enter.
    expect(statSync(dataDir).mode & 0o077).toBe(0);
    const holders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'kraft') walk(path); // the log segments: the SCRAM credentials there are salted hashes
          continue;
        }
        if (!entry.isFile() || statSync(path).size > 1_000_000) continue;
        const text = readFileSync(path, 'utf8');
        if (secrets.some((secret) => text.includes(secret)) || /PRIVATE KEY/.test(text)) holders.push(path);
      }
    };
    walk(dataDir);
    expect(holders.map((path) => path.slice(dataDir.length))).toEqual(
      expect.arrayContaining(['/server.properties', '/admin-client.properties', '/tls/broker.pem']),
    );
    for (const path of holders) expect({ path, mode: (statSync(path).mode & 0o777).toString(8) }).toEqual({ path, mode: '600' });
    // The CA's key too: 0600 in a 0700 directory.
    const tlsDir = process.env.KAFKA_TLS_DIR ?? join(KAFKA_DIR, '.cache/tls');
    expect((statSync(tlsDir).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(join(tlsDir, 'ca.key')).mode & 0o777).toString(8)).toBe('600');
    // No argument file of the storage format is left behind.
    expect(holders.filter((path) => path.endsWith('.args'))).toEqual([]);
  }, 60_000);
});
