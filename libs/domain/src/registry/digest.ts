import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from '#contracts';
import { groupRegistry, type AliasMap } from './marks.js';
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
/** One line of a digest: `recordation CN:T2026-00001` or `mark <id>`, its SHA-256 and the canonical JSON hashed. */
export interface DigestEntry {
  key: string;
  sha256: string;
  line: string;
}

export class RegistryDigest {
  private readonly hash: Hash = createHash('sha256');
  recordations = 0;
  marks = 0;

  /** With `entries`, every line is also kept there (to find where two registries differ, not only whether). */
  constructor(private readonly entries?: DigestEntry[]) {}

  private add(key: string, line: string): void {
    this.hash.update(line);
    this.entries?.push({ key, sha256: createHash('sha256').update(line).digest('hex'), line: line.slice(0, -1) });
  }

  addRecordation(recordation: RegistryRecordation & { markId: string }): void {
    // Provenance as field → event key plus each event's reference once: the same facts as the field → reference map
    // without encoding one reference per field (most fields share one event; the repeats were most of a digest's
    // time). A reference that disagrees with another one of its event (a damaged row) is kept under its own key.
    const fields: Record<string, string> = {};
    const events: Record<string, Omit<EventRef, 'receivedAt'>> = {};
    const firstRef = new Map<string, EventRef>();
    for (const field of Object.keys(recordation.provenance).sort()) {
      const ref = recordation.provenance[field];
      let key = ref.eventId;
      const first = firstRef.get(key);
      if (first === undefined) {
        firstRef.set(key, ref);
        events[key] = stableRef(ref);
      } else if (first !== ref && canonicalJson(stableRef(first)) !== canonicalJson(stableRef(ref))) {
        key = `${ref.eventId}/${field}`;
        events[key] = stableRef(ref);
      }
      fields[field] = key;
    }
    this.add(
      `recordation ${recordation.authority}:${recordation.recordationNumber}`,
      `${canonicalJson({ r: { ...recordation, provenance: { fields, events } } })}\n`,
    );
    this.recordations++;
  }

  addMark(mark: DigestMark): void {
    this.add(`mark ${mark.markId}`, `${canonicalJson({ m: mark })}\n`);
    this.marks++;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The digest of recordations held in memory, grouped into marks from scratch (what a stored registry must match). */
export function digestOfRegistry(
  recordations: ReadonlyMap<string, RegistryRecordation>,
  aliases: AliasMap,
  similarPictures: (sha256: string) => readonly string[] = () => [],
): string {
  return digestOfRegistryDetailed(recordations, aliases, undefined, similarPictures).digest;
}

/** {@link digestOfRegistry} with its counts and, when `entries` is given, every line (in digest order) kept there. */
export function digestOfRegistryDetailed(
  recordations: ReadonlyMap<string, RegistryRecordation>,
  aliases: AliasMap,
  entries?: DigestEntry[],
  similarPictures: (sha256: string) => readonly string[] = () => [],
): { digest: string; recordations: number; marks: number } {
  const { markOf, marks } = groupRegistry(recordations, aliases, similarPictures);
  const digest = new RegistryDigest(entries);
  // Ids are `AUTHORITY:number` with two-letter authorities: their code-unit order is the stored digest's order.
  for (const id of [...recordations.keys()].sort()) digest.addRecordation({ ...recordations.get(id)!, markId: markOf.get(id)! });
  for (const { markId, summary } of marks.sort((a, b) => (a.markId < b.markId ? -1 : 1))) {
    digest.addMark({ markId, displayText: summary.displayText, displaySource: summary.displaySource, recorded: summary.recorded, conflict: summary.conflict });
  }
  return { digest: digest.digest(), recordations: digest.recordations, marks: digest.marks };
}
