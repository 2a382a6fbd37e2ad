import { describe, expect, it } from '@jest/globals';
import { AccessNote, MAX_BATCH_MARKS, MAX_SHOWN, batchSummary, querySummary, storable, trailSubject } from './access-entry.js';
import { BoundedBatchQueue } from './access-trail-queue.js';

/** A writer whose writes wait until released, recording every batch it was given. */
function gatedWriter() {
  const batches: number[][] = [];
  let open = true;
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  let failNext = 0;
  return {
    batches,
    block() {
      open = false;
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    unblock() {
      open = true;
      release();
    },
    failTimes(n: number) {
      failNext = n;
    },
    get open() {
      return open;
    },
    write: async (batch: readonly number[]) => {
      await gate;
      if (failNext > 0) {
        failNext--;
        throw new Error('database down');
      }
      batches.push([...batch]);
    },
  };
}

describe('BoundedBatchQueue (the access trail queue)', () => {
  it('refuses a reservation once capacity is held by reserved, queued and in-flight entries, and frees places as they are written', async () => {
    const writer = gatedWriter();
    let refused = 0;
    const queue = new BoundedBatchQueue<number>({
      capacity: 3,
      batchSize: 1,
      flushIntervalMs: 60_000,
      write: writer.write,
      events: { refused: () => refused++ },
    });
    writer.block();
    queue.reserve()!.commit(1); // batch full: written at once, and blocked in flight
    const second = queue.reserve()!;
    queue.reserve()!.commit(3);
    expect(queue.depth).toBe(3);
    expect(queue.reserve()).toBeUndefined();
    expect(refused).toBe(1);
    second.commit(2);
    writer.unblock();
    await queue.flush();
    expect(writer.batches.flat()).toEqual([1, 3, 2]);
    expect(queue.depth).toBe(0);
    expect(queue.reserve()).toBeDefined();
  });

  it('writes in batches of at most batchSize, in order, on the timer', async () => {
    const writer = gatedWriter();
    const written: number[] = [];
    const queue = new BoundedBatchQueue<number>({
      capacity: 100,
      batchSize: 4,
      flushIntervalMs: 5,
      write: writer.write,
      events: { written: (n) => written.push(n) },
    });
    writer.block();
    for (let i = 0; i < 10; i++) queue.reserve()!.commit(i);
    queue.start();
    writer.unblock();
    const deadline = Date.now() + 5000;
    while (queue.depth > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(writer.batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...writer.batches.map((b) => b.length))).toBeLessThanOrEqual(4);
    expect(writer.batches.length).toBeGreaterThanOrEqual(3);
    expect(written.reduce((a, b) => a + b, 0)).toBe(10);
    await queue.close(1000);
  });

  it('keeps a batch whose write failed, in order, and writes it at the next flush', async () => {
    const writer = gatedWriter();
    const failures: number[] = [];
    const queue = new BoundedBatchQueue<number>({
      capacity: 10,
      batchSize: 10,
      flushIntervalMs: 60_000,
      write: writer.write,
      events: { writeFailed: (_e, n) => failures.push(n) },
    });
    writer.failTimes(1);
    queue.reserve()!.commit(1);
    queue.reserve()!.commit(2);
    await queue.flush();
    expect(failures).toEqual([2]);
    expect(queue.depth).toBe(2);
    await queue.flush();
    expect(writer.batches).toEqual([[1, 2]]);
    expect(queue.depth).toBe(0);
  });

  it('on close refuses new reservations, waits for the reserved ones and writes everything queued', async () => {
    const writer = gatedWriter();
    const queue = new BoundedBatchQueue<number>({ capacity: 10, batchSize: 10, flushIntervalMs: 60_000, write: writer.write }).start();
    queue.reserve()!.commit(1);
    const inProgress = queue.reserve()!;
    const closed = queue.close(5000);
    expect(queue.reserve()).toBeUndefined();
    setImmediate(() => inProgress.commit(2));
    expect(await closed).toBe(0);
    expect(writer.batches.flat()).toEqual([1, 2]);
  });

  it('on close reports what it could not write before its deadline (never silently)', async () => {
    const writer = gatedWriter();
    const queue = new BoundedBatchQueue<number>({ capacity: 10, batchSize: 10, flushIntervalMs: 10, write: writer.write });
    writer.failTimes(1_000_000);
    queue.reserve()!.commit(1);
    expect(await queue.close(100)).toBe(1);
  });
});

describe('access trail entries', () => {
  it('names the token subject when the principal has one, else the credential name', () => {
    expect(trailSubject({ role: 'officer', authority: 'HK', name: 'officer-hk' })).toBe('officer-hk');
    expect(trailSubject({ role: 'officer', authority: 'HK', name: 'officer-hk', subject: '5f0c-uuid' } as never)).toBe('5f0c-uuid');
  });

  it('keeps every recordation shown once, the first MAX_SHOWN listed and all counted', () => {
    const note = new AccessNote();
    note.addShown([
      { authority: 'CN', recordationNumber: 'T1' },
      { authority: 'CN', recordationNumber: 'T1' },
      { authority: 'HK', recordationNumber: 'H1' },
    ]);
    expect(note.shown()).toEqual({ shown: ['CN/T1', 'HK/H1'], shownCount: 2 });
    note.addShown(Array.from({ length: MAX_SHOWN + 10 }, (_, i) => ({ authority: 'MO', recordationNumber: `M${i}` })));
    note.addShown([{ authority: 'MO', recordationNumber: 'M1' }]);
    expect(note.shown().shown).toHaveLength(MAX_SHOWN);
    expect(note.shown().shownCount).toBe(MAX_SHOWN + 12);
  });

  it('summarises a batch by line count and SHA-256, listing the marks only for a small batch', () => {
    const raw = Buffer.from('[]');
    const small = batchSummary(raw, [
      { index: 0, check: { mark: 'NIKE', niceClass: 25 } },
      { index: 1, errors: [] },
    ]);
    expect(small).toEqual({ lines: 2, bytes: 2, sha256: '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945', marks: ['NIKE [25]', null] });
    const large = batchSummary(
      raw,
      Array.from({ length: MAX_BATCH_MARKS + 1 }, (_, index) => ({ index, check: { mark: 'X' } })),
    );
    expect(large.lines).toBe(MAX_BATCH_MARKS + 1);
    expect(large).not.toHaveProperty('marks');
  });

  it('stores no NUL nor lone surrogate (PostgreSQL refuses them, which would block the whole batch) and bounds lengths', () => {
    expect(storable('a\u0000b\ud800c')).toBe('a\uFFFDb\uFFFDc');
    expect(storable('😀ok')).toBe('😀ok');
    expect(storable('x'.repeat(2000))).toHaveLength(1001);
    expect(querySummary({ q: 'NIKE', niceClass: '25', many: ['a', 'b'] })).toEqual({ q: 'NIKE', niceClass: '25', many: ['a', 'b'] });
  });
});
