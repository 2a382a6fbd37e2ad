import { Transform } from 'class-transformer';
import { ArrayUnique, IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENT_NAMES, type KafkaClientName } from '../kafka/kafka-adapter.js';
import { IntVariable, envInt, envList } from './env-decorators.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Where an app's tables live: read by every app, and alone by its migration data source (`npm run migrate`). */
export class DatabaseConfig {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/recordation_exchange';

  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case PostgreSQL schema name' })
  DATABASE_SCHEMA: string = 'public';
}

/** Variables every app reads. Each app's config class extends this and sets its own defaults. */
export class BaseAppConfig extends DatabaseConfig {
  @Transform(envInt)
  @IsInt({ message: 'must be a port number' })
  @Min(0, { message: 'must be a port number (0 picks a free one)' })
  @Max(65535, { message: 'must be a port number' })
  PORT: number = 3000;

  @IsString()
  @IsNotEmpty()
  HOST: string = '127.0.0.1';

  @IsIn(LOG_LEVELS, { message: `must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: string = 'info';

  @IntVariable(1, 200)
  DATABASE_POOL_SIZE: number = 10;

  @Transform(envList)
  @Matches(/^[^\s:]+:\d{1,5}$/, { each: true, message: 'must be a comma-separated list of host:port' })
  @ArrayUnique({ message: 'lists a broker twice' })
  KAFKA_BROKERS: string[] = ['127.0.0.1:9092'];

  @IsString()
  @IsNotEmpty({ message: 'must name the SASL/SCRAM user of this service' })
  KAFKA_USERNAME: string;

  @IsString()
  @IsNotEmpty({ message: 'must hold the SASL/SCRAM password of this service' })
  KAFKA_PASSWORD: string;

  /**
   * Which library implements the Kafka adapter (libs/platform/src/kafka): `kafkajs` (default) or `platformatic`
   * (@platformatic/kafka). Same topics, offsets and semantics either way; bench/RESULTS.md has the comparison.
   */
  @IsIn(KAFKA_CLIENT_NAMES, { message: `must be one of: ${KAFKA_CLIENT_NAMES.join(', ')}` })
  KAFKA_CLIENT: KafkaClientName = DEFAULT_KAFKA_CLIENT;

  /** Puts every topic under a prefix (tests use one per run); empty in deployments. */
  @Matches(/^[a-zA-Z0-9._-]{0,100}$/, { message: 'must be letters, digits, dot, underscore or dash' })
  KAFKA_TOPIC_PREFIX: string = '';

  /** Requests per minute per credential (per client address without a valid one; 429 beyond); probes and /metrics are exempt. */
  @IntVariable(1, 10_000_000)
  RATE_LIMIT_PER_MINUTE: number = 6000;

  /**
   * Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the client address (rate limits, logs).
   * `false` (default: the socket's peer is the client), a hop count (1: one proxy in front), or a comma-separated list
   * of proxy addresses / CIDRs (or loopback, linklocal, uniquelocal). Never `true`: any client could pick its address.
   */
  @Matches(
    /^(false|\d{1,2}|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?))*)$/,
    {
      message: 'must be false, a hop count (e.g. 1), or a comma-separated list of proxy addresses/CIDRs (loopback, linklocal, uniquelocal allowed)',
    },
  )
  TRUST_PROXY: string = 'false';

  /** Request bodies above this size are refused with 413. */
  @IsString()
  @Matches(/^\d+(kb|mb)$/, { message: 'must be a size such as 100kb or 20mb' })
  HTTP_BODY_LIMIT: string = '1mb';
}
