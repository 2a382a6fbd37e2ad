import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { httpRequestsCounter } from '#platform';

/** Operational metrics (Prometheus). Auditors' figures come from stored data, never from these counters. */
@Injectable()
export class RegistryMetrics {
  readonly registry = new Registry();

  readonly events = new Counter({
    name: 'registry_events_total',
    help: 'Events consumed, by authority and disposition (applied, stale, duplicate, held, quarantined)',
    labelNames: ['authority', 'disposition'] as const,
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'registry_batch_size',
    help: 'Messages per merge transaction',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000],
    registers: [this.registry],
  });

  readonly mergeLatency = new Histogram({
    name: 'registry_merge_latency_seconds',
    help: 'Duration of one merge transaction (decode excluded)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly mergeLockWait = new Histogram({
    name: 'registry_merge_lock_wait_seconds',
    help: 'Each statement of a merge transaction that takes merge locks (alias, key or mark locks), blocked or not (its round trip included); registry_merge_lock_blocked_seconds counts those another merge held up',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly mergeLockBlocked = new Histogram({
    name: 'registry_merge_lock_blocked_seconds',
    help: 'The merge-lock statements (of registry_merge_lock_wait_seconds) that found a lock held by another merge and waited for it; _sum over the ingest wall is the share of time merges were held up by each other',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly assignedPartitions = new Gauge({
    name: 'registry_assigned_partitions',
    help: "Partitions of the consumer group's topics assigned to this instance by its latest join (how the instances share the log)",
    registers: [this.registry],
  });

  readonly mergeRetries = new Counter({
    name: 'registry_merge_retries_total',
    help: 'Merge transactions rolled back and run again after losing a race for a merge lock',
    registers: [this.registry],
  });

  readonly lag = new Gauge({
    name: 'registry_consumer_lag',
    help: 'Messages between the high watermark and the next offset to apply, per partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  /** Set by the access trail: its queue's depth, read at each scrape. */
  accessTrailDepth: () => number = () => 0;

  readonly accessTrailQueueDepth: Gauge = new Gauge({
    name: 'registry_access_trail_queue_depth',
    help: 'Access trail entries held: reserved by requests in progress, queued, and being written (at ACCESS_TRAIL_QUEUE_SIZE requests get 503)',
    registers: [this.registry],
    collect: () => this.accessTrailQueueDepth.set(this.accessTrailDepth()),
  });

  readonly accessTrailWritten = new Counter({
    name: 'registry_access_trail_written_total',
    help: 'Access trail entries written to the database',
    registers: [this.registry],
  });

  readonly accessTrailRefused = new Counter({
    name: 'registry_access_trail_refused_total',
    help: 'Requests refused (503) because the access trail queue was full or closing',
    registers: [this.registry],
  });

  /**
   * Fetch requests the consumer sent, by the broker (host:port) it sent them to: with KAFKA_RACK set, after the first
   * fetch from each leader the brokers' RackAwareReplicaSelector names the replica in the consumer's rack (KIP-392)
   * and kafkajs sends the following fetches there. What follower fetching does, seen on the wire from the client.
   */
  readonly fetchRequests = new Counter({
    name: 'registry_kafka_fetch_requests_total',
    help: 'Kafka Fetch requests sent by the registry consumer, by broker (host:port); shows follower fetching from the own rack',
    labelNames: ['broker'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = httpRequestsCounter(this.registry, 'registry');

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'registry_process_' });
  }
}
