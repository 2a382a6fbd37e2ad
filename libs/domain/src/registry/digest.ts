import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from '#contracts';
import type { EventRef, RegistryRecordation } from './merge.js';

/** The facts of provenance that a replay reproduces exactly (receivedAt is when this copy read it: left out). */
function stableRef(ref: EventRef): Omit<EventRef, 'receivedAt'> {
  const { receivedAt: _receivedAt, ...stable } = ref;
  return stable;
}

export interface DigestMark {
  markId: string;
  displayText: string;
  displaySource: string;
  recorded: boolean;
  conflict: boolean;
}

/**
 * A deterministic digest of the registry: SHA-256 over canonical JSON lines, recordations in (authority,
 * number) order, then marks in id order. Fed one record at a time, so it runs in constant memory.
 */
export class RegistryDigest {
  private readonly hash: Hash = createHash('sha256');
  recordations = 0;
  marks = 0;

  addRecordation(recordation: RegistryRecordation & { markId: string }): void {
    const provenance = Object.fromEntries(Object.entries(recordation.provenance).map(([field, ref]) => [field, stableRef(ref)]));
    this.hash.update(`${canonicalJson({ r: { ...recordation, provenance } })}\n`);
    this.recordations++;
  }

  addMark(mark: DigestMark): void {
    this.hash.update(`${canonicalJson({ m: mark })}\n`);
    this.marks++;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
