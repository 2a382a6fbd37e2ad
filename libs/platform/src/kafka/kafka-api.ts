/**
 * What apps and libs take of Kafka, from `#platform`: the adapter's own types (kafka-adapter.ts), never a client
 * library's (test/consistency/kafka-boundary.spec.ts keeps it so). KAFKA_CLIENT picks the implementation
 * (kafkajs-client.ts or platformatic-client.ts); see docs/architecture.md, "Kafka adapter".
 */
import kafkajs from 'kafkajs';

export type {
  Admin,
  Batch,
  Consumer,
  ConsumerOptions,
  EachBatchPayload,
  Kafka,
  KafkaClientName,
  KafkaMessage,
  Message,
  Producer,
  ProducerOptions,
  RecordMetadata,
} from './kafka-adapter.js';
export { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENT_NAMES, kafkaClientName } from './kafka-adapter.js';

const defaultPartitioner = kafkajs.Partitioners.DefaultPartitioner();

/**
 * The partition Kafka's default (Java) partitioner gives a key among `partitions`: murmur2, as both clients'
 * producers do when a message names none (kafkajs's DefaultPartitioner, @platformatic/kafka's compatibilityPartitioner).
 */
export function partitionForKey(topic: string, key: string | Buffer, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return defaultPartitioner({ topic, partitionMetadata, message: { key, value: null } });
}
