import type { AuthorityCode } from './authorities.js';

/**
 * Kafka topics. Each authority writes only its own topic (enforced by broker ACLs).
 * A deployment may put all topics under a prefix (KAFKA_TOPIC_PREFIX); tests use this to get a
 * namespace of their own on the shared broker. The default prefix is empty.
 */
export const TOPICS = {
  CN: 'recordations.cn',
  HK: 'recordations.hk',
  MO: 'recordations.mo',
  QUARANTINE: 'recordations.quarantine',
} as const;

export type TopicSet = { readonly [K in keyof typeof TOPICS]: string };

export const TOPIC_PARTITIONS: Record<keyof typeof TOPICS, number> = { CN: 6, HK: 6, MO: 6, QUARANTINE: 3 };

export function topicNames(prefix = ''): TopicSet {
  return { CN: prefix + TOPICS.CN, HK: prefix + TOPICS.HK, MO: prefix + TOPICS.MO, QUARANTINE: prefix + TOPICS.QUARANTINE };
}

export function authorityTopics(topics: TopicSet): string[] {
  return [topics.CN, topics.HK, topics.MO];
}

export function authorityForTopic(topic: string, topics: TopicSet = TOPICS): AuthorityCode | undefined {
  if (topic === topics.CN) return 'CN';
  if (topic === topics.HK) return 'HK';
  if (topic === topics.MO) return 'MO';
  return undefined;
}
