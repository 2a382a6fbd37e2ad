import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { KAFKA_CLIENT, partitionForKey, type Kafka, type Message, type Producer } from '#platform';
import { AuthorityContext } from '../authority.tokens.js';
import { AuthorityConfig } from '../authority.config.js';
import { AuthorityMetrics } from '../metrics/authority-metrics.js';
import { OutboxRepository, type PendingEvent, type PublishedMark } from '../persistence/outbox.repository.js';

const MAX_BACKOFF_MS = 5_000;

/**
 * Publishes the outbox to the authority's topic, oldest first, keyed by recordation number, and marks each row
 * with its partition and offset. One relay per schema holds an advisory lock; the others stand by. Kafka down:
 * rows wait and are retried with backoff. A crash between send and mark re-sends the same signed bytes (same
 * eventId), which the registry recognises as a duplicate.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private producer?: Producer;
  private lock?: QueryRunner;
  private partitionCount?: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private failures = 0;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly context: AuthorityContext,
    private readonly config: AuthorityConfig,
    private readonly metrics: AuthorityMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in flight (sent and marked), then stops. */
  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
    await this.releaseLock();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        if (await this.holdLock()) published = await this.publishBatch();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.logger.warn({ err: error, attempt: this.failures }, 'outbox relay could not publish; retrying');
        await this.resetProducer();
      }
      if (published === 0 || this.failures > 0) {
        await this.pause(this.failures > 0 ? Math.min(MAX_BACKOFF_MS, 200 * 2 ** (this.failures - 1)) : this.config.OUTBOX_POLL_INTERVAL_MS);
      }
    }
  }

  /** One batch: returns how many events it published. */
  private async publishBatch(): Promise<number> {
    const pending = await this.outbox.pending(this.config.OUTBOX_BATCH_SIZE);
    if (!pending.length) return 0;
    const producer = await this.connectedProducer();
    const partitions = await this.partitions();
    const messages = pending.map((event) => this.toMessage(event, partitions));
    try {
      const stopTimer = this.metrics.relaySendLatency.startTimer();
      let metadata;
      try {
        metadata = await producer.send({ topic: this.context.topic, acks: -1, messages });
      } finally {
        stopTimer();
      }
      await this.outbox.markPublished(this.offsetsOf(pending, messages, metadata));
      this.metrics.relayPublished.inc(pending.length);
    } catch (error) {
      this.metrics.relaySendFailures.inc();
      await this.outbox
        .recordFailure(
          pending.map((event) => event.position),
          (error as Error).message,
        )
        .catch(() => undefined);
      throw error;
    }
    return pending.length;
  }

  private toMessage(event: PendingEvent, partitions: number): Message {
    const message: Message = {
      key: event.recordationNumber,
      value: event.message,
      headers: { 'event-id': event.eventId, 'event-type': event.type, authority: this.context.authority },
    };
    // Pick the partition ourselves (the same murmur2 rule the producer would use) to know each event's offset.
    message.partition = partitionForKey(this.context.topic, event.recordationNumber, partitions);
    return message;
  }

  /** The producer returns one base offset per partition; messages of a partition are consecutive in send order. */
  private offsetsOf(pending: PendingEvent[], messages: Message[], metadata: { partition: number; baseOffset?: string }[]): PublishedMark[] {
    const next = new Map(metadata.map((m) => [m.partition, BigInt(m.baseOffset ?? '0')]));
    return pending.map((event, index) => {
      const partition = messages[index].partition!;
      const offset = next.get(partition)!;
      next.set(partition, offset + 1n);
      return { position: event.position, topic: this.context.topic, partition, offset: offset.toString() };
    });
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      // One request in flight keeps each partition in send order; a re-send after a failure is recognised by eventId.
      // Idempotent (kafkajs: producer id + sequence numbers, acks must be -1): a retry inside one send cannot write a
      // batch twice; a re-send by a new producer after a failure is still caught by the registry (eventId). With
      // acks=-1 (all) a send is answered only once min.insync.replicas replicas have it. kafkajs warns that the
      // client's limited retries "may invalidate EoS": on purpose — a send that runs out of retries fails, the relay
      // makes a new producer and re-sends, and the registry recognises the copy by its eventId (never applied twice).
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private async partitions(): Promise<number> {
    if (this.partitionCount === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [this.context.topic] });
        this.partitionCount = topics[0].partitions.length;
      } finally {
        await admin.disconnect();
      }
    }
    return this.partitionCount;
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.partitionCount = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  /** Session-level advisory lock on a connection of its own: one publishing relay per schema. */
  private async holdLock(): Promise<boolean> {
    if (this.lock) {
      try {
        await this.lock.query('SELECT 1');
        return true;
      } catch {
        await this.releaseLock();
      }
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const rows = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`outbox-relay:${this.config.DATABASE_SCHEMA}`])) as {
        locked: boolean;
      }[];
      if (rows[0].locked) {
        this.lock = runner;
        return true;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not take the relay lock');
    }
    await runner.release().catch(() => undefined);
    return false;
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    if (!lock) return;
    await lock.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await lock.release().catch(() => undefined);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
