import { IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { BaseAppConfig, BooleanVariable, ConfigError, IntVariable, isProduction, loadConfig } from '#platform';

/** The jurisdictions a registry can serve in the cross-border deployment (one registry per site). */
export const REGISTRY_SITES = ['CN', 'HK', 'MO'] as const;
export type RegistrySite = (typeof REGISTRY_SITES)[number];

/** Every variable the registry reads. */
export class RegistryConfig extends BaseAppConfig {
  override PORT: number = 3000;
  override DATABASE_SCHEMA: string = 'registry';
  override KAFKA_USERNAME: string = 'registry';

  /** Kafka consumer group; broker ACLs allow groups starting with "registry". */
  @Matches(/^registry[A-Za-z0-9._-]{0,100}$/, { message: 'must start with "registry" (the broker grants that prefix)' })
  KAFKA_CONSUMER_GROUP: string = 'registry';

  /** Authorities' public keys: comma-separated AUTHORITY:keyId:base64SpkiPublicKey (several per authority during rotation). */
  @IsString()
  @IsNotEmpty({ message: "must list the authorities' public keys as AUTHORITY:keyId:base64Key,…" })
  TRUSTED_KEYS: string;

  /**
   * false merges events without checking their Ed25519 signatures (every other check is made, and provenance and the
   * events table say `verified: false`; replay and /api/audit/verify still check them). For measuring what the
   * checks cost, or a trusted link; never leave it off where authorities' keys are what stands between a forger and
   * the register.
   */
  @BooleanVariable()
  VERIFY_SIGNATURES: boolean = true;

  @IsOptional() @IsString() @IsNotEmpty() OFFICER_TOKEN_CN?: string;
  @IsOptional() @IsString() @IsNotEmpty() OFFICER_TOKEN_HK?: string;
  @IsOptional() @IsString() @IsNotEmpty() OFFICER_TOKEN_MO?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUDITOR_TOKEN?: string;
  /** Officers' administrators: maintain the regional alias table. */
  @IsOptional() @IsString() @IsNotEmpty() ADMIN_TOKEN?: string;
  /** The officers' page's client id at each authority's identity provider (authorization code + PKCE; issue 21). */
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'must be the client id registered at the providers (printable, no spaces)' })
  OIDC_WEB_CLIENT_ID: string = 'officers-page';

  /** Bearer credential a Prometheus scrape of /metrics must carry; required in production (open without it). */
  @IsOptional() @IsString() @IsNotEmpty() METRICS_TOKEN?: string;

  /**
   * The longest one officer lookup statement may run before PostgreSQL cancels it (the lookup then answers 503 with
   * the reason): no lookup holds a pooled connection for long.
   */
  @IntVariable(100, 600_000)
  LOOKUP_STATEMENT_TIMEOUT_MS: number = 5000;

  /**
   * An `asOf` search re-reads, from the event store, today's matches plus every recordation whose mark changed since
   * that moment (one event payload each): it is refused with 422 when that would be more than this many.
   */
  @IntVariable(1, 5000)
  ASOF_SEARCH_MAX_RECORDATIONS: number = 2000;

  /** Upper bound of one fetch per partition (bytes); a batch is one fetch. */
  @IntVariable(1024, 64 * 1024 * 1024)
  CONSUMER_MAX_BYTES_PER_PARTITION: number = 4 * 1024 * 1024;

  @IntVariable(6000, 300_000)
  CONSUMER_SESSION_TIMEOUT_MS: number = 30_000;

  /**
   * A fetch waits for this many bytes (or CONSUMER_MAX_WAIT_MS) before it returns. Under a steady trickle the
   * default of 1 byte made one merge transaction per handful of events, whose fixed cost then capped the rate.
   */
  @IntVariable(1, 64 * 1024 * 1024)
  CONSUMER_MIN_BYTES: number = 256 * 1024;

  /** The longest a fetch waits for CONSUMER_MIN_BYTES: the latency it may add to an event's visibility. */
  @IntVariable(0, 5000)
  CONSUMER_MAX_WAIT_MS: number = 100;

  /**
   * Partitions whose batches are handled at once: decoded in parallel, then merged together in one transaction
   * (group commit). More means fewer, larger transactions, and more decoded messages waiting in memory.
   */
  @IntVariable(1, 64)
  CONSUMER_PARTITIONS_CONCURRENTLY: number = 9;

  /**
   * Merge transactions one registry runs at once (each a group of partitions' chunks). They wait for each other only
   * on the marks and keys they share; 1 is the old serial group commit.
   */
  @IntVariable(1, 16)
  CONSUMER_MERGES_CONCURRENTLY: number = 3;

  // --- Cross-border deployment (issue 17): one registry per jurisdiction ------------------------------------------
  /**
   * The jurisdiction this registry serves (CN, HK or MO); unset = the single-site default. With a site the schema
   * defaults to registry_<site> and the consumer group to registry-<site> (each site consumes the whole log itself),
   * and signatures must be verified here (no site trusts another's copy).
   */
  @IsOptional()
  @IsIn(REGISTRY_SITES, { message: `must be one of ${REGISTRY_SITES.join(', ')} (or unset)` })
  REGISTRY_SITE?: RegistrySite;

  /** The Kafka rack the consumer fetches from (follower fetching, KIP-392: kafkajs rackId); defaults to REGISTRY_SITE. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'must be a rack name (letters, digits, _ or -), e.g. CN' })
  KAFKA_RACK?: string;

  // --- Access trail (issue 21, item 4): every officer lookup and auditor read recorded ----------------------------
  /** false records nothing (for the trail-off side of `npm run bench:trail`); refused in production. */
  @BooleanVariable()
  ACCESS_TRAIL_ENABLED: boolean = true;

  /** Entries held at most (requests in progress, queued, being written); when full a lookup answers 503, never unrecorded. */
  @IntVariable(1, 1_000_000)
  ACCESS_TRAIL_QUEUE_SIZE: number = 10_000;

  /** How often queued entries are written (a full batch is written at once). */
  @IntVariable(1, 60_000)
  ACCESS_TRAIL_FLUSH_INTERVAL_MS: number = 200;

  /** Entries one INSERT writes at most. */
  @IntVariable(1, 10_000)
  ACCESS_TRAIL_FLUSH_BATCH: number = 500;

  /** Entries older than this are deleted (checked hourly). */
  @IntVariable(1, 36_500)
  ACCESS_TRAIL_RETENTION_DAYS: number = 365;
}

/** The schema and consumer group a site's registry uses by default: registry_cn / registry-cn … */
export function siteDefaults(site: RegistrySite): { schema: string; group: string } {
  return { schema: `registry_${site.toLowerCase()}`, group: `registry-${site.toLowerCase()}` };
}

/**
 * Cross-variable rules of the site settings: fills the site's defaults for what is unset, and refuses a schema,
 * consumer group or rack that belongs to another site (two sites sharing a group would each see only part of the
 * log), or unverified signatures at a site.
 */
function applySite(config: RegistryConfig, env: NodeJS.ProcessEnv): RegistryConfig {
  const site = config.REGISTRY_SITE;
  if (!site) return config;
  const own = siteDefaults(site);
  if (!env.DATABASE_SCHEMA) config.DATABASE_SCHEMA = own.schema;
  if (!env.KAFKA_CONSUMER_GROUP) config.KAFKA_CONSUMER_GROUP = own.group;
  config.KAFKA_RACK ??= site;
  const problems: { variable: string; reason: string }[] = [];
  const others = REGISTRY_SITES.filter((other) => other !== site);
  const otherOf = (value: string, pick: (d: { schema: string; group: string }) => string) => others.find((other) => pick(siteDefaults(other)) === value);
  const schemaOf = otherOf(config.DATABASE_SCHEMA, (d) => d.schema);
  if (schemaOf) problems.push({ variable: 'DATABASE_SCHEMA', reason: `is ${schemaOf}'s schema, but REGISTRY_SITE is ${site} (use ${own.schema})` });
  const groupOf = otherOf(config.KAFKA_CONSUMER_GROUP, (d) => d.group);
  if (groupOf) problems.push({ variable: 'KAFKA_CONSUMER_GROUP', reason: `is ${groupOf}'s consumer group, but REGISTRY_SITE is ${site} (use ${own.group})` });
  if (config.KAFKA_CONSUMER_GROUP === 'registry') {
    problems.push({
      variable: 'KAFKA_CONSUMER_GROUP',
      reason: `is the single-site group "registry"; a site's registry needs a group of its own (${own.group})`,
    });
  }
  const rackOf = others.find((other) => other === config.KAFKA_RACK?.toUpperCase());
  if (rackOf) problems.push({ variable: 'KAFKA_RACK', reason: `is ${rackOf}'s rack, but REGISTRY_SITE is ${site}` });
  if (!config.VERIFY_SIGNATURES)
    problems.push({ variable: 'VERIFY_SIGNATURES', reason: `must be true at a site (REGISTRY_SITE=${site}): every site verifies every signature itself` });
  if (problems.length) throw new ConfigError(problems);
  return config;
}

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const config = applySite(loadConfig(RegistryConfig, env), env);
  if (isProduction(env) && !config.METRICS_TOKEN) {
    throw new ConfigError([{ variable: 'METRICS_TOKEN', reason: 'is not set (production serves /metrics only to a scraper holding it)' }]);
  }
  if (isProduction(env) && !config.ACCESS_TRAIL_ENABLED) {
    throw new ConfigError([{ variable: 'ACCESS_TRAIL_ENABLED', reason: 'is false: production records every lookup (it may be off only to measure its cost)' }]);
  }
  return config;
}
