import kafkajs from 'kafkajs';
import type {
  Admin,
  IResourceConfig,
  AclEntry,
  AclOperationTypes as AclOperation,
  AclResourceTypes as AclResource,
  ResourcePatternTypes as ResourcePattern,
} from 'kafkajs';
import type { Kafka } from './kafka-adapter.js';
import { createKafkajsClient, kafkaOptionsOf } from './kafka-client.factory.js';
import { TOPICS, TOPIC_PARTITIONS, topicNames, type TopicSet } from '../../../contracts/src/topics.js';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes, ConfigResourceTypes, ConfigSource } = kafkajs;

/** SCRAM principals created by deploy/kafka/kafka.sh at format time. */
export const KAFKA_PRINCIPALS = {
  ADMIN: 'admin',
  CN: 'authority-cn',
  HK: 'authority-hk',
  MO: 'authority-mo',
  REGISTRY: 'registry',
} as const;

/** Consumer groups of the registry must start with this prefix (PREFIXED ACL). */
export const REGISTRY_GROUP_PREFIX = 'registry';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Topic config `max.message.bytes`: the largest record batch the broker accepts on this topic. */
  maxMessageBytes: number;
}

/**
 * The largest message an authority topic accepts (topic config `max.message.bytes`, 16 MiB). A recordation is a
 * few kilobytes and the registry refuses anything over MAX_EVENT_BYTES (1 MB) as `too-large`; the topics still
 * accept far larger messages ON PURPOSE, so that an oversized message written by a (buggy or compromised)
 * authority lands where the registry sees it and quarantines it with its reason, instead of being refused at the
 * broker where nobody on the exchange's side would ever know. Set on the topic, not left to the broker's
 * `message.max.bytes` (1 MiB by default), so it holds on any cluster. Larger than this is refused by the broker.
 */
export const AUTHORITY_TOPIC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The quarantine topic takes a full copy of any authority message plus the registry's headers (reason, detail, source). */
export const QUARANTINE_TOPIC_MAX_MESSAGE_BYTES = AUTHORITY_TOPIC_MAX_MESSAGE_BYTES + 1024 * 1024;

/** Topic names, partition counts (6 per authority topic, 3 for quarantine) and size limits for one topic set. */
export function recordationTopicSpecs(topics: TopicSet = TOPICS): TopicSpec[] {
  return (Object.keys(TOPIC_PARTITIONS) as Array<keyof typeof TOPIC_PARTITIONS>).map((key) => ({
    topic: topics[key],
    numPartitions: TOPIC_PARTITIONS[key],
    maxMessageBytes: key === 'QUARANTINE' ? QUARANTINE_TOPIC_MAX_MESSAGE_BYTES : AUTHORITY_TOPIC_MAX_MESSAGE_BYTES,
  }));
}

export interface ProvisionKafkaOptions {
  /** Prefix for every topic name (KAFKA_TOPIC_PREFIX); ignored when `topics` is given. Default ''. */
  topicPrefix?: string;
  /** Explicit topic set; defaults to `topicNames(topicPrefix)`. */
  topics?: TopicSet;
  /** Replicas of every topic (KAFKA_REPLICATION_FACTOR); refused when above the number of brokers. Default 1. */
  replicationFactor?: number;
  /**
   * Topic config `min.insync.replicas` (KAFKA_MIN_INSYNC_REPLICAS): with acks=all a write is accepted only once this
   * many replicas have it. Must not exceed the replication factor. Default: the broker's setting.
   */
  minInsyncReplicas?: number;
  /** Consumer groups the registry may use: every id starting with this. Default {@link REGISTRY_GROUP_PREFIX}. */
  registryGroupPrefix?: string;
  /** ACL set to apply; defaults to `recordationAcls(topics, registryGroupPrefix)`. */
  acls?: readonly AclEntry[];
  /** Broker-side timeout for topic creation, ms. */
  timeoutMs?: number;
}

export interface ProvisionKafkaResult {
  topics: TopicSet;
  createdTopics: string[];
  existingTopics: string[];
  /** Topics whose partition count was raised to the requested one. */
  expandedTopics: string[];
  /** Existing topics whose `max.message.bytes` was raised to the requested one. */
  reconfiguredTopics: string[];
  /** ACL entries requested (CreateAcls is idempotent on the broker). */
  acls: number;
  /** Of those, how many were not present before. */
  newAcls: number;
  /** Brokers the cluster reported. */
  brokers: number;
}

/** A replication factor or min ISR the cluster cannot honour; the message names the variable. */
export class ProvisioningConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisioningConfigError';
  }
}

/** Refuses a replication factor above the brokers seen, or a min ISR above the factor, naming the variable. */
export function checkReplication(brokers: number, replicationFactor: number, minInsyncReplicas: number | undefined): void {
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1)
    throw new ProvisioningConfigError(`KAFKA_REPLICATION_FACTOR must be a positive integer, got ${replicationFactor}`);
  if (replicationFactor > brokers) {
    throw new ProvisioningConfigError(`KAFKA_REPLICATION_FACTOR=${replicationFactor} is above the number of brokers the cluster reports (${brokers})`);
  }
  if (minInsyncReplicas !== undefined && (!Number.isInteger(minInsyncReplicas) || minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor)) {
    throw new ProvisioningConfigError(`KAFKA_MIN_INSYNC_REPLICAS=${minInsyncReplicas} must be between 1 and KAFKA_REPLICATION_FACTOR (${replicationFactor})`);
  }
}

function allow(
  principalName: string,
  resourceType: AclResource,
  resourceName: string,
  operation: AclOperation,
  resourcePatternType: ResourcePattern = ResourcePatternTypes.LITERAL,
): AclEntry {
  return {
    principal: `User:${principalName}`,
    host: '*',
    permissionType: AclPermissionTypes.ALLOW,
    operation,
    resourceType,
    resourceName,
    resourcePatternType,
  };
}

/**
 * The ACLs of the recordation exchange:
 * - each authority principal may WRITE (and DESCRIBE, for metadata) only its own topic;
 * - the registry may READ + DESCRIBE the three authority topics, WRITE + DESCRIBE the quarantine topic,
 *   and READ consumer groups whose id starts with `registry` (READ implies DESCRIBE, which FindCoordinator needs).
 * Idempotent producers need no IdempotentWrite grant: since Kafka 2.8 (KIP-679) WRITE on any topic suffices.
 */
export function recordationAcls(topics: TopicSet = TOPICS, registryGroupPrefix = REGISTRY_GROUP_PREFIX): AclEntry[] {
  const { TOPIC, GROUP } = AclResourceTypes;
  const { READ, WRITE, DESCRIBE } = AclOperationTypes;
  const authorityTopics: Array<[string, string]> = [
    [KAFKA_PRINCIPALS.CN, topics.CN],
    [KAFKA_PRINCIPALS.HK, topics.HK],
    [KAFKA_PRINCIPALS.MO, topics.MO],
  ];
  const acls: AclEntry[] = [];
  for (const [principal, topic] of authorityTopics) {
    acls.push(allow(principal, TOPIC, topic, WRITE), allow(principal, TOPIC, topic, DESCRIBE));
  }
  for (const [, topic] of authorityTopics) {
    acls.push(allow(KAFKA_PRINCIPALS.REGISTRY, TOPIC, topic, READ), allow(KAFKA_PRINCIPALS.REGISTRY, TOPIC, topic, DESCRIBE));
  }
  acls.push(
    allow(KAFKA_PRINCIPALS.REGISTRY, TOPIC, topics.QUARANTINE, WRITE),
    allow(KAFKA_PRINCIPALS.REGISTRY, TOPIC, topics.QUARANTINE, DESCRIBE),
    allow(KAFKA_PRINCIPALS.REGISTRY, GROUP, registryGroupPrefix, READ, ResourcePatternTypes.PREFIXED),
  );
  return acls;
}

function aclKey(a: AclEntry): string {
  return [a.principal, a.host, a.operation, a.permissionType, a.resourceType, a.resourceName, a.resourcePatternType].join('|');
}

async function existingAclKeys(admin: Admin): Promise<Set<string>> {
  const response = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const keys = new Set<string>();
  for (const resource of response.resources) {
    for (const acl of resource.acls) {
      keys.add(aclKey({ ...acl, ...resource }));
    }
  }
  return keys;
}

async function waitForAcls(admin: Admin, acls: readonly AclEntry[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const present = await existingAclKeys(admin);
    const missing = acls.filter((a) => !present.has(aclKey(a)));
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`Kafka ACLs not visible after ${timeoutMs} ms: ${missing.map(aclKey).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Raises `max.message.bytes` of existing topics to their spec (topics created before the limit was provisioned);
 * a larger value an operator set is kept. AlterConfigs (the only config call kafkajs has) REPLACES a topic's whole
 * set of overrides, so the topic's other overrides (retention…) are read first and written back with it.
 */
async function raiseMaxMessageBytes(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic })),
  });
  const resources: IResourceConfig[] = [];
  for (const spec of specs) {
    const entries = described.resources.find((r) => r.resourceName === spec.topic)?.configEntries ?? [];
    const current = Number(entries.find((e) => e.configName === 'max.message.bytes')?.configValue ?? 0);
    if (current >= spec.maxMessageBytes) continue;
    // Overrides set on the topic itself (DYNAMIC_TOPIC_CONFIG); defaults and broker settings are not written back.
    const overrides = entries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configName !== 'max.message.bytes' && e.configValue !== null);
    resources.push({
      type: ConfigResourceTypes.TOPIC,
      name: spec.topic,
      configEntries: [
        ...overrides.map((e) => ({ name: e.configName, value: e.configValue })),
        { name: 'max.message.bytes', value: String(spec.maxMessageBytes) },
      ],
    });
  }
  if (resources.length === 0) return [];
  await admin.alterConfigs({ validateOnly: false, resources });
  return resources.map((r) => r.name);
}

/**
 * Idempotently creates the recordation topics (under an optional prefix) and their ACLs. `kafka` must authenticate as a super user
 * (`admin` on the local broker). Safe to run on every deployment: existing topics are left alone
 * (their partition count and `max.message.bytes` are only ever raised), and CreateAcls does not duplicate existing bindings.
 * Runs on kafkajs's admin whatever KAFKA_CLIENT says (made from the client's connection options): it is a deployment
 * step, not the apps' traffic, and kafkajs's ACL and config calls are what it was written and tested against.
 */
export async function provisionKafka(kafka: Kafka, opts: ProvisionKafkaOptions = {}): Promise<ProvisionKafkaResult> {
  const topics = opts.topics ?? topicNames(opts.topicPrefix ?? '');
  const specs = recordationTopicSpecs(topics);
  const replicationFactor = opts.replicationFactor ?? 1;
  const timeout = opts.timeoutMs ?? 30_000;
  const acls = [...(opts.acls ?? recordationAcls(topics, opts.registryGroupPrefix ?? REGISTRY_GROUP_PREFIX))];

  const admin = createKafkajsClient(kafkaOptionsOf(kafka)).admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    checkReplication(brokers.length, replicationFactor, opts.minInsyncReplicas);
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.topic));
    const existing = specs.filter((s) => present.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        timeout,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor,
          configEntries: [
            { name: 'max.message.bytes', value: String(s.maxMessageBytes) },
            ...(opts.minInsyncReplicas !== undefined ? [{ name: 'min.insync.replicas', value: String(opts.minInsyncReplicas) }] : []),
          ],
        })),
      });
    }

    const expandedTopics: string[] = [];
    if (existing.length > 0) {
      const { topics } = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.topic) });
      const counts = new Map(topics.map((t) => [t.name, t.partitions.length]));
      const toExpand = existing.filter((s) => (counts.get(s.topic) ?? 0) < s.numPartitions);
      if (toExpand.length > 0) {
        await admin.createPartitions({
          timeout,
          topicPartitions: toExpand.map((s) => ({ topic: s.topic, count: s.numPartitions })),
        });
        expandedTopics.push(...toExpand.map((s) => s.topic));
      }
    }
    const reconfiguredTopics = existing.length > 0 ? await raiseMaxMessageBytes(admin, existing) : [];

    let newAcls = 0;
    if (acls.length > 0) {
      const before = await existingAclKeys(admin);
      newAcls = acls.filter((a) => !before.has(aclKey(a))).length;
      if (newAcls > 0) {
        await admin.createAcls({ acl: acls });
        // CreateAcls returns once the controller has committed the bindings; the broker's authorizer applies
        // them a moment later. Wait until they are visible so that callers can use them straight away.
        await waitForAcls(admin, acls, timeout);
      }
    }

    return {
      topics,
      createdTopics: missing.map((s) => s.topic),
      existingTopics: existing.map((s) => s.topic),
      expandedTopics,
      reconfiguredTopics,
      acls: acls.length,
      newAcls,
      brokers: brokers.length,
    };
  } finally {
    await admin.disconnect();
  }
}
