/**
 * Creates the recordation topics and ACLs on the Kafka cluster (idempotent).
 *
 *   node dist/libs/platform/src/kafka/provision.cli.js
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_PASSWORD_ADMIN (default admin-dev-secret),
 *      KAFKA_USERNAME_ADMIN (default admin), KAFKA_TOPIC_PREFIX (default none).
 * Prints one JSON summary line on stdout; errors go to stderr with exit code 1.
 */
import { createKafka, parseBrokerList } from './kafka-client.factory.js';
import { provisionKafka } from './kafka-provisioning.js';

async function main(): Promise<void> {
  const kafka = createKafka({
    brokers: parseBrokerList(process.env.KAFKA_BROKERS),
    clientId: 'recordation-provisioning',
    username: process.env.KAFKA_USERNAME_ADMIN || 'admin',
    password: process.env.KAFKA_PASSWORD_ADMIN || 'admin-dev-secret',
  });
  const result = await provisionKafka(kafka, { topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '' });
  process.stdout.write(`${JSON.stringify({ provisioned: true, ...result })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`kafka provisioning failed: ${message}\n`);
    process.exit(1);
  },
);
