import type { ConnectionOptions } from 'node:tls';
/**
 * The adapter's @platformatic/kafka implementation (KAFKA_CLIENT=platformatic).
 *
 * Producer: @platformatic/kafka's Producer (idempotent, acks=all, the Java-compatible murmur2 partitioner, which is
 * kafkajs's DefaultPartitioner). Admin: its metadata and ListOffsets calls.
 *
 * Consumer: @platformatic/kafka hands a stream of single messages with its own fetch positions; the adapter turns
 * it into kafkajs-like per-partition batches with manual positions:
 * - a group join ('consumer:group:join') calls the assignment hooks synchronously; a `seek` sets the stream's next
 *   fetch offset of that partition (`offsetsToFetch`) and drops what was fetched for it but not yet handed out. The
 *   stream runs in MANUAL mode whenever a hook is registered, so its own offset refresh never overwrites a seek
 *   (it fills only partitions without a position: from the start or the end, `fromBeginning`); without a hook it
 *   resumes from Kafka's committed offsets, like kafkajs.
 * - what one fetch returns for a partition is one batch; one batch per partition at a time, up to
 *   `partitionsConsumedConcurrently` partitions at once; the stream is paused while too much waits.
 * - a handler that throws: the partition is sought back to its first unresolved offset and retried after a pause.
 * - a stream that fails (broker away too long) is reported through the crash hooks and restarted from the
 *   adapter's positions.
 * A seek may cross a fetch in flight, whose messages then start past the seek: the batch reaches the handler with
 * no `fetchedOffset`, and the registry's store (which checks each batch against the stored offset) seeks back
 * again. Heartbeats are the library's own timer, so `heartbeat()` has nothing to do.
 */
import {
  Admin as PAdmin,
  Consumer as PConsumer,
  ListOffsetTimestamps,
  Producer as PProducer,
  compatibilityPartitioner,
  type Message as PMessage,
  type MessagesStream,
  type SASLOptions,
} from '@platformatic/kafka';
import type {
  Admin,
  Consumer,
  ConsumerOptions,
  ConsumerRun,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
  ProducerOptions,
  RecordMetadata,
  TopicPartitionOffset,
} from './kafka-adapter.js';

/** Where adapter errors go (the app's logger). */
export interface PlatformaticLog {
  error(message: string, context: Record<string, unknown>): void;
  warn(message: string, context: Record<string, unknown>): void;
}

export interface PlatformaticConnection {
  clientId: string;
  bootstrapBrokers: string[];
  sasl: SASLOptions;
  connectTimeout: number;
  requestTimeout: number;
  retries: number;
  retryDelay: number;
  /** Node TLS connection options (CA, client certificate and key), when the connection uses TLS. */
  tls?: ConnectionOptions;
}

/** Messages waiting for their handler before the stream is paused. */
const MAX_WAITING = 20_000;
/** How long a failed batch waits before it is fetched again, ms. */
const RETRY_PAUSE_MS = 1_000;

const key = (topic: string, partition: number) => `${topic}:${partition}`;
const asBuffer = (value: string | Buffer | null | undefined): Buffer | undefined => (value === null || value === undefined ? undefined : Buffer.from(value));

function baseOptions(connection: PlatformaticConnection) {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: connection.bootstrapBrokers,
    sasl: connection.sasl,
    connectTimeout: connection.connectTimeout,
    requestTimeout: connection.requestTimeout,
    retries: connection.retries,
    retryDelay: connection.retryDelay,
    ...(connection.tls ? { tls: connection.tls } : {}),
  };
}

function producerOf(connection: PlatformaticConnection, options: ProducerOptions): Producer {
  let producer: PProducer | undefined;
  const open = () =>
    (producer ??= new PProducer({
      ...baseOptions(connection),
      idempotent: options.idempotent ?? false,
      acks: -1,
      maxInflights: options.maxInFlightRequests ?? 5,
      autocreateTopics: options.allowAutoTopicCreation ?? false,
      partitioner: compatibilityPartitioner,
    }));
  return {
    async connect() {
      // The library connects lazily; ask for metadata so that a wrong password or an absent broker fails here.
      await open().metadata({ topics: [] });
    },
    async disconnect() {
      const closing = producer;
      producer = undefined;
      await closing?.close();
    },
    async send({ topic, acks, messages }) {
      const result = await open().send({
        acks: acks ?? -1,
        messages: messages.map((message: Message) => ({
          topic,
          key: asBuffer(message.key),
          value: asBuffer(message.value),
          ...(message.partition !== undefined ? { partition: message.partition } : {}),
          headers: new Map(Object.entries(message.headers ?? {}).map(([name, value]) => [Buffer.from(name), Buffer.from(value)])),
        })),
      });
      return (result.offsets ?? []).map((o): RecordMetadata => ({ topicName: o.topic, partition: o.partition, errorCode: 0, baseOffset: o.offset.toString() }));
    },
  };
}

function adminOf(connection: PlatformaticConnection): Admin {
  let admin: PAdmin | undefined;
  const open = () => (admin ??= new PAdmin(baseOptions(connection)));
  return {
    async connect() {
      await open().metadata({ topics: [] });
    },
    async disconnect() {
      const closing = admin;
      admin = undefined;
      await closing?.close();
    },
    async describeCluster() {
      const metadata = await open().metadata({ topics: [], forceUpdate: true });
      return { clusterId: metadata.id, brokers: [...metadata.brokers].map(([nodeId, broker]) => ({ nodeId, host: broker.host, port: broker.port })) };
    },
    listTopics: () => open().listTopics(),
    deleteTopics: ({ topics }) => open().deleteTopics({ topics }),
    async fetchTopicMetadata({ topics }) {
      const metadata = await open().metadata({ topics, forceUpdate: true });
      return { topics: topics.map((name) => ({ name, partitions: (metadata.topics.get(name)?.partitions ?? []).map((_, partitionId) => ({ partitionId })) })) };
    },
    async fetchTopicOffsets(topic) {
      const metadata = await open().metadata({ topics: [topic], forceUpdate: true });
      const partitions = (metadata.topics.get(topic)?.partitions ?? []).map((_, partitionIndex) => partitionIndex);
      const list = async (timestamp: bigint) =>
        (await open().listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] }))[0]
          ?.partitions ?? [];
      const [low, high] = await Promise.all([list(ListOffsetTimestamps.EARLIEST), list(ListOffsetTimestamps.LATEST)]);
      return partitions.map((partition) => ({
        partition,
        low: String(low.find((p) => p.partitionIndex === partition)?.offset ?? 0n),
        high: String(high.find((p) => p.partitionIndex === partition)?.offset ?? 0n),
      }));
    },
  };
}

interface PartitionState {
  topic: string;
  partition: number;
  /** The next offset the handler expects (after seeks and handed-out messages). */
  position?: bigint;
  /** Bumped by every seek: a batch of an older generation is stale. */
  generation: number;
  waiting: KafkaMessage[];
  busy: boolean;
  paused: boolean;
}

class PlatformaticGroupConsumer implements Consumer {
  private consumer?: PConsumer;
  private stream?: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  private topics: string[] = [];
  private fromBeginning = false;
  private handler?: Required<ConsumerRun>;
  private running = false;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly assignmentListeners: ((assignment: Record<string, number[]>) => void)[] = [];
  private readonly crashListeners: ((error: unknown, restart: boolean) => void)[] = [];
  private active = 0;
  private waiting = 0;
  private drainScheduled = false;
  private readonly highWatermarks = new Map<string, bigint>();
  private watermarksAt = 0;
  private restarting?: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly connection: PlatformaticConnection,
    private readonly options: ConsumerOptions,
    private readonly log: PlatformaticLog,
  ) {}

  private open(): PConsumer {
    this.consumer ??= new PConsumer({
      ...baseOptions(this.connection),
      groupId: this.options.groupId,
      ...(this.options.rackId ? { clientRack: this.options.rackId } : {}),
      ...(this.options.metadataMaxAge ? { metadataMaxAge: this.options.metadataMaxAge } : {}),
      sessionTimeout: this.options.sessionTimeout ?? 30_000,
      heartbeatInterval: this.options.heartbeatInterval ?? 3_000,
      rebalanceTimeout: Math.max(60_000, this.options.sessionTimeout ?? 30_000),
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1024 * 1024,
      minBytes: this.options.minBytes ?? 1,
      maxWaitTime: this.options.maxWaitTimeInMs ?? 5_000,
      autocreateTopics: this.options.allowAutoTopicCreation ?? false,
      autocommit: false,
    });
    return this.consumer;
  }

  async connect(): Promise<void> {
    const consumer = this.open();
    consumer.on('consumer:group:join', ({ assignments }) => this.assigned(assignments ?? []));
    consumer.on('consumer:heartbeat:error', ({ error }) => this.log.warn('kafka heartbeat failed', { component: 'platformatic-kafka', err: error }));
    await consumer.metadata({ topics: [] });
  }

  subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics.push(...subscription.topics);
    this.fromBeginning ||= subscription.fromBeginning ?? false;
    return Promise.resolve();
  }

  onAssignment(listener: (assignment: Record<string, number[]>) => void): void {
    this.assignmentListeners.push(listener);
  }

  onCrash(listener: (error: unknown, restart: boolean) => void): void {
    this.crashListeners.push(listener);
  }

  /** @platformatic/kafka emits no per-request event: the fetch-request metric stays empty on this client. */
  onFetchRequest(): void {}

  async run(run: ConsumerRun): Promise<void> {
    this.handler = { partitionsConsumedConcurrently: 1, autoResolve: false, ...run };
    this.running = true;
    await this.startStream();
  }

  private state(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let state = this.partitions.get(k);
    if (!state) {
      state = { topic, partition, generation: 0, waiting: [], busy: false, paused: false };
      this.partitions.set(k, state);
    }
    return state;
  }

  private assigned(assignments: { topic: string; partitions: number[] }[]): void {
    const assignment: Record<string, number[]> = {};
    for (const { topic, partitions } of assignments) assignment[topic] = [...partitions];
    // Partitions no longer ours: what waits for them is dropped (their new owner reads it).
    for (const state of this.partitions.values()) {
      if (!assignment[state.topic]?.includes(state.partition)) {
        this.waiting -= state.waiting.length;
        state.waiting = [];
        state.generation++;
      }
    }
    for (const listener of this.assignmentListeners) listener(assignment);
  }

  private async startStream(): Promise<void> {
    const consumer = this.open();
    const manual = this.assignmentListeners.length > 0;
    const offsets = [...this.partitions.values()]
      .filter((s) => s.position !== undefined)
      .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
    const stream = await consumer.consume({
      topics: this.topics,
      mode: manual ? 'manual' : 'committed',
      ...(manual ? { offsets } : {}),
      fallbackMode: this.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1024 * 1024,
      minBytes: this.options.minBytes ?? 1,
      maxWaitTime: this.options.maxWaitTimeInMs ?? 5_000,
    });
    this.stream = stream;
    // Positions sought while consume() joined the group (the assignment hooks run inside it, before the stream
    // exists): set before the stream's first offset refresh answers, so its first fetch starts there.
    for (const state of this.partitions.values())
      if (state.position !== undefined) stream.offsetsToFetch.set(key(state.topic, state.partition), state.position);
    stream.on('data', (message: PMessage<Buffer, Buffer, Buffer, Buffer>) => this.received(message));
    stream.on('error', (error: Error) => this.crashed(error));
  }

  private crashed(error: unknown): void {
    if (!this.running || this.restarting) return;
    this.log.error('kafka consumer stream failed; restarting', { component: 'platformatic-kafka', err: error });
    for (const listener of this.crashListeners) listener(error, true);
    const stream = this.stream;
    this.stream = undefined;
    this.restarting = (async () => {
      await stream?.close().catch(() => undefined);
      for (let attempt = 1; this.running; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * attempt)));
        if (!this.running) return;
        try {
          await this.startStream();
          return;
        } catch (retryError) {
          this.log.warn('kafka consumer could not restart; retrying', { component: 'platformatic-kafka', err: retryError, attempt });
        }
      }
    })().finally(() => (this.restarting = undefined));
  }

  private received(message: PMessage<Buffer, Buffer, Buffer, Buffer>): void {
    const state = this.state(message.topic, message.partition);
    if (state.position !== undefined && message.offset < state.position) return; // behind a seek, or seen already
    const headers: Record<string, Buffer | undefined> = {};
    for (const [name, value] of message.headerEntries) headers[name.toString()] = value;
    state.waiting.push({
      offset: message.offset.toString(),
      key: message.key ?? null,
      value: message.value ?? null,
      timestamp: message.timestamp.toString(),
      headers,
    });
    state.position = message.offset + 1n;
    if (++this.waiting >= MAX_WAITING && this.stream && !this.stream.isPaused()) this.stream.pause();
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // After the rest of this fetch response is pushed: what one fetch returns for a partition is one batch.
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (!this.handler || !this.running) return;
    for (const state of this.partitions.values()) {
      if (this.active >= this.handler.partitionsConsumedConcurrently) break;
      if (state.busy || state.paused || state.waiting.length === 0) continue;
      const messages = state.waiting;
      state.waiting = [];
      this.waiting -= messages.length;
      state.busy = true;
      this.active++;
      const work = this.handle(state, messages).finally(() => {
        state.busy = false;
        this.active--;
        this.inflight.delete(work);
        if (this.waiting < MAX_WAITING / 2 && this.stream?.isPaused()) this.stream.resume();
        this.scheduleDrain();
      });
      this.inflight.add(work);
    }
  }

  private async handle(state: PartitionState, messages: KafkaMessage[]): Promise<void> {
    const generation = state.generation;
    let resolved: bigint | undefined;
    try {
      await this.handler!.eachBatch({
        batch: {
          topic: state.topic,
          partition: state.partition,
          highWatermark: (await this.highWatermark(state, messages)).toString(),
          messages,
        },
        resolveOffset: (offset) => {
          resolved = BigInt(offset);
        },
        heartbeat: () => Promise.resolve(),
        isRunning: () => this.running,
        isStale: () => state.generation !== generation,
      });
      // Returned with messages left unresolved (and not sought elsewhere): they are fetched again, as kafkajs does.
      const last = BigInt(messages[messages.length - 1].offset);
      if (!this.handler!.autoResolve && state.generation === generation && (resolved === undefined || resolved < last) && this.running) {
        this.seek({ topic: state.topic, partition: state.partition, offset: (resolved !== undefined ? resolved + 1n : BigInt(messages[0].offset)).toString() });
      }
    } catch (error) {
      if (!this.running) return;
      const from = resolved !== undefined ? resolved + 1n : BigInt(messages[0].offset);
      this.log.warn('kafka batch handler failed; fetching the batch again', {
        component: 'platformatic-kafka',
        err: error,
        topic: state.topic,
        partition: state.partition,
        from: from.toString(),
      });
      if (state.generation === generation) this.seek({ topic: state.topic, partition: state.partition, offset: from.toString() });
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }

  /** The partition's end offset for the lag metric: listed at most once a second, never below what was fetched. */
  private async highWatermark(state: PartitionState, messages: KafkaMessage[]): Promise<bigint> {
    const fetched = BigInt(messages[messages.length - 1].offset) + 1n;
    if (Date.now() - this.watermarksAt > 1_000 && this.consumer) {
      this.watermarksAt = Date.now();
      try {
        const offsets = await this.consumer.listOffsets({ topics: this.topics, timestamp: ListOffsetTimestamps.LATEST });
        for (const [topic, ends] of offsets) ends.forEach((end, partition) => this.highWatermarks.set(key(topic, partition), end));
      } catch {
        // Only the lag metric suffers.
      }
    }
    const known = this.highWatermarks.get(key(state.topic, state.partition)) ?? 0n;
    return known > fetched ? known : fetched;
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    const state = this.state(topic, partition);
    state.generation++;
    this.waiting -= state.waiting.length;
    state.waiting = [];
    state.position = BigInt(offset);
    this.stream?.offsetsToFetch.set(key(topic, partition), state.position);
  }

  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (!this.consumer) return;
    await this.consumer.commit({ offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) });
  }

  private each(topics: { topic: string; partitions?: number[] }[], paused: boolean): void {
    for (const { topic, partitions } of topics) {
      for (const state of this.partitions.values()) if (state.topic === topic && (!partitions || partitions.includes(state.partition))) state.paused = paused;
      for (const partition of partitions ?? []) this.state(topic, partition).paused = paused;
    }
    if (!paused) this.scheduleDrain();
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    this.each(topics, true);
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    this.each(topics, false);
  }

  async disconnect(): Promise<void> {
    this.running = false;
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close().catch(() => undefined);
    await Promise.allSettled([...this.inflight]);
    await this.restarting;
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.close(true);
  }
}

/** The adapter over @platformatic/kafka. */
export function createPlatformaticKafka(connection: PlatformaticConnection, log: PlatformaticLog): Kafka {
  return {
    client: 'platformatic',
    producer: (options = {}) => producerOf(connection, options),
    consumer: (options) => new PlatformaticGroupConsumer(connection, options, log),
    admin: () => adminOf(connection),
  };
}
