import { describe, expect, it } from '@jest/globals';
import type { BatchInput, BatchResult } from '../store/registry-store.js';
import { GroupCommit } from './group-commit.js';

const batch = (topic: string, partition: number, size: number): BatchInput => ({
  topic,
  partition,
  messages: Array.from({ length: size }, (_, i) => ({
    offset: String(i),
    key: null,
    value: Buffer.alloc(0),
    decoded: { ok: false, reason: 'unparseable', detail: 'test' },
    receivedAt: '2026-01-01T00:00:00Z',
  })),
});
const resultOf = (b: BatchInput): BatchResult => ({
  skipped: 0,
  dispositions: [],
  quarantined: [],
  nextOffset: `${b.topic}:${b.partition}:${b.messages.length}`,
});

describe('GroupCommit', () => {
  it('puts what arrives during a transaction into the next one, at most one batch per partition, each caller getting its own result', async () => {
    const groups: string[][] = [];
    let release: () => void = () => undefined;
    const commit = new GroupCommit(async (batches) => {
      groups.push(batches.map((b) => `${b.topic}:${b.partition}`));
      if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return batches.map(resultOf);
    }, 1000);
    const first = commit.submit(batch('a', 0, 5));
    const waiting = [commit.submit(batch('a', 1, 5)), commit.submit(batch('b', 0, 5)), commit.submit(batch('a', 1, 7))];
    release();
    const results = await Promise.all([first, ...waiting]);
    expect(groups).toEqual([['a:0'], ['a:1', 'b:0'], ['a:1']]);
    expect(results.map((r) => r.nextOffset)).toEqual(['a:0:5', 'a:1:5', 'b:0:5', 'a:1:7']);
  });

  it('keeps a group under the message limit, but always takes one batch', async () => {
    const groups: number[][] = [];
    let release: () => void = () => undefined;
    const commit = new GroupCommit(async (batches) => {
      groups.push(batches.map((b) => b.messages.length));
      if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return batches.map(resultOf);
    }, 10);
    const all = [commit.submit(batch('a', 0, 1)), commit.submit(batch('a', 1, 6)), commit.submit(batch('a', 2, 6)), commit.submit(batch('a', 3, 30))];
    release();
    await Promise.all(all);
    expect(groups).toEqual([[1], [6], [6], [30]]);
  });

  it('rejects every batch of a failed transaction and goes on with the next group', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const commit = new GroupCommit(async (batches) => {
      calls++;
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      if (calls === 2) throw new Error('database away');
      return batches.map(resultOf);
    }, 1000);
    const first = commit.submit(batch('a', 0, 1));
    const failed = [commit.submit(batch('a', 1, 1)), commit.submit(batch('a', 2, 1))];
    release();
    await first;
    await Promise.all(failed.map((p) => expect(p).rejects.toThrow('database away')));
    await expect(commit.submit(batch('a', 1, 1))).resolves.toMatchObject({ nextOffset: 'a:1:1' });
  });

  it('runs up to `concurrency` groups side by side, never one partition in two of them', async () => {
    const running: string[][] = [];
    let most = 0;
    const releases: (() => void)[] = [];
    const commit = new GroupCommit(
      async (batches) => {
        const group = batches.map((b) => `${b.topic}:${b.partition}`);
        for (const other of running) expect(other.filter((p) => group.includes(p))).toEqual([]);
        running.push(group);
        most = Math.max(most, running.length);
        await new Promise<void>((resolve) => releases.push(resolve));
        running.splice(running.indexOf(group), 1);
        return batches.map(resultOf);
      },
      1,
      2,
    );
    const all = [commit.submit(batch('a', 0, 1)), commit.submit(batch('a', 1, 1)), commit.submit(batch('a', 2, 1))];
    expect(running).toEqual([['a:0'], ['a:1']]);
    const next = commit.submit(batch('a', 0, 2));
    releases.shift()!();
    await all[0];
    // a:0's next chunk may run as soon as a:0's first is merged; a:2 was queued first
    expect(running).toEqual([['a:1'], ['a:2']]);
    while (releases.length || running.length) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([...all, next]);
    expect(most).toBe(2);
  });
});
