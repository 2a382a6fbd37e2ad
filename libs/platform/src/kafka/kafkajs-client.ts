/**
 * The adapter's kafkajs implementation (KAFKA_CLIENT=kafkajs, the default): a thin wrapper, since the adapter's
 * interface was cut from what the apps used of kafkajs. Behaviour is kafkajs's own: eachBatch with
 * eachBatchAutoResolve off and autoCommit off, seek on GROUP_JOIN, CRASH with kafkajs's restart.
 */
import kafkajs from 'kafkajs';
import type * as kjs from 'kafkajs';
import type { Admin, Batch, Consumer, ConsumerOptions, ConsumerRun, Kafka, KafkaMessage, Producer, ProducerOptions, RecordMetadata } from './kafka-adapter.js';

const { Partitioners } = kafkajs;

function producerOf(kafka: kjs.Kafka, options: ProducerOptions): Producer {
  const producer = kafka.producer({ ...options, createPartitioner: Partitioners.DefaultPartitioner });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: (record): Promise<RecordMetadata[]> => producer.send({ topic: record.topic, acks: record.acks ?? -1, messages: record.messages }),
  };
}

function consumerOf(kafka: kjs.Kafka, options: ConsumerOptions): Consumer {
  const consumer = kafka.consumer(options);
  return {
    connect: () => consumer.connect(),
    disconnect: () => consumer.disconnect(),
    subscribe: (subscription) => consumer.subscribe(subscription),
    onAssignment: (listener) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => listener(payload.memberAssignment));
    },
    onCrash: (listener) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => listener(payload.error, payload.restart));
    },
    onFetchRequest: (listener) => {
      consumer.on(consumer.events.REQUEST, ({ payload }) => {
        if (payload.apiName === 'Fetch') listener(payload.broker);
      });
    },
    seek: (position) => consumer.seek(position),
    commitOffsets: (offsets) => consumer.commitOffsets(offsets),
    pause: (topics) => consumer.pause(topics),
    resume: (topics) => consumer.resume(topics),
    run: ({ eachBatch, partitionsConsumedConcurrently, autoResolve }: ConsumerRun) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: autoResolve ?? false,
        partitionsConsumedConcurrently,
        // kafkajs hands these as closures over the batch, not methods needing `this`.
        // eslint-disable-next-line @typescript-eslint/unbound-method
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const fetched = (batch as kjs.Batch & { fetchedOffset?: unknown }).fetchedOffset;
          const ours: Batch = {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            fetchedOffset: typeof fetched === 'string' || typeof fetched === 'number' ? String(fetched) : undefined,
            // kafkajs's message already has our shape (headers aside: the apps only read Buffers, which is what kafkajs decodes).
            messages: batch.messages as unknown as KafkaMessage[],
          };
          return eachBatch({ batch: ours, resolveOffset, heartbeat, isRunning, isStale });
        },
      }),
  };
}

function adminOf(kafka: kjs.Kafka): Admin {
  const admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    describeCluster: () => admin.describeCluster(),
    listTopics: () => admin.listTopics(),
    deleteTopics: ({ topics }) => admin.deleteTopics({ topics }),
    fetchTopicMetadata: (request) => admin.fetchTopicMetadata(request),
    fetchTopicOffsets: async (topic) => (await admin.fetchTopicOffsets(topic)).map(({ partition, low, high }) => ({ partition, low, high })),
  };
}

/** The adapter over a kafkajs client. */
export function wrapKafkajs(kafka: kjs.Kafka): Kafka {
  return {
    client: 'kafkajs',
    producer: (options = {}) => producerOf(kafka, options),
    consumer: (options) => consumerOf(kafka, options),
    admin: () => adminOf(kafka),
  };
}
