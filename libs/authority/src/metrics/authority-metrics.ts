import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuthorityCode } from '#contracts';
import { httpRequestsCounter } from '#platform';

/** Operational metrics of one authority's service (Prometheus, `GET /metrics`); every series carries `authority`. */
export class AuthorityMetrics {
  readonly registry = new Registry();

  private readOutbox?: () => Promise<{ count: number; oldestAgeSeconds: number }>;
  private outboxRead?: Promise<void>;

  /** Set at each scrape from the outbox table (watchOutbox). */
  readonly outboxBacklog = new Gauge({
    name: 'authority_outbox_backlog',
    help: 'Events in the outbox not yet published to Kafka',
    registers: [this.registry],
    collect: () => this.refreshOutbox(),
  });

  readonly outboxOldestAge = new Gauge({
    name: 'authority_outbox_oldest_unsent_age_seconds',
    help: 'Age of the oldest event not yet published to Kafka (0 when none waits)',
    registers: [this.registry],
    collect: () => this.refreshOutbox(),
  });

  readonly relaySendLatency = new Histogram({
    name: 'authority_relay_send_duration_seconds',
    help: 'Duration of one relay send to Kafka (one batch, acks=all), successful or not',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly relaySendFailures = new Counter({
    name: 'authority_relay_send_failures_total',
    help: 'Relay batches that could not be published (sent or marked); they are retried with backoff',
    registers: [this.registry],
  });

  readonly relayPublished = new Counter({
    name: 'authority_relay_events_published_total',
    help: 'Events published to Kafka and marked in the outbox',
    registers: [this.registry],
  });

  readonly httpRequests = httpRequestsCounter(this.registry, 'authority');

  constructor(authority: AuthorityCode) {
    this.registry.setDefaultLabels({ authority });
    collectDefaultMetrics({ register: this.registry, prefix: 'authority_process_' });
  }

  /** The outbox figures are read at scrape time (one count on the pending index). */
  watchOutbox(read: () => Promise<{ count: number; oldestAgeSeconds: number }>): void {
    this.readOutbox = read;
  }

  /** One read serves both gauges of a scrape; a failed read leaves the last values (/health/ready reports the database). */
  private refreshOutbox(): Promise<void> {
    const read = this.readOutbox;
    if (!read) return Promise.resolve();
    this.outboxRead ??= read()
      .then(({ count, oldestAgeSeconds }) => {
        this.outboxBacklog.set(count);
        this.outboxOldestAge.set(oldestAgeSeconds);
      })
      .catch(() => undefined)
      .finally(() => (this.outboxRead = undefined));
    return this.outboxRead;
  }
}
