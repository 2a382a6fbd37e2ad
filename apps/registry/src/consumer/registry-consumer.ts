import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { authorityForTopic, authorityTopics, type TopicSet, type TrustedKey } from '#contracts';
import { KAFKA_CLIENT, type Consumer, type EachBatchPayload, type Kafka, type Producer } from '#platform';
import { RegistryMetrics } from '../metrics/registry-metrics.js';
import { RegistryConfig } from '../registry.config.js';
import {
  LockHints,
  MergeContention,
  RegistryStore,
  asQuarantined,
  screenMessage,
  type BatchInput,
  type BatchResult,
  type IncomingMessage,
  type QuarantinedMessage,
} from '../store/registry-store.js';
import { PictureStore, storeEventPictures } from '../store/picture-store.js';
import { RegistryTables } from '../store/registry-tables.js';
import { DecodePool } from './decode-pool.js';
import { GroupCommit } from './group-commit.js';

export const TRUSTED_KEYS = Symbol('TRUSTED_KEYS');
export const REGISTRY_TOPICS = Symbol('REGISTRY_TOPICS');

/** How long a follower-fetching consumer trusts its metadata and the read replica a leader named (see start()). */
const RACK_METADATA_MAX_AGE_MS = 30_000;
/** A Kafka batch is split into chunks of at most this many messages; a group commit takes about GROUP_MESSAGES. */
const CHUNK = 1000;
const GROUP_MESSAGES = 2000;
/** Attempts of a merge transaction that keeps losing lock races before its error goes to the Kafka client (which retries the batch). */
const MERGE_ATTEMPTS = 20;

/**
 * Whether a failed merge transaction failed on the data of its messages (so retrying the same messages can never
 * succeed) rather than on the database being away or busy. PostgreSQL classes 22 (data exception), 23 (integrity
 * constraint) and 54 (program limit, e.g. an index row too large); JavaScript type and range errors raised while
 * merging a message. Connection loss, serialisation failures, deadlocks and shutdowns are not: they are retried.
 */
export function failsOnItsData(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true;
  const code = (error as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * The registry's consumer group over the three authority topics, through the Kafka adapter (#platform; kafkajs or
 * @platformatic/kafka as KAFKA_CLIENT says), not Nest's transport (which auto-commits per message). Each chunk of a batch is merged in one PostgreSQL transaction that also stores the
 * partition's next offset; the database, not Kafka, is the source of truth for where to resume.
 */
@Injectable()
export class RegistryConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RegistryConsumer');
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly store: RegistryStore;
  private readonly pictures: PictureStore;
  private stopping = false;
  private startup?: Promise<void>;
  /**
   * The database's next offsets as last read or written by this process (`topic:partition` → offset). Never ahead of
   * the database, so seeking to it on a join is safe (at worst it re-reads messages the store then skips).
   */
  private readonly stored = new Map<string, string>();
  private pool?: DecodePool;
  private readonly groupCommit: GroupCommit;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(TRUSTED_KEYS) private readonly trustedKeys: ReadonlyMap<string, TrustedKey>,
    @Inject(REGISTRY_TOPICS) private readonly topics: TopicSet,
    private readonly dataSource: DataSource,
    private readonly config: RegistryConfig,
    private readonly metrics: RegistryMetrics,
    tables: RegistryTables,
  ) {
    this.store = new RegistryStore(tables, {
      onLockWait: (seconds, blocked) => {
        metrics.mergeLockWait.observe(seconds);
        if (blocked) metrics.mergeLockBlocked.observe(seconds);
      },
    });
    this.groupCommit = new GroupCommit((batches) => this.applyGroup(batches), GROUP_MESSAGES, config.CONSUMER_MERGES_CONCURRENTLY);
    this.pictures = new PictureStore(tables);
  }

  onApplicationBootstrap(): void {
    if (!this.config.VERIFY_SIGNATURES)
      this.logger.warn('VERIFY_SIGNATURES=false: events are merged without their signatures checked, and recorded as unverified');
    // In the background: the HTTP API (lookups, health) is up even while Kafka is not.
    this.startup = this.startWithRetry();
  }

  /**
   * Stops fetching, lets the batch in flight commit, and leaves the group: BEFORE the application's shutdown hooks,
   * where TypeORM closes its DataSource (a batch still merging then would fail half-way and be redone).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.startup;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.pool?.close();
  }

  private decodePool(): DecodePool {
    this.pool ??= new DecodePool(this.trustedKeys, { verifySignatures: this.config.VERIFY_SIGNATURES });
    return this.pool;
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
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    this.producer = producer;
    const consumer = this.kafka.consumer({
      groupId: this.config.KAFKA_CONSUMER_GROUP,
      // Follower fetching (KIP-392): the brokers' RackAwareReplicaSelector serves this rack's replica. kafkajs keeps
      // the replica the leader named for metadataMaxAge (default 5 min) and, while its broker is down, neither falls
      // back to the leader (it checks the leader, not that replica, against offlineReplicas) nor, with no fetcher left
      // for that broker, refreshes its metadata: the site's registry stood still for ~5 min after its own broker's
      // SIGKILL (cross-border fault suite). 30 s bounds that wait; the price is one metadata request and one fetch
      // from each leader every 30 s.
      ...(this.config.KAFKA_RACK ? { rackId: this.config.KAFKA_RACK, metadataMaxAge: RACK_METADATA_MAX_AGE_MS } : {}),
      sessionTimeout: this.config.CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: 3000,
      maxBytesPerPartition: this.config.CONSUMER_MAX_BYTES_PER_PARTITION,
      minBytes: this.config.CONSUMER_MIN_BYTES,
      maxWaitTimeInMs: this.config.CONSUMER_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await this.refreshStoredOffsets();
    consumer.onAssignment((assignment) => {
      this.metrics.assignedPartitions.set(Object.values(assignment).reduce((count, partitions) => count + partitions.length, 0));
      // Synchronously, from the cached offsets, before the first fetch can start from Kafka's committed offset; then
      // from the database, in case another instance moved a partition on since.
      this.seekFromCache(assignment);
      void this.seekToStoredOffsets(assignment).catch((error: unknown) => this.logger.warn({ err: error }, 'could not seek to stored offsets'));
    });
    consumer.onFetchRequest((broker) => this.metrics.fetchRequests.inc({ broker }));
    consumer.onCrash((error, restart) => this.logger.error({ err: error, restart }, 'consumer crashed'));
    await consumer.connect();
    await consumer.subscribe({ topics: authorityTopics(this.topics), fromBeginning: true });
    // Offsets are resolved and committed here, never automatically (the adapter's consumer has no auto-commit).
    await consumer.run({
      // Batches of several partitions decode at once and then share one merge transaction (GroupCommit).
      partitionsConsumedConcurrently: this.config.CONSUMER_PARTITIONS_CONCURRENTLY,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log(
      { site: this.config.REGISTRY_SITE, rack: this.config.KAFKA_RACK, group: this.config.KAFKA_CONSUMER_GROUP, topics: authorityTopics(this.topics) },
      'registry consumer running',
    );
  }

  /** The latest merged offset per partition, to commit to Kafka (one commit in flight at a time; newer offsets replace older). */
  private readonly toCommit = new Map<string, { topic: string; partition: number; offset: string }>();
  private committing?: Promise<void>;

  private commitInBackground(topic: string, partition: number, offset: string): void {
    this.toCommit.set(`${topic}:${partition}`, { topic, partition, offset });
    this.startCommitting();
  }

  private startCommitting(): void {
    this.committing ??= this.commitPending().finally(() => {
      this.committing = undefined;
      if (this.toCommit.size && !this.stopping) this.startCommitting();
    });
  }

  private async commitPending(): Promise<void> {
    while (this.toCommit.size && !this.stopping) {
      const offsets = [...this.toCommit.values()];
      this.toCommit.clear();
      await this.consumer
        ?.commitOffsets(offsets)
        .catch((error: unknown) => this.logger.debug({ err: error }, 'could not commit offsets to Kafka (informative only)'));
    }
  }

  private async refreshStoredOffsets(): Promise<void> {
    for (const { topic, partition, nextOffset } of await this.store.storedOffsets(this.dataSource.manager)) this.remember(topic, partition, nextOffset);
  }

  /** Offsets only move forward: keeps the larger of the cached and the given one. */
  private remember(topic: string, partition: number, offset: string): void {
    const key = `${topic}:${partition}`;
    const cached = this.stored.get(key);
    if (cached === undefined || BigInt(offset) > BigInt(cached)) this.stored.set(key, offset);
  }

  private seekFromCache(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) this.consumer?.seek({ topic, partition, offset: this.stored.get(`${topic}:${partition}`) ?? '0' });
    }
  }

  /** After a join or rebalance, resume each assigned partition where the database says (when it is past the cache). */
  private async seekToStoredOffsets(assignment: Record<string, number[]>): Promise<void> {
    const before = new Map(this.stored);
    await this.refreshStoredOffsets();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const key = `${topic}:${partition}`;
        const offset = this.stored.get(key);
        if (offset !== undefined && offset !== before.get(key)) this.consumer?.seek({ topic, partition, offset });
      }
    }
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const topicAuthority = authorityForTopic(batch.topic, this.topics);
    const receivedAt = new Date().toISOString();
    // Verify signatures before the transaction: it is the CPU-heavy part and holds no locks. An event PostgreSQL
    // could not store (NUL, lone surrogate) is turned into a quarantine here too.
    // On the decode pool's worker threads, so the merge transaction in progress (it holds the merge lock) is not
    // kept waiting behind this batch's verification on the event loop.
    const decoded = await this.decodePool().decodeAll(
      batch.messages.map((message) => message.value),
      topicAuthority,
    );
    // Marks' pictures, stored (once per SHA-256) and hashed before the merge: grouping reads their similarity, and
    // sharp's work must not run under the merge lock.
    await storeEventPictures(this.pictures, this.dataSource, decoded);
    const messages: IncomingMessage[] = batch.messages.map((message, index) =>
      screenMessage({
        offset: message.offset,
        key: message.key ?? null,
        value: message.value ?? Buffer.alloc(0),
        decoded: decoded[index],
        receivedAt,
      }),
    );
    const fetchedFrom = batch.fetchedOffset;
    for (let start = 0; start < messages.length; start += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(start, start + CHUNK);
      const result = await this.groupCommit.submit({ topic: batch.topic, partition: batch.partition, messages: chunk, fetchedFrom });
      if (result.seekTo !== undefined) {
        this.logger.warn(
          { topic: batch.topic, partition: batch.partition, from: chunk[0].offset, to: result.seekTo },
          'batch starts past the stored offset; seeking back',
        );
        this.remember(batch.topic, batch.partition, result.seekTo);
        this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: result.seekTo });
        return;
      }
      this.remember(batch.topic, batch.partition, result.nextOffset);
      for (const { authority, disposition } of result.dispositions) this.metrics.events.inc({ authority, disposition });
      for (const quarantined of result.quarantined)
        this.metrics.events.inc({ authority: topicAuthority ?? 'unknown', disposition: `quarantined:${quarantined.reason}` });
      resolveOffset(chunk[chunk.length - 1].offset);
      // Kafka's committed offset only shows lag to operators; the database's offset is the one we resume from. So it
      // is sent in the background: a commit waiting for a group coordinator that died or hangs (its broker killed or
      // SIGSTOPped) must not hold the merge of the next batches.
      this.commitInBackground(batch.topic, batch.partition, result.nextOffset);
      this.metrics.lag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(result.nextOffset))),
      );
      await heartbeat();
    }
  }

  /**
   * One merge transaction for the chunks of several partitions (what GroupCommit gathered). If it fails on the data
   * of its messages, each chunk is applied on its own (and, failing again, one message at a time).
   */
  private async applyGroup(batches: BatchInput[]): Promise<BatchResult[]> {
    const began = process.hrtime.bigint();
    let results: BatchResult[];
    if (batches.length === 1) {
      const [{ topic, partition, messages, fetchedFrom }] = batches;
      results = [await this.applyChunk(topic, partition, messages, fetchedFrom)];
    } else {
      try {
        for (const { topic, partition, messages } of batches) await this.publishQuarantine(topic, partition, messages);
        results = await this.mergeTransaction(batches, (manager, hints) => this.store.applyBatches(manager, batches, hints));
      } catch (error) {
        if (!failsOnItsData(error)) throw error;
        this.logger.warn(
          { err: error, partitions: batches.map((b) => `${b.topic}:${b.partition}`) },
          'group of chunks failed on its data; applying each chunk on its own',
        );
        results = [];
        for (const { topic, partition, messages, fetchedFrom } of batches) results.push(await this.applyChunk(topic, partition, messages, fetchedFrom));
      }
    }
    this.metrics.mergeLatency.observe(Number(process.hrtime.bigint() - began) / 1e9);
    this.metrics.batchSize.observe(batches.reduce((sum, batch) => sum + batch.messages.length, 0));
    return results;
  }

  /**
   * A merge transaction, run again when it lost a race for a merge lock (MergeContention: a lock it may not wait
   * for) or PostgreSQL chose it as a deadlock victim (40P01; the lock order is meant to make that impossible, this
   * is the safety net). Nothing of a rolled-back attempt remains, so running it again is exactly-once still.
   */
  private async mergeTransaction<T>(
    batches: Pick<BatchInput, 'topic' | 'partition' | 'messages'>[],
    work: (manager: EntityManager, hints: LockHints) => Promise<T>,
  ): Promise<T> {
    // What a lost race taught: the next attempt waits for those locks in order instead of trying them.
    const hints = new LockHints();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((manager) => work(manager, hints));
      } catch (error) {
        if (!isLockRace(error) || attempt >= MERGE_ATTEMPTS) throw error;
        if (error instanceof MergeContention) hints.learn(error);
        this.metrics.mergeRetries.inc();
        this.logger.debug({ err: error, attempt, partitions: batches.map((b) => `${b.topic}:${b.partition}`) }, 'merge transaction lost a lock race; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * One chunk in one transaction. If the transaction fails on the data of its messages, the chunk is applied one
   * message at a time and a message that fails alone is quarantined (`unstorable`): a batch never stops its partition.
   */
  private async applyChunk(topic: string, partition: number, chunk: IncomingMessage[], fetchedFrom: string | undefined): Promise<BatchResult> {
    try {
      await this.publishQuarantine(topic, partition, chunk);
      return await this.mergeTransaction([{ topic, partition, messages: chunk }], (manager, hints) =>
        this.store.applyBatch(manager, { topic, partition, messages: chunk, fetchedFrom }, hints),
      );
    } catch (error) {
      if (!failsOnItsData(error) || chunk.length === 0) throw error;
      this.logger.warn(
        { err: error, topic, partition, from: chunk[0].offset, to: chunk[chunk.length - 1].offset },
        'chunk failed on its data; applying it one message at a time',
      );
    }
    const combined: BatchResult = { skipped: 0, dispositions: [], quarantined: [], nextOffset: chunk[0].offset };
    for (const message of chunk) {
      let result: BatchResult;
      try {
        result = await this.mergeTransaction([{ topic, partition, messages: [message] }], (manager, hints) =>
          this.store.applyBatch(manager, { topic, partition, messages: [message], fetchedFrom }, hints),
        );
      } catch (error) {
        if (!failsOnItsData(error)) throw error;
        const refused = asQuarantined(message, 'unstorable', `the merge transaction failed: ${(error as Error).message.slice(0, 500)}`);
        this.logger.error({ err: error, topic, partition, offset: message.offset }, 'message cannot be merged; quarantined');
        await this.publishQuarantine(topic, partition, [refused]);
        result = await this.mergeTransaction([{ topic, partition, messages: [refused] }], (manager, hints) =>
          this.store.applyBatch(manager, { topic, partition, messages: [refused], fetchedFrom }, hints),
        );
      }
      if (result.seekTo !== undefined) return { ...combined, seekTo: result.seekTo };
      combined.skipped += result.skipped;
      combined.dispositions.push(...result.dispositions);
      combined.quarantined.push(...result.quarantined);
      combined.nextOffset = result.nextOffset;
    }
    return combined;
  }

  /**
   * Copies refused messages to the quarantine topic before the transaction that records them, so a crash can
   * only repeat a copy (at least once), never lose one. Skips messages the database already applied.
   * The copy is the WHOLE message, even an oversized one (up to the authority topics' 16 MiB `max.message.bytes`;
   * the quarantine topic allows 1 MiB more for the headers): it is the evidence an auditor takes to the authority,
   * and Kafka is where bulk bytes belong. The database row keeps only a prefix of it (see `quarantineRow`). No fetch
   * setting limits what can be read: the broker always returns a first message larger than maxBytes(PerPartition).
   */
  private async publishQuarantine(topic: string, partition: number, chunk: IncomingMessage[]): Promise<void> {
    const refused = chunk.filter((m) => !m.decoded.ok);
    if (!refused.length || !this.producer) return;
    const stored = (await this.store.storedOffsets(this.dataSource.manager)).find((s) => s.topic === topic && s.partition === partition)?.nextOffset ?? '0';
    const fresh: QuarantinedMessage[] = refused
      .filter((m) => BigInt(m.offset) >= BigInt(stored))
      .map((m) => ({
        topic,
        partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        reason: m.decoded.ok ? '' : m.decoded.reason,
        detail: m.decoded.ok ? '' : m.decoded.detail,
      }));
    if (!fresh.length) return;
    await this.producer.send({
      topic: this.topics.QUARANTINE,
      acks: -1,
      messages: fresh.map((q) => ({
        key: q.key,
        value: q.value,
        headers: {
          reason: q.reason,
          detail: q.detail.slice(0, 1000),
          'source-topic': q.topic,
          'source-partition': String(q.partition),
          'source-offset': q.offset,
        },
      })),
    });
  }
}

/** Whether a failed merge transaction lost a race for a lock (retry it at once) rather than failing otherwise. */
export function isLockRace(error: unknown): boolean {
  if (error instanceof MergeContention) return true;
  const code = (error as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ?? (error as { code?: unknown } | null)?.code;
  return code === '40P01';
}
