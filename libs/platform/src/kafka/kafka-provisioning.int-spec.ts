import { afterAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { topicNames } from '#contracts';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';
import { createKafka, createKafkajsClient } from './kafka-client.factory.js';
import { AUTHORITY_TOPIC_MAX_MESSAGE_BYTES, QUARANTINE_TOPIC_MAX_MESSAGE_BYTES, provisionKafka } from './kafka-provisioning.js';

const { ConfigResourceTypes } = kafkajs;

/** Against the real broker: the size limit of the topics is provisioned on new topics and raised on existing ones. */
describe('provisionKafka: max.message.bytes', () => {
  const options = { brokers: TEST_KAFKA_BROKERS, clientId: 'provisioning-int', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' as const };
  const kafka = createKafka(options);
  // Topic configs are read and set up with kafkajs's admin (what provisioning itself uses).
  const kafkajsAdmin = () => createKafkajsClient(options).admin();
  const prefixes: string[] = [];
  const newPrefix = () => {
    const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-prov.`;
    prefixes.push(prefix);
    return prefix;
  };

  async function topicConfig(topic: string): Promise<Record<string, string>> {
    const admin = kafkajsAdmin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
      return Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    } finally {
      await admin.disconnect();
    }
  }

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => prefixes.some((p) => t.startsWith(p))) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the authority topics at 16 MiB and the quarantine topic above that', async () => {
    const topics = topicNames(newPrefix());
    const result = await provisionKafka(kafka, { topics });
    expect(result.createdTopics).toHaveLength(4);
    expect(result.reconfiguredTopics).toEqual([]);
    expect((await topicConfig(topics.CN))['max.message.bytes']).toBe(String(AUTHORITY_TOPIC_MAX_MESSAGE_BYTES));
    expect((await topicConfig(topics.QUARANTINE))['max.message.bytes']).toBe(String(QUARANTINE_TOPIC_MAX_MESSAGE_BYTES));
    expect(QUARANTINE_TOPIC_MAX_MESSAGE_BYTES).toBeGreaterThan(AUTHORITY_TOPIC_MAX_MESSAGE_BYTES);
  });

  it('raises the limit of existing topics, keeps their other overrides, and a second run changes nothing', async () => {
    const topics = topicNames(newPrefix());
    const admin = kafkajsAdmin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: topics.HK, numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
          { topic: topics.MO, numPartitions: 6, configEntries: [{ name: 'max.message.bytes', value: String(64 * 1024 * 1024) }] },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const first = await provisionKafka(kafka, { topics });
    expect(first.reconfiguredTopics).toEqual([topics.HK]); // MO's larger limit is an operator's choice: kept
    const hk = await topicConfig(topics.HK);
    expect(hk['max.message.bytes']).toBe(String(AUTHORITY_TOPIC_MAX_MESSAGE_BYTES));
    expect(hk['retention.ms']).toBe('3600000');
    expect((await topicConfig(topics.MO))['max.message.bytes']).toBe(String(64 * 1024 * 1024));
    const second = await provisionKafka(kafka, { topics });
    expect(second.reconfiguredTopics).toEqual([]);
  });
});
