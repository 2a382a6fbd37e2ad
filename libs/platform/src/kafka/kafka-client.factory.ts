import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import kafkajs from 'kafkajs';
import type { Kafka as KafkajsClient, KafkaConfig, LogEntry, RetryOptions, SASLOptions, logCreator } from 'kafkajs';
import { kafkaClientName, type Kafka, type KafkaClientName } from './kafka-adapter.js';
import { wrapKafkajs } from './kafkajs-client.js';
import { createPlatformaticKafka, type PlatformaticConnection } from './platformatic-client.js';

const { Kafka: KafkaClient, logLevel: LogLevel } = kafkajs;

/** Where kafkajs log lines go. Matches the method names of a NestJS `LoggerService` (log/warn/error/debug). */
export interface KafkaLogSink {
  error(message: string, context: Record<string, unknown>): void;
  warn(message: string, context: Record<string, unknown>): void;
  log(message: string, context: Record<string, unknown>): void;
  debug(message: string, context: Record<string, unknown>): void;
}

export type KafkaSaslMechanism = 'scram-sha-512' | 'scram-sha-256' | 'plain';
export type KafkaLogLevelName = 'NOTHING' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';

/**
 * TLS to the brokers, in our own shape (not the client library's): PEM text of the CA certificate(s) to trust and,
 * for mutual TLS, the client certificate and its key. Host names are always verified against the certificate.
 */
export interface KafkaTlsOptions {
  /** PEM CA certificate(s); absent: the system's CAs. */
  ca?: string;
  /** PEM client certificate (mutual TLS); needs `key`. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
}

/** The TLS settings as configured: `KAFKA_TLS`, `KAFKA_CA_FILE`, `KAFKA_CLIENT_CERT_FILE`, `KAFKA_CLIENT_KEY_FILE`. */
export interface KafkaTlsFiles {
  KAFKA_TLS?: boolean;
  KAFKA_CA_FILE?: string;
  KAFKA_CLIENT_CERT_FILE?: string;
  KAFKA_CLIENT_KEY_FILE?: string;
}

/** Reads the configured files into {@link KafkaTlsOptions}; undefined when TLS is off. Throws naming the variable. */
export function kafkaTlsFromFiles(config: KafkaTlsFiles): KafkaTlsOptions | undefined {
  if (!config.KAFKA_TLS) return undefined;
  const read = (variable: keyof KafkaTlsFiles): string | undefined => {
    const path = config[variable];
    if (typeof path !== 'string' || path === '') return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
    }
  };
  return { ca: read('KAFKA_CA_FILE'), cert: read('KAFKA_CLIENT_CERT_FILE'), key: read('KAFKA_CLIENT_KEY_FILE') };
}

/**
 * The TLS settings from the environment (for the command-line tools and tests that build clients outside an app):
 * the same variables as the apps' config, `KAFKA_TLS=true` turning it on.
 */
export function kafkaTlsFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaTlsOptions | undefined {
  if (env.KAFKA_TLS && env.KAFKA_TLS !== 'true' && env.KAFKA_TLS !== 'false') throw new Error(`KAFKA_TLS must be true or false, got '${env.KAFKA_TLS}'`);
  return kafkaTlsFromFiles({
    KAFKA_TLS: env.KAFKA_TLS === 'true',
    KAFKA_CA_FILE: env.KAFKA_CA_FILE,
    KAFKA_CLIENT_CERT_FILE: env.KAFKA_CLIENT_CERT_FILE,
    KAFKA_CLIENT_KEY_FILE: env.KAFKA_CLIENT_KEY_FILE,
  });
}

/**
 * The connection options of every client, whichever library implements it (KAFKA_CLIENT): kafkaConfig() turns
 * them into kafkajs's configuration, platformaticConnection() into @platformatic/kafka's.
 */
export interface CreateKafkaOptions {
  /** Which library: defaults to KAFKA_CLIENT (validated), else kafkajs. */
  client?: KafkaClientName;
  brokers: string[];
  /** TLS to the brokers (SASL_SSL); absent: plaintext (SASL_PLAINTEXT, the loopback test listener). */
  tls?: KafkaTlsOptions;
  clientId: string;
  username: string;
  password: string;
  /** Defaults to `scram-sha-512`, what the local broker (deploy/kafka) accepts. */
  mechanism?: KafkaSaslMechanism;
  /** Defaults to `WARN`. */
  logLevel?: KafkaLogLevelName;
  /** Defaults to a JSON-lines writer on process.stderr. */
  logger?: KafkaLogSink;
  retry?: RetryOptions;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  requestTimeout?: number;
}

export const DEFAULT_KAFKA_RETRY: Readonly<RetryOptions> = Object.freeze({
  initialRetryTime: 300,
  maxRetryTime: 10_000,
  factor: 0.2,
  multiplier: 2,
  retries: 8,
});

/** Minimal default sink: one JSON object per line on stderr. */
export function createStderrJsonLogSink(stream: NodeJS.WritableStream = process.stderr): KafkaLogSink {
  const write = (level: string) => (message: string, context: Record<string, unknown>) => {
    let line: string;
    try {
      line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...context });
    } catch {
      line = JSON.stringify({ time: new Date().toISOString(), level, msg: message });
    }
    stream.write(`${line}\n`);
  };
  return { error: write('error'), warn: write('warn'), log: write('info'), debug: write('debug') };
}

/** kafkajs `logCreator` that forwards every entry to a {@link KafkaLogSink}. */
export function kafkaLogCreator(sink: KafkaLogSink): logCreator {
  return () =>
    ({ namespace, level, label, log }: LogEntry) => {
      // kafkajs puts the timestamp in the entry; the sink adds its own.
      const { message, timestamp: _timestamp, ...extra } = log;
      const context: Record<string, unknown> = { component: 'kafkajs', namespace, label, ...extra };
      switch (routineProtocolError(extra.error) || routineProtocolError(message) ? LogLevel.INFO : level) {
        case LogLevel.ERROR:
          sink.error(message, context);
          break;
        case LogLevel.WARN:
          sink.warn(message, context);
          break;
        case LogLevel.INFO:
          sink.log(message, context);
          break;
        default:
          sink.debug(message, context);
      }
    };
}

/**
 * Broker answers that kafkajs logs as errors although they are the group protocol working as designed (a member
 * joined or left, the coordinator is still loading): kafkajs retries them itself. Logged at info, not error.
 */
const ROUTINE_PROTOCOL_ERRORS = [/group is rebalancing/i, /coordinator is (loading|not available|not aware of this member)/i, /not the correct coordinator/i];

export function routineProtocolError(error: unknown): boolean {
  return typeof error === 'string' && ROUTINE_PROTOCOL_ERRORS.some((pattern) => pattern.test(error));
}

/** Builds the kafkajs configuration (exported for tests and for callers that need to tweak it). */
export function kafkaConfig(options: CreateKafkaOptions): KafkaConfig {
  if (options.brokers.length === 0) throw new Error('createKafka: at least one broker is required');
  if (!options.username || !options.password) throw new Error('createKafka: username and password are required');
  const mechanism = options.mechanism ?? 'scram-sha-512';
  return {
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.tls ? nodeTlsOptions(options.tls) : false,
    sasl: { mechanism, username: options.username, password: options.password } as SASLOptions,
    connectionTimeout: options.connectionTimeout ?? 3_000,
    authenticationTimeout: options.authenticationTimeout ?? 5_000,
    requestTimeout: options.requestTimeout ?? 30_000,
    retry: { ...DEFAULT_KAFKA_RETRY, ...options.retry },
    logLevel: LogLevel[options.logLevel ?? 'WARN'],
    logCreator: kafkaLogCreator(options.logger ?? createStderrJsonLogSink()),
  };
}

/**
 * Our TLS shape → Node's TLS connection options, which both client libraries hand to `tls.connect`: certificate and
 * host name always verified.
 */
function nodeTlsOptions(tls: KafkaTlsOptions): ConnectionOptions {
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw new Error('createKafka: a client certificate needs its key (and a key its certificate)');
  return {
    rejectUnauthorized: true,
    ...(tls.ca ? { ca: [tls.ca] } : {}),
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
  };
}

/** @platformatic/kafka's connection options, from the same options (same defaults as kafkaConfig). */
export function platformaticConnection(options: CreateKafkaOptions): PlatformaticConnection {
  const config = kafkaConfig(options);
  const retry = { ...DEFAULT_KAFKA_RETRY, ...options.retry };
  const mechanism = options.mechanism ?? 'scram-sha-512';
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    sasl: { mechanism: mechanism.toUpperCase() as 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN', username: options.username, password: options.password },
    connectTimeout: config.connectionTimeout ?? 3_000,
    requestTimeout: config.requestTimeout ?? 30_000,
    retries: retry.retries ?? 8,
    retryDelay: retry.initialRetryTime ?? 300,
    ...(options.tls ? { tls: nodeTlsOptions(options.tls) } : {}),
  };
}

/** The kafkajs client itself: for provisioning (kafka-provisioning.ts) and the kafkajs adapter. */
export function createKafkajsClient(options: CreateKafkaOptions): KafkajsClient {
  return new KafkaClient(kafkaConfig(options));
}

const connectionOptions = new WeakMap<Kafka, CreateKafkaOptions>();

/** The options a client was made with (provisioning makes its kafkajs admin from them). */
export function kafkaOptionsOf(kafka: Kafka): CreateKafkaOptions {
  const options = connectionOptions.get(kafka);
  if (!options) throw new Error('not a client made by createKafka');
  return options;
}

/**
 * A Kafka client (the adapter, kafka-adapter.ts) authenticating with SASL (SCRAM-SHA-512 unless told otherwise),
 * implemented by kafkajs or @platformatic/kafka as `options.client` or KAFKA_CLIENT says.
 */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const client = options.client ?? kafkaClientName();
  let kafka: Kafka;
  if (client === 'platformatic') {
    const sink = options.logger ?? createStderrJsonLogSink();
    const quiet = options.logLevel === 'NOTHING';
    kafka = createPlatformaticKafka(platformaticConnection(options), {
      error: (message, context) => (quiet ? undefined : sink.error(message, context)),
      warn: (message, context) => (quiet || options.logLevel === 'ERROR' ? undefined : sink.warn(message, context)),
    });
  } else {
    kafka = wrapKafkajs(createKafkajsClient(options));
  }
  connectionOptions.set(kafka, options);
  return kafka;
}

/** `host:port,host:port` → list; blanks dropped. */
export function parseBrokerList(value: string | undefined, fallback = '127.0.0.1:9092'): string[] {
  const brokers = (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return brokers.length > 0 ? brokers : [fallback];
}
