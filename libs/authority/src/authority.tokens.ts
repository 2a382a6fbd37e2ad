import type { AuthorityCode, SigningKey, TopicSet } from '#contracts';
import type { AuthorityRules } from '#domain';

/** What makes one authority's service differ from another's: injected once, read everywhere. */
export class AuthorityContext {
  constructor(
    readonly authority: AuthorityCode,
    readonly rules: AuthorityRules,
    readonly signingKey: SigningKey,
    readonly topic: string,
    readonly topics: TopicSet,
  ) {}
}

/** The time source; tests of time-driven behaviour pass their own `now` to the use case instead. */
export class Clock {
  now(): Date {
    return new Date();
  }
}
