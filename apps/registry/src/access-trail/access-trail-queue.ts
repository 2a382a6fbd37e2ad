/** What the queue reports to its owner (metrics, logs). */
export interface QueueEvents {
  /** A batch could not be written; its entries stay queued and are tried again at the next flush. */
  writeFailed?(error: unknown, entries: number): void;
  written?(entries: number): void;
  refused?(): void;
}

export interface QueueOptions<T> {
  /** Entries held at most: reserved (a request in progress), queued, and being written. */
  capacity: number;
  /** Entries one write takes at most; a full batch is written without waiting for the interval. */
  batchSize: number;
  flushIntervalMs: number;
  /** Writes a batch (one statement); throws to keep the entries queued. */
  write(batch: readonly T[]): Promise<void>;
  events?: QueueEvents;
}

/** A place held in the queue for a request in progress: committed with its entry when the request ends. */
export interface Reservation<T> {
  commit(entry: T): void;
}

/**
 * A bounded queue written in batches, for records that must not be lost nor wait for their write: a request first
 * reserves a place (refused when there is none, so the caller can refuse the request instead of going unrecorded),
 * then commits its entry when it ends. A timer (and a full batch) flushes; a failed write keeps its entries queued;
 * `close` refuses new reservations, waits for the reserved ones and writes everything left.
 */
export class BoundedBatchQueue<T> {
  private readonly queued: T[] = [];
  private reserved = 0;
  private inFlight = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly settled = new Set<() => void>();

  constructor(private readonly options: QueueOptions<T>) {
    if (!(options.capacity >= 1 && options.batchSize >= 1 && options.flushIntervalMs >= 1))
      throw new RangeError('capacity, batchSize and flushIntervalMs must be >= 1');
  }

  /** Starts the periodic flush. */
  start(): this {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
    return this;
  }

  /** Places in use: reserved, queued and being written. */
  get depth(): number {
    return this.reserved + this.queued.length + this.inFlight;
  }

  /** A place for one entry, or undefined when the queue is full or closing (the caller refuses its request). */
  reserve(): Reservation<T> | undefined {
    if (this.closing || this.depth >= this.options.capacity) {
      this.options.events?.refused?.();
      return undefined;
    }
    this.reserved++;
    let done = false;
    return {
      commit: (entry: T) => {
        if (done) return;
        done = true;
        this.reserved--;
        this.queued.push(entry);
        if (this.queued.length >= this.options.batchSize) void this.flush();
        for (const wake of this.settled) wake();
      },
    };
  }

  /**
   * Writes what is queued, a batch at a time, until the queue is empty or a write fails (the failed batch stays
   * queued, in order). One flush runs at a time; a call during one waits for it.
   */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queued.length) {
      const batch = this.queued.splice(0, this.options.batchSize);
      this.inFlight = batch.length;
      try {
        await this.options.write(batch);
        this.options.events?.written?.(batch.length);
      } catch (error) {
        this.queued.unshift(...batch);
        this.options.events?.writeFailed?.(error, batch.length);
        return;
      } finally {
        this.inFlight = 0;
      }
    }
  }

  /**
   * Refuses new reservations, waits (up to `timeoutMs`) for the reserved ones to commit, and writes everything
   * queued, retrying failed writes until the deadline. Resolves to the entries it could not write (0 normally).
   */
  async close(timeoutMs: number): Promise<number> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.reserved > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const wake = () => (this.settled.delete(wake), clearTimeout(timeout), resolve());
        const timeout = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.settled.add(wake);
      });
    }
    for (;;) {
      await this.flush();
      if (!this.queued.length || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.options.flushIntervalMs, 1000, Math.max(1, deadline - Date.now()))));
    }
    return this.queued.length + this.reserved;
  }
}
