import { encodeSignedEvent, RECORDATION_DATASCHEMA_V1, type AuthorityCode, type RecordationEvent, type RecordationState, type SigningKey } from '#contracts';
import {
  AUTHORITY_RULES,
  amendRecordation,
  cancelRecordation,
  createRecordation,
  reinstateRecordation,
  renewRecordation,
  revokeRecordation,
  suspendRecordation,
  type Transition,
} from '#domain';
import { generateDataset, type Dataset, type GeneratedRecordation, type LifecycleOperation } from './generator.js';

export interface GeneratedEvent {
  authority: AuthorityCode;
  key: string;
  event: RecordationEvent;
  /** The Kafka message value: the event signed by its authority (empty when generated without keys). */
  value: Buffer;
}

/** Deterministic UUIDv7-shaped ids from the seed, a counter and a time: the same seed gives the same events, another seed other ids. */
function eventId(seed: number, counter: number, time: number): string {
  const hex = time.toString(16).padStart(12, '0').slice(-12);
  const c = `${(seed >>> 0).toString(16).padStart(8, '0').slice(-8)}${counter.toString(16).padStart(7, '0').slice(-7)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${c.slice(0, 3)}-8${c.slice(3, 6)}-${c.slice(6, 15).padStart(12, '0')}`;
}

/**
 * The generator's data set as the signed events the three authorities would publish: creates, then the lifecycle
 * operations, each the result of the real domain transition. Feeds the benchmark and the fault suite.
 */
export function generateEvents(options: { seed?: number; events: number; now?: Date; keys: Record<AuthorityCode, SigningKey> | null }): GeneratedEvent[] {
  const now = options.now ?? new Date('2026-11-28T00:00:00Z');
  const today = now.toISOString().slice(0, 10);
  const dataset: Dataset = generateDataset({ seed: options.seed, recordations: Math.ceil(options.events / 1.15), now });
  const states = new Map<string, RecordationState>();
  const out: GeneratedEvent[] = [];
  let clock = now.getTime() - 86_400_000;

  const emit = (authority: AuthorityCode, result: Transition) => {
    if (!result.ok || 'unchanged' in result || out.length >= options.events) return;
    states.set(`${authority}:${result.state.recordationNumber}`, result.state);
    clock += 7;
    const event: RecordationEvent = {
      specversion: '1.0',
      id: eventId(options.seed ?? 20240314, out.length + 1, clock),
      type: result.type,
      source: authority,
      subject: result.state.recordationNumber,
      sequence: result.state.version,
      time: new Date(clock).toISOString(),
      dataschema: RECORDATION_DATASCHEMA_V1,
      datacontenttype: 'application/json',
      data: result.state,
      changedFields: result.changedFields,
    };
    // keys: null → unsigned (an empty value): for loaders that write the registry's tables directly.
    out.push({ authority, key: event.subject, event, value: options.keys ? encodeSignedEvent(event, options.keys[authority]) : Buffer.alloc(0) });
  };

  for (const recordation of dataset.recordations) emit(recordation.authority, createGenerated(recordation, today));
  for (const op of dataset.operations) {
    const current = states.get(`${op.authority}:${op.recordationNumber}`);
    if (current) emit(op.authority, applyOperation(current, op, today));
  }
  // Top up with amendments when the operations ran out before the requested count.
  for (const [id, state] of states) {
    if (out.length >= options.events) break;
    if (state.status === 'active')
      emit(state.authority, amendRecordation(state, { goods: `${state.goods} (rev. ${out.length})` }, AUTHORITY_RULES[state.authority], today));
    void id;
  }
  return out;
}

/** A generated recordation as its authority's service creates it on `today`. */
export function createGenerated(recordation: GeneratedRecordation, today: string): Transition {
  const { recordationNumber, ...fields } = recordation.body;
  return createRecordation(fields, recordationNumber, AUTHORITY_RULES[recordation.authority], today);
}

/** A generated lifecycle operation as its authority's service applies it on `today` (the demo sends it over HTTP). */
export function applyOperation(current: RecordationState, op: LifecycleOperation, today: string): Transition {
  const rules = AUTHORITY_RULES[op.authority];
  switch (op.kind) {
    case 'amend':
      return amendRecordation(current, op.body, rules, today);
    case 'renew':
      return renewRecordation(current, op.body.validUntil, rules, today);
    case 'suspend':
      return suspendRecordation(current, op.body.reason);
    case 'reinstate':
      return reinstateRecordation(current, op.body.reason, today);
    case 'cancel':
      return cancelRecordation(current, op.body.reason);
    case 'revoke':
      return revokeRecordation(current, op.body.reason);
  }
}
