import type { BatchInput, BatchResult } from '../store/registry-store.js';

interface Submission {
  batch: BatchInput;
  resolve: (result: BatchResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for merge transactions, with up to `concurrency` transactions at once (merges of different
 * partitions run side by side; they only wait for each other on the keys and marks they share). Batches submitted
 * while every slot is busy wait and then go together in the next transaction, so the fixed cost of a transaction
 * (offsets, reading the touched rows and marks, the writes, the commit) is paid once per group instead of once per
 * partition batch. A group holds at most one batch per partition, never one of a partition another running group
 * holds (a partition's next batch is only submitted once its previous one is merged), and about `maxMessages`
 * messages.
 */
export class GroupCommit {
  private readonly queue: Submission[] = [];
  private running = 0;
  /** Partitions in a running group. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly apply: (batches: BatchInput[]) => Promise<BatchResult[]>,
    private readonly maxMessages: number,
    private readonly concurrency = 1,
  ) {}

  /** Resolves with the batch's result once the transaction it went in has committed; rejects if that one failed. */
  submit(batch: BatchInput): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < this.concurrency) {
      const group = this.takeGroup();
      if (!group.length) return;
      this.running++;
      for (const submission of group) this.busy.add(partitionOf(submission));
      void this.run(group);
    }
  }

  private async run(group: Submission[]): Promise<void> {
    try {
      const results = await this.apply(group.map((submission) => submission.batch));
      group.forEach((submission, index) => submission.resolve(results[index]));
    } catch (error) {
      for (const submission of group) submission.reject(error);
    } finally {
      this.running--;
      for (const submission of group) this.busy.delete(partitionOf(submission));
      this.drain();
    }
  }

  private takeGroup(): Submission[] {
    const group: Submission[] = [];
    const partitions = new Set<string>();
    let messages = 0;
    for (let index = 0; index < this.queue.length;) {
      const submission = this.queue[index];
      const partition = partitionOf(submission);
      const fits = group.length === 0 || messages + submission.batch.messages.length <= this.maxMessages;
      if (!partitions.has(partition) && !this.busy.has(partition) && fits) {
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

function partitionOf(submission: Submission): string {
  return `${submission.batch.topic}:${submission.batch.partition}`;
}
