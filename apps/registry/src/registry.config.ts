import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { BaseAppConfig, BooleanVariable, ConfigError, IntVariable, isProduction, loadConfig } from '#platform';

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
  @IsNotEmpty({ message: 'must list the authorities\' public keys as AUTHORITY:keyId:base64Key,…' })
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
  /** Bearer credential a Prometheus scrape of /metrics must carry; required in production (open without it). */
  @IsOptional() @IsString() @IsNotEmpty() METRICS_TOKEN?: string;

  /**
   * The longest one officer lookup statement may run before PostgreSQL cancels it (the lookup then answers 503 with
   * the reason): no lookup holds a pooled connection for long.
   */
  @IntVariable(100, 600_000)
  LOOKUP_STATEMENT_TIMEOUT_MS: number = 5000;

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
}

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const config = loadConfig(RegistryConfig, env);
  if (isProduction(env) && !config.METRICS_TOKEN) {
    throw new ConfigError([{ variable: 'METRICS_TOKEN', reason: 'is not set (production serves /metrics only to a scraper holding it)' }]);
  }
  return config;
}
