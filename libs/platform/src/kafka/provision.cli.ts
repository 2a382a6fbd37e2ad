/**
 * Creates the recordation topics and ACLs on the Kafka cluster (idempotent).
 *
 *   node dist/libs/platform/src/kafka/provision.cli.js
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_PASSWORD_ADMIN (default admin-dev-secret),
 *      KAFKA_USERNAME_ADMIN (default admin), KAFKA_TOPIC_PREFIX (default none),
 *      KAFKA_REPLICATION_FACTOR (default 1; refused above the number of brokers), KAFKA_MIN_INSYNC_REPLICAS (default 1),
 *      KAFKA_TLS, KAFKA_CA_FILE, KAFKA_CLIENT_CERT_FILE, KAFKA_CLIENT_KEY_FILE (as the apps).
 * Prints one JSON summary line on stdout; errors go to stderr with exit code 1.
 */
import { IntVariable } from '../config/env-decorators.js';
import { loadConfig } from '../config/load-config.js';
import { createKafka, kafkaTlsFromEnv, parseBrokerList } from './kafka-client.factory.js';
import { provisionKafka } from './kafka-provisioning.js';

/** What the provisioning reads besides the connection (cross-border cluster: 3 and 2). */
export class ProvisioningConfig {
  /** Replicas of every topic; refused when above the number of brokers the cluster reports. */
  @IntVariable(1, 16)
  KAFKA_REPLICATION_FACTOR: number = 1;

  /** Replicas that must have a write before acks=all answers (topic config min.insync.replicas). */
  @IntVariable(1, 16)
  KAFKA_MIN_INSYNC_REPLICAS: number = 1;
}

async function main(): Promise<void> {
  const config = loadConfig(ProvisioningConfig);
  const kafka = createKafka({
    brokers: parseBrokerList(process.env.KAFKA_BROKERS),
    clientId: 'recordation-provisioning',
    username: process.env.KAFKA_USERNAME_ADMIN || 'admin',
    password: process.env.KAFKA_PASSWORD_ADMIN || 'admin-dev-secret',
    tls: kafkaTlsFromEnv(),
  });
  const result = await provisionKafka(kafka, {
    topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '',
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
  });
  process.stdout.write(`${JSON.stringify({ provisioned: true, ...result })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message =
      error instanceof Error
        ? error.name === 'ConfigError' || error.name === 'ProvisioningConfigError'
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`kafka provisioning failed: ${message}\n`);
    process.exit(1);
  },
);
