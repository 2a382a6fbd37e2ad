import type { AuthorityCode } from './authorities.js';

/** Kafka topics. Each authority writes only its own topic (enforced by broker ACLs). */
export const TOPICS = {
  CN: 'recordations.cn',
  HK: 'recordations.hk',
  MO: 'recordations.mo',
  QUARANTINE: 'recordations.quarantine',
} as const;

export const AUTHORITY_TOPICS: readonly string[] = [TOPICS.CN, TOPICS.HK, TOPICS.MO];

export const TOPIC_PARTITIONS: Record<string, number> = {
  [TOPICS.CN]: 6,
  [TOPICS.HK]: 6,
  [TOPICS.MO]: 6,
  [TOPICS.QUARANTINE]: 3,
};

export function topicForAuthority(authority: AuthorityCode): string {
  return TOPICS[authority];
}

export function authorityForTopic(topic: string): AuthorityCode | undefined {
  switch (topic) {
    case TOPICS.CN:
      return 'CN';
    case TOPICS.HK:
      return 'HK';
    case TOPICS.MO:
      return 'MO';
    default:
      return undefined;
  }
}
