/**
 * npm run replay -- [--until <ISO time>] [--target <schema>]
 *
 * Rebuilds the registry from the Kafka log (offset 0 of every partition) into a fresh schema, shows progress,
 * rate and ETA, and compares its digest with the live registry (or, with --until, with the live event store's
 * state at that time). Exit 0 when they match; 1 on a mismatch, printing the first records that differ.
 * Reads the registry's environment (DATABASE_URL, DATABASE_SCHEMA, KAFKA_*, TRUSTED_KEYS).
 */
import { parseTrustedKeys, topicNames } from '#contracts';
import { createKafka, createLogger, kafkaTlsFromFiles } from '#platform';
import { loadRegistryConfig } from '../registry.config.js';
import { parseArgs } from './cli-args.js';
import { replayRegistry } from './replay.js';

const logger = createLogger('replay');

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), { until: 'value', target: 'value' });
  const config = loadRegistryConfig();
  const until = typeof args.until === 'string' ? new Date(args.until) : undefined;
  if (until && Number.isNaN(until.getTime())) throw new Error('--until must be an ISO 8601 time');
  const targetSchema = typeof args.target === 'string' ? args.target : `${config.DATABASE_SCHEMA}_replay`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(targetSchema)) throw new Error('--target must be a lower-case schema name');
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'registry-replay',
    username: config.KAFKA_USERNAME,
    password: config.KAFKA_PASSWORD,
    tls: kafkaTlsFromFiles(config),
    logLevel: 'ERROR',
  });
  const result = await replayRegistry({
    kafka,
    databaseUrl: config.DATABASE_URL,
    liveSchema: config.DATABASE_SCHEMA,
    targetSchema,
    topics: topicNames(config.KAFKA_TOPIC_PREFIX),
    trustedKeys: parseTrustedKeys(config.TRUSTED_KEYS),
    until,
    progress: true,
  });
  process.stdout.write(
    `${JSON.stringify({ target: targetSchema, until: until?.toISOString(), events: result.events, seconds: result.seconds, eventsPerSecond: result.eventsPerSecond, replayDigest: result.replayDigest, liveDigest: result.liveDigest, match: result.match })}\n`,
  );
  if (!result.match) {
    process.stdout.write(`digests differ; first records that differ:\n${result.differences.map((d) => JSON.stringify(d)).join('\n')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    logger.fatal({ err: error }, 'replay failed');
    process.exit(2);
  },
);
