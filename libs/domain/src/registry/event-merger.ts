import type { AuthorityCode, RecordationEvent } from '#contracts';
import { recordationId } from './marks.js';
import { mergeEvent, type Disposition, type EventRef, type FieldChange, type RegistryRecordation } from './merge.js';

/** One event as the event store keeps it: where it sat in the log and what became of it. */
export interface MergedEvent {
  ref: EventRef;
  event: RecordationEvent;
  disposition: Disposition;
  /** What an applied event changed; null for every other disposition. */
  changes: FieldChange[] | null;
}

/** Where an event sat in the log, as provenance and the event store name it. */
export function eventRefOf(
  event: RecordationEvent,
  topic: string,
  partition: number,
  offset: string,
  receivedAt: string,
  keyId: string,
  verified: boolean,
): EventRef {
  return {
    eventId: event.id,
    authority: event.source,
    type: event.type,
    sequence: event.sequence,
    topic,
    partition,
    offset: String(offset),
    time: event.time,
    receivedAt,
    keyId,
    verified,
  };
}

/** An event waiting for its predecessor (disposition `held`), per recordation in log order. */
export interface HeldEvent {
  ref: EventRef;
  event: RecordationEvent;
  /** Its event-store entry when this merger produced it (not stored yet); absent for one read from the store. */
  entry?: MergedEvent;
}

/** What a merger works on: recordations by id, held events by recordation id, event ids already seen. */
export interface MergeState {
  recordations: Map<string, RegistryRecordation>;
  held: Map<string, HeldEvent[]>;
  seen: Set<string>;
}

/**
 * Merges events, in log order, into a state: the rule of `mergeEvent` per event, plus what the log order adds —
 * a held event is applied when the gap before it fills, and one the recordation has passed meanwhile becomes stale.
 * The live consumer runs one per batch on the rows the batch touches; a replay into an empty schema runs one per
 * chunk on the whole registry held in memory. Both therefore store the same dispositions, changes and states.
 */
export class EventMerger {
  /** Recordations changed by this merger's events. */
  readonly touched = new Set<string>();
  /** Held events that came from the store (not from this merger) and have now been applied or found stale. */
  readonly resolvedEarlier: MergedEvent[] = [];
  /** What became of each event, once per event (held ones counted in `finish`), with its partition, for metrics. */
  readonly dispositions: { authority: AuthorityCode; disposition: Disposition; topic: string; partition: number }[] = [];

  /** The entries this merger produced (the caller stores them after it); others came from earlier work. */
  private readonly own = new WeakSet<MergedEvent>();

  constructor(private readonly state: MergeState) {}

  /** Merges one event; the entry returned is final once `finish` has run (a held one may still be applied). */
  merge(event: RecordationEvent, ref: EventRef): MergedEvent {
    const { recordations, held, seen } = this.state;
    const id = recordationId(event.source, event.subject);
    const outcome = mergeEvent(recordations.get(id), event, ref, seen.has(event.id));
    seen.add(event.id);
    const entry: MergedEvent = { ref, event, disposition: outcome.disposition, changes: outcome.disposition === 'applied' ? outcome.changes : null };
    this.own.add(entry);
    if (outcome.disposition === 'held') {
      held.set(id, [...(held.get(id) ?? []), { ref, event, entry }]);
      return entry;
    }
    this.dispositions.push({ authority: event.source, disposition: outcome.disposition, topic: ref.topic, partition: ref.partition });
    if (outcome.disposition !== 'applied') return entry;
    recordations.set(id, outcome.next);
    this.touched.add(id);
    this.releaseSuccessors(id);
    return entry;
  }

  /** Counts the held events of this merger still waiting (once); call after the last `merge`. */
  finish(): void {
    for (const waiting of this.state.held.values()) {
      for (const heldEvent of waiting)
        if (heldEvent.entry && this.own.has(heldEvent.entry))
          this.dispositions.push({ authority: heldEvent.event.source, disposition: 'held', topic: heldEvent.ref.topic, partition: heldEvent.ref.partition });
    }
  }

  /**
   * The gap is filled: apply the held successors, in order. A held event the recordation has now passed (another
   * event of its sequence came first) is stale: it must not wait for ever.
   */
  private releaseSuccessors(id: string): void {
    const { recordations, held } = this.state;
    for (;;) {
      const version = recordations.get(id)!.version;
      const waiting = held.get(id) ?? [];
      for (const passed of waiting.filter((h) => h.event.sequence <= version)) this.resolve(passed, 'stale', null);
      const pending = waiting.filter((h) => h.event.sequence > version);
      if (pending.length) held.set(id, pending);
      else held.delete(id);
      const successor = pending.find((h) => h.event.sequence === version + 1);
      if (!successor) return;
      const rest = pending.filter((h) => h !== successor);
      if (rest.length) held.set(id, rest);
      else held.delete(id);
      const released = mergeEvent(recordations.get(id), successor.event, successor.ref, false);
      if (released.disposition !== 'applied') return;
      recordations.set(id, released.next);
      this.resolve(successor, 'applied', released.changes);
    }
  }

  private resolve(heldEvent: HeldEvent, disposition: Disposition, changes: FieldChange[] | null): void {
    if (heldEvent.entry && this.own.has(heldEvent.entry)) {
      heldEvent.entry.disposition = disposition;
      heldEvent.entry.changes = changes;
    } else {
      this.resolvedEarlier.push({ ref: heldEvent.ref, event: heldEvent.event, disposition, changes });
    }
    this.dispositions.push({ authority: heldEvent.event.source, disposition, topic: heldEvent.ref.topic, partition: heldEvent.ref.partition });
  }
}
