import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import kafkajs, { type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { authorityForTopic, authorityTopics, decodeSignedEvent, type TopicSet, type TrustedKey } from '#contracts';
import { KAFKA_CLIENT } from '#platform';
import { RegistryMetrics } from '../metrics/registry-metrics.js';
import { RegistryConfig } from '../registry.config.js';
import { RegistryStore, type IncomingMessage, type QuarantinedMessage } from '../store/registry-store.js';
import { RegistryTables } from '../store/registry-tables.js';

const { Partitioners } = kafkajs;

export const TRUSTED_KEYS = Symbol('TRUSTED_KEYS');
export const REGISTRY_TOPICS = Symbol('REGISTRY_TOPICS');

/** At most this many messages per database transaction; a Kafka batch is split into such chunks. */
const CHUNK = 1000;

/**
 * The registry's consumer group over the three authority topics, with kafkajs directly (Nest's transport
 * auto-commits per message). Each chunk of a batch is merged in one PostgreSQL transaction that also stores the
 * partition's next offset; the database, not Kafka, is the source of truth for where to resume.
 */
@Injectable()
export class RegistryConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RegistryConsumer');
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly store: RegistryStore;
  private stopping = false;
  private startup?: Promise<void>;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(TRUSTED_KEYS) private readonly trustedKeys: ReadonlyMap<string, TrustedKey>,
    @Inject(REGISTRY_TOPICS) private readonly topics: TopicSet,
    private readonly dataSource: DataSource,
    private readonly config: RegistryConfig,
    private readonly metrics: RegistryMetrics,
    tables: RegistryTables,
  ) {
    this.store = new RegistryStore(tables);
  }

  onApplicationBootstrap(): void {
    // In the background: the HTTP API (lookups, health) is up even while Kafka is not.
    this.startup = this.startWithRetry();
  }

  /** Stops fetching, lets the batch in flight commit, and leaves the group. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.startup;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.start();
        return;
      } catch (error) {
        this.logger.warn({ err: error, attempt }, 'registry consumer could not start; retrying');
        await this.consumer?.disconnect().catch(() => undefined);
        await this.producer?.disconnect().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * attempt)));
      }
    }
  }

  private async start(): Promise<void> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    this.producer = producer;
    const consumer = this.kafka.consumer({
      groupId: this.config.KAFKA_CONSUMER_GROUP,
      sessionTimeout: this.config.CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: 3000,
      maxBytesPerPartition: this.config.CONSUMER_MAX_BYTES_PER_PARTITION,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      void this.seekToStoredOffsets(payload.memberAssignment).catch((error: unknown) => this.logger.warn({ err: error }, 'could not seek to stored offsets'));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed'));
    await consumer.connect();
    await consumer.subscribe({ topics: authorityTopics(this.topics), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log({ group: this.config.KAFKA_CONSUMER_GROUP, topics: authorityTopics(this.topics) }, 'registry consumer running');
  }

  /** After a join or rebalance, resume each assigned partition where the database says. */
  private async seekToStoredOffsets(assignment: Record<string, number[]>): Promise<void> {
    const stored = await this.store.storedOffsets(this.dataSource.manager);
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const offset = stored.find((s) => s.topic === topic && s.partition === partition)?.nextOffset ?? '0';
        this.consumer?.seek({ topic, partition, offset });
      }
    }
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const topicAuthority = authorityForTopic(batch.topic, this.topics);
    const receivedAt = new Date().toISOString();
    // Verify signatures before the transaction: it is the CPU-heavy part and holds no locks.
    const messages: IncomingMessage[] = batch.messages.map((message) => ({
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      value: message.value ?? Buffer.alloc(0),
      decoded: decodeSignedEvent(message.value, this.trustedKeys, topicAuthority),
      receivedAt,
    }));
    for (let start = 0; start < messages.length; start += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(start, start + CHUNK);
      await this.publishQuarantine(batch.topic, batch.partition, chunk);
      const began = process.hrtime.bigint();
      const result = await this.dataSource.transaction((manager) => this.store.applyBatch(manager, { topic: batch.topic, partition: batch.partition, messages: chunk }));
      if (result.seekTo !== undefined) {
        this.logger.warn({ topic: batch.topic, partition: batch.partition, from: chunk[0].offset, to: result.seekTo }, 'batch starts past the stored offset; seeking back');
        this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: result.seekTo });
        return;
      }
      this.metrics.mergeLatency.observe(Number(process.hrtime.bigint() - began) / 1e9);
      this.metrics.batchSize.observe(chunk.length);
      for (const { authority, disposition } of result.dispositions) this.metrics.events.inc({ authority, disposition });
      for (const quarantined of result.quarantined) this.metrics.events.inc({ authority: topicAuthority ?? 'unknown', disposition: `quarantined:${quarantined.reason}` });
      resolveOffset(chunk[chunk.length - 1].offset);
      // Kafka's committed offset only shows lag to operators; the database's offset is the one we resume from.
      await this.consumer?.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: result.nextOffset }]).catch(() => undefined);
      this.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(result.nextOffset))));
      await heartbeat();
    }
  }

  /**
   * Copies refused messages to the quarantine topic before the transaction that records them, so a crash can
   * only repeat a copy (at least once), never lose one. Skips messages the database already applied.
   */
  private async publishQuarantine(topic: string, partition: number, chunk: IncomingMessage[]): Promise<void> {
    const refused = chunk.filter((m) => !m.decoded.ok);
    if (!refused.length || !this.producer) return;
    const stored = (await this.store.storedOffsets(this.dataSource.manager)).find((s) => s.topic === topic && s.partition === partition)?.nextOffset ?? '0';
    const fresh: QuarantinedMessage[] = refused
      .filter((m) => BigInt(m.offset) >= BigInt(stored))
      .map((m) => ({ topic, partition, offset: m.offset, key: m.key, value: m.value, reason: m.decoded.ok ? '' : m.decoded.reason, detail: m.decoded.ok ? '' : m.decoded.detail }));
    if (!fresh.length) return;
    await this.producer.send({
      topic: this.topics.QUARANTINE,
      acks: -1,
      messages: fresh.map((q) => ({
        key: q.key,
        value: q.value,
        headers: { reason: q.reason, detail: q.detail.slice(0, 1000), 'source-topic': q.topic, 'source-partition': String(q.partition), 'source-offset': q.offset },
      })),
    });
  }
}
