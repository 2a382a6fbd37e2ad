/**
 * The Kafka client as the apps see it (issue 20): an interface of our own, implemented over kafkajs
 * (kafkajs-client.ts, the default) and over @platformatic/kafka (platformatic-client.ts), chosen by KAFKA_CLIENT.
 * Nothing outside libs/platform/src/kafka names either library (test/consistency/kafka-boundary.spec.ts).
 *
 * Only what the apps use is here: an idempotent acks=all producer that reports each partition's base offset, a
 * runtime admin (cluster, topic metadata and end offsets; provisioning keeps its own, see kafka-provisioning.ts), and
 * a group consumer handing per-partition batches with manual offsets: the registry seeks to the positions stored
 * in its database on every assignment and commits to Kafka only for operators to see the lag.
 */

/** Which client library implements the interface: KAFKA_CLIENT. */
export const KAFKA_CLIENT_NAMES = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENT_NAMES)[number];
export const DEFAULT_KAFKA_CLIENT: KafkaClientName = 'kafkajs';

/** KAFKA_CLIENT from the environment (or the given value): unset → the default; anything else unknown → an error naming the variable. */
export function kafkaClientName(value: string | undefined = process.env.KAFKA_CLIENT): KafkaClientName {
  if (value === undefined || value.trim() === '') return DEFAULT_KAFKA_CLIENT;
  const name = value.trim();
  if (!(KAFKA_CLIENT_NAMES as readonly string[]).includes(name))
    throw new Error(`KAFKA_CLIENT must be one of ${KAFKA_CLIENT_NAMES.join(', ')}; got "${value}"`);
  return name as KafkaClientName;
}

/** A message to send. `partition` unset: the key's murmur2 partition (Java-compatible, both clients alike). */
export interface Message {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string | Buffer>;
}

/** Per partition written to: the offset of the first message of this send (the others follow in send order). */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset?: string;
}

export interface ProducerOptions {
  /** Producer id + sequence numbers (needs acks=all); a retry inside one send cannot write twice. */
  idempotent?: boolean;
  maxInFlightRequests?: number;
  allowAutoTopicCreation?: boolean;
}

export interface ProducerSend {
  topic: string;
  /** -1: all in-sync replicas (the default). */
  acks?: number;
  messages: Message[];
}

export interface Producer {
  connect(): Promise<void>;
  send(record: ProducerSend): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

/** A consumed message; offsets are decimal strings (they exceed 2^53 in principle). */
export interface KafkaMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers: Record<string, Buffer | undefined>;
}

export interface Batch {
  topic: string;
  partition: number;
  /** The partition's end offset as last seen (for lag). */
  highWatermark: string;
  /** The offset the fetch of this batch started at, when the client knows it (kafkajs does; platformatic: unset). */
  fetchedOffset?: string;
  messages: KafkaMessage[];
}

export interface EachBatchPayload {
  batch: Batch;
  /** Marks messages up to this offset as processed: a failed handler is retried from the next one. */
  resolveOffset: (offset: string) => void;
  heartbeat: () => Promise<void>;
  /** False once the consumer is stopping. */
  isRunning: () => boolean;
  /** True once this partition was sought (or revoked) after the batch was fetched: stop working on it. */
  isStale: () => boolean;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface ConsumerOptions {
  groupId: string;
  /** Follower fetching (KIP-392): the rack this consumer fetches from. */
  rackId?: string;
  /** How long metadata (and the read replica a leader named) is trusted before it is fetched again, ms. */
  metadataMaxAge?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxWaitTimeInMs?: number;
  allowAutoTopicCreation?: boolean;
}

export interface ConsumerRun {
  /**
   * Batches of one partition at a time, in order; up to `partitionsConsumedConcurrently` partitions at once. A batch
   * that throws, or returns with messages neither resolved nor sought past, is fetched again from its first
   * unresolved message (kafkajs's eachBatch semantics).
   */
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
  partitionsConsumedConcurrently?: number;
  /** Resolve the whole batch when eachBatch returns (default false: the handler calls resolveOffset). */
  autoResolve?: boolean;
}

/**
 * A group member with manual offsets: nothing is committed unless `commitOffsets` is called, and where a partition
 * starts is Kafka's committed offset unless an assignment hook seeks it elsewhere.
 */
export interface Consumer {
  connect(): Promise<void>;
  subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(run: ConsumerRun): Promise<void>;
  /** Called on each assignment (join or rebalance), before the first fetch of the new generation; may call `seek` synchronously. */
  onAssignment(listener: (assignment: Record<string, number[]>) => void): void;
  /** Called when the client gives up on the current session (it restarts on its own when `restart`). */
  onCrash(listener: (error: unknown, restart: boolean) => void): void;
  /**
   * Called for each Fetch request sent, with the broker (host:port) it went to: follower fetching seen from the client.
   * kafkajs reports it; @platformatic/kafka has no such event, so there it is never called.
   */
  onFetchRequest(listener: (broker: string) => void): void;
  seek(position: TopicPartitionOffset): void;
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  disconnect(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  /** The log start offset. */
  low: string;
  /** The end offset (the next message's offset). */
  high: string;
}

export interface Admin {
  connect(): Promise<void>;
  describeCluster(): Promise<{ clusterId: string; brokers: { nodeId: number; host: string; port: number }[] }>;
  listTopics(): Promise<string[]>;
  deleteTopics(request: { topics: string[] }): Promise<void>;
  fetchTopicMetadata(request: { topics: string[] }): Promise<{ topics: { name: string; partitions: { partitionId: number }[] }[] }>;
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
  disconnect(): Promise<void>;
}

/** One client per app and principal; producers, consumers and admins share its connection options. */
export interface Kafka {
  readonly client: KafkaClientName;
  producer(options?: ProducerOptions): Producer;
  consumer(options: ConsumerOptions): Consumer;
  admin(): Admin;
}
