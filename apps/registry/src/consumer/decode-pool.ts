import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { decodeSignedEvent, type AuthorityCode, type DecodedEvent, type TrustedKey } from '#contracts';

export interface TrustedKeyData {
  keyId: string;
  authority: string;
  spki: Uint8Array;
}
export interface DecodeWorkerData {
  trustedKeys: TrustedKeyData[];
  verifySignatures: boolean;
}
export interface DecodeRequest {
  id: number;
  /** The messages' bytes, one after another (a compact copy, transferred); a length of -1 is a null value. */
  bytes: Uint8Array;
  lengths: number[];
  topicAuthority: AuthorityCode | undefined;
}
export type DecodeResponse = { id: number; decoded: DecodedEvent[]; error?: undefined } | { id: number; error: string; decoded?: undefined };

/** Below this many messages a batch is decoded on the calling thread: the round trip would cost more. */
const MIN_OFFLOAD = 16;

interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (decoded: DecodedEvent[]) => void; reject: (error: Error) => void }>;
}

/**
 * Decodes (Ed25519 verification + contract validation: `decodeSignedEvent`) on worker threads, so the consumer's
 * thread stays free for the merge transaction that holds the merge lock. A batch is split into contiguous slices,
 * one per worker, and the results are put back in message order: the outcome per message is exactly what
 * `decodeSignedEvent` returns on the calling thread. Where the compiled worker is not available (the sources run
 * under a test runner) or a worker fails, messages are decoded on the calling thread instead.
 */
export class DecodePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;

  private readonly verifySignatures: boolean;

  constructor(
    private readonly trustedKeys: ReadonlyMap<string, TrustedKey>,
    options: { threads?: number; verifySignatures?: boolean } = {},
  ) {
    const size = options.threads ?? Math.max(1, Math.min(4, os.availableParallelism()));
    this.verifySignatures = options.verifySignatures ?? true;
    const script = new URL('./decode-worker.js', import.meta.url);
    if (script.protocol !== 'file:' || !existsSync(fileURLToPath(script))) return;
    const keys: TrustedKeyData[] = [...trustedKeys.values()].map((key) => ({
      keyId: key.keyId,
      authority: key.authority,
      spki: new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' })),
    }));
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(script, { trustedKeys: keys, verifySignatures: this.verifySignatures }));
  }

  /** Worker threads alive now (0: every batch is decoded on the calling thread). */
  get threads(): number {
    return this.workers.length;
  }

  private spawn(script: URL, workerData: DecodeWorkerData): PoolWorker {
    const worker = new Worker(script, { workerData });
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (response: DecodeResponse) => {
      const waiter = entry.pending.get(response.id);
      if (!waiter) return;
      entry.pending.delete(response.id);
      if (response.error !== undefined) waiter.reject(new Error(response.error));
      else waiter.resolve(response.decoded);
    });
    const fail = (error: Error) => {
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
      for (const waiter of entry.pending.values()) waiter.reject(error);
      entry.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`decode worker exited with code ${code}`)));
    return entry;
  }

  /** The decoded messages, in the order given. */
  async decodeAll(values: (Buffer | null)[], topicAuthority: AuthorityCode | undefined): Promise<DecodedEvent[]> {
    const workers = [...this.workers];
    if (this.closed || !workers.length || values.length < MIN_OFFLOAD) return this.inline(values, topicAuthority);
    const share = Math.ceil(values.length / workers.length);
    try {
      const parts = await Promise.all(
        workers.map((entry, index) => {
          const slice = values.slice(index * share, (index + 1) * share);
          return slice.length ? this.send(entry, slice, topicAuthority) : Promise.resolve([]);
        }),
      );
      return parts.flat();
    } catch {
      // A worker died or failed: the same decoding, on this thread.
      return this.inline(values, topicAuthority);
    }
  }

  private send(entry: PoolWorker, values: (Buffer | null)[], topicAuthority: AuthorityCode | undefined): Promise<DecodedEvent[]> {
    const id = this.nextId++;
    return new Promise<DecodedEvent[]>((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      // A fresh ArrayBuffer of its own (never Buffer's shared pool): it is transferred, i.e. detached here.
      const bytes = new Uint8Array(values.reduce((total, value) => total + (value?.length ?? 0), 0));
      let at = 0;
      for (const value of values) {
        if (!value) continue;
        bytes.set(value, at);
        at += value.length;
      }
      const request: DecodeRequest = { id, bytes, lengths: values.map((value) => (value === null ? -1 : value.length)), topicAuthority };
      entry.worker.postMessage(request, [bytes.buffer]);
    });
  }

  private inline(values: (Buffer | null)[], topicAuthority: AuthorityCode | undefined): DecodedEvent[] {
    return values.map((value) => decodeSignedEvent(value, this.trustedKeys, topicAuthority, this.verifySignatures));
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((entry) => entry.worker.terminate().catch(() => undefined)));
  }
}
