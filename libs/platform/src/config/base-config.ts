import { Transform } from 'class-transformer';
import { ArrayUnique, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENT_NAMES, type KafkaClientName } from '../kafka/kafka-adapter.js';
import { BooleanVariable, IntVariable, ReadableFileVariable, envInt, envList } from './env-decorators.js';

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
   * TLS to the brokers (their SASL_SSL listener): on for `npm start`, `npm run start:cluster` and the deployments;
   * off only for the tests' loopback listener (docs/security.md). Production refuses TLS without KAFKA_CA_FILE.
   */
  @BooleanVariable()
  KAFKA_TLS: boolean = false;

  /** PEM file of the CA that signed the brokers' certificates (deploy/kafka/.cache/tls/ca.crt for the local broker). */
  @ReadableFileVariable()
  KAFKA_CA_FILE?: string;

  /** Mutual TLS (optional): PEM client certificate and its key; both or neither. */
  @ReadableFileVariable()
  KAFKA_CLIENT_CERT_FILE?: string;

  @ReadableFileVariable()
  KAFKA_CLIENT_KEY_FILE?: string;

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

  // --- OpenID Connect (issue 21): one identity provider per authority ----------------------------------------------
  /**
   * The issuer of each authority's identity provider (its `iss`, e.g. https://idp.customs.gov.hk/realms/hk). A token
   * it signs acts for that authority only. Unset: that authority's people and systems cannot sign in (development
   * uses the static tokens instead); production requires all three.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be the issuer URL (http:// or https://)' })
  OIDC_ISSUER_CN?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be the issuer URL (http:// or https://)' })
  OIDC_ISSUER_HK?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be the issuer URL (http:// or https://)' })
  OIDC_ISSUER_MO?: string;

  /** The audience (`aud`) an access token must be issued for: these apps, as a resource. */
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'must be the audience the providers issue tokens for (printable, no spaces)' })
  OIDC_AUDIENCE: string = 'recordation-exchange';

  /** The claim (or dotted path, e.g. realm_access.roles) listing the roles; `roles` also reads Keycloak's realm_access.roles. */
  @Matches(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, { message: 'must be a claim name or a dotted path such as realm_access.roles' })
  OIDC_ROLES_CLAIM: string = 'roles';

  /** Seconds of clock skew allowed on exp / nbf / iat. */
  @IntVariable(0, 300)
  OIDC_CLOCK_TOLERANCE_SECONDS: number = 5;

  /** Longer bearer tokens are refused (401) before they are parsed. */
  @IntVariable(512, 16_384)
  OIDC_MAX_TOKEN_LENGTH: number = 8192;
}
