/**
 * The one module outside the client factory that names the Kafka client library: apps and libs take the client's
 * types and helpers from `#platform`, never from `kafkajs` (test/consistency/kafka-boundary.spec.ts keeps it so).
 * A change of client (issue 20: @platformatic/kafka was measured against kafkajs, see bench/RESULTS.md) starts here
 * and in kafka-client.factory.ts; the registry consumer still relies on kafkajs's semantics (eachBatch with
 * resolveOffset and heartbeat, seek on GROUP_JOIN), which a new client must provide behind these names.
 */
import kafkajs from 'kafkajs';

export type { Admin, Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
export const { Partitioners } = kafkajs;
