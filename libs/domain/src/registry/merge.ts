import { canonicalJson, type AuthorityCode, type RecordationEvent, type RecordationState } from '#contracts';

/** Where a fact came from: the event that set it and where that event sat in the log. */
export interface EventRef {
  eventId: string;
  authority: AuthorityCode;
  type: string;
  sequence: number;
  topic: string;
  partition: number;
  offset: string;
  time: string;
  receivedAt: string;
  keyId: string;
  verified: boolean;
}

/** One recordation as the registry holds it: the authority's latest state and, per field, the event that set it. */
export interface RegistryRecordation {
  authority: AuthorityCode;
  recordationNumber: string;
  version: number;
  status: RecordationState['status'];
  data: RecordationState;
  provenance: Record<string, EventRef>;
}

export type Disposition = 'applied' | 'stale' | 'duplicate' | 'held';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export type MergeOutcome =
  | { disposition: 'applied'; next: RegistryRecordation; changes: FieldChange[] }
  | { disposition: 'stale' | 'duplicate' | 'held'; next: RegistryRecordation | undefined; changes: [] };

/**
 * Merges one verified event into the registry's copy of its recordation. The rules, per (authority,
 * recordationNumber, sequence):
 * - an event id already seen → `duplicate` (a redelivery or a relay re-send): nothing changes;
 * - sequence ≤ the current version → `stale` (an older event arriving late): nothing changes;
 * - sequence = version + 1 (or 1 for a new recordation) → `applied`: the state becomes the event's data, and each
 *   field whose value changed (or that the event names in changedFields) takes this event as its provenance;
 * - sequence > version + 1 → `held`: a gap; it waits in the event store and is applied, in order, when the missing
 *   event arrives. It is never applied out of order.
 */
export function mergeEvent(current: RegistryRecordation | undefined, event: RecordationEvent, ref: EventRef, alreadySeen: boolean): MergeOutcome {
  if (alreadySeen) return { disposition: 'duplicate', next: current, changes: [] };
  const version = current?.version ?? 0;
  if (event.sequence <= version) return { disposition: 'stale', next: current, changes: [] };
  if (event.sequence > version + 1) return { disposition: 'held', next: current, changes: [] };

  const before = (current?.data ?? {}) as Record<string, unknown>;
  const after = event.data as unknown as Record<string, unknown>;
  const provenance: Record<string, EventRef> = {};
  const changes: FieldChange[] = [];
  const named = new Set(event.changedFields);
  for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const differs = canonicalJson(before[field] ?? null) !== canonicalJson(after[field] ?? null);
    if (differs) changes.push({ field, before: before[field] ?? null, after: after[field] ?? null });
    if (!(field in after)) continue;
    provenance[field] = differs || named.has(field) || !current?.provenance[field] ? ref : current.provenance[field];
  }
  return {
    disposition: 'applied',
    next: { authority: event.source, recordationNumber: event.subject, version: event.sequence, status: event.data.status, data: event.data, provenance },
    changes,
  };
}
