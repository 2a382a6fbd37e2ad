import type { BatchInput, BatchResult } from '../store/registry-store.js';

interface Submission {
  batch: BatchInput;
  resolve: (result: BatchResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for merge transactions. Partitions are consumed concurrently but merges are serial (the merge lock):
 * while one transaction runs, the batches submitted meanwhile wait and then go together in the next one, so the
 * fixed cost of a transaction (lock, offsets, reading the touched rows and marks, the writes, the commit) is paid
 * once per group instead of once per partition batch. A group holds at most one batch per partition (a partition's
 * next batch is only submitted once its previous one is merged) and about `maxMessages` messages.
 */
export class GroupCommit {
  private readonly queue: Submission[] = [];
  private draining = false;

  constructor(
    private readonly apply: (batches: BatchInput[]) => Promise<BatchResult[]>,
    private readonly maxMessages: number,
  ) {}

  /** Resolves with the batch's result once the transaction it went in has committed; rejects if that one failed. */
  submit(batch: BatchInput): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const group = this.takeGroup();
        try {
          const results = await this.apply(group.map((submission) => submission.batch));
          group.forEach((submission, index) => submission.resolve(results[index]));
        } catch (error) {
          for (const submission of group) submission.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private takeGroup(): Submission[] {
    const group: Submission[] = [];
    const partitions = new Set<string>();
    let messages = 0;
    for (let index = 0; index < this.queue.length; ) {
      const submission = this.queue[index];
      const partition = `${submission.batch.topic}:${submission.batch.partition}`;
      const fits = group.length === 0 || messages + submission.batch.messages.length <= this.maxMessages;
      if (!partitions.has(partition) && fits) {
        group.push(submission);
        partitions.add(partition);
        messages += submission.batch.messages.length;
        this.queue.splice(index, 1);
      } else {
        index++;
      }
    }
    return group;
  }
}
