import {
  AMENDABLE_FIELDS,
  canonicalJson,
  type CancellationReason,
  type FieldError,
  type RecordationEventType,
  type RecordationFields,
  type RecordationState,
  type RecordationStatus,
} from '#contracts';
import type { AuthorityRules } from './authority-rules.js';
import { addMonths, addYears, addDays, earliest } from './calendar.js';

/**
 * The recordation lifecycle as a pure state machine. Every transition takes the current state and returns the
 * next one with the event it publishes, or says why not: `invalid` (the request is wrong: HTTP 400) or
 * `conflict` (the request is fine but the recordation's state forbids it: HTTP 409).
 *
 *   active ──suspend──▶ suspended ──reinstate──▶ active
 *   active|suspended ──cancel / revoke / expire──▶ cancelled / revoked / expired   (terminal)
 *   active|suspended ──amend──▶ same status;   active ──renew──▶ active
 */
export type Transition =
  | { ok: true; state: RecordationState; type: RecordationEventType; changedFields: string[] }
  | { ok: true; unchanged: true; state: RecordationState }
  | { ok: false; kind: 'invalid'; errors: FieldError[] }
  | { ok: false; kind: 'conflict'; reason: string };

type Failure = Extract<Transition, { ok: false }>;

const TERMINAL: readonly RecordationStatus[] = ['cancelled', 'revoked', 'expired'];

const invalid = (errors: FieldError[]): Failure => ({ ok: false, kind: 'invalid', errors });
const conflict = (reason: string): Failure => ({ ok: false, kind: 'conflict', reason });

/** The last day a term may run: `termYears` from validFrom (less a day), never past the right's own expiry. */
export function maximumValidUntil(fields: Pick<RecordationFields, 'validFrom' | 'trademarkRegistration'>, rules: AuthorityRules): string | undefined {
  const termEnd = rules.termYears === null ? undefined : addDays(addYears(fields.validFrom, rules.termYears), -1);
  const rightEnd = fields.trademarkRegistration?.expiresOn;
  if (termEnd === undefined) return rightEnd;
  return earliest(termEnd, rightEnd);
}

/** Rules a full set of fields must satisfy for this authority, whatever the transition. */
export function ruleErrors(fields: RecordationFields, rules: AuthorityRules, today: string, options: { requireFutureEnd: boolean }): FieldError[] {
  const errors: FieldError[] = [];
  if (!rules.trademarkOffices.includes(fields.trademarkRegistration.office)) {
    errors.push({ field: 'trademarkRegistration.office', reason: `must be one of: ${rules.trademarkOffices.join(', ')}` });
  }
  if (fields.mark.script !== undefined && !rules.acceptedScripts.includes(fields.mark.script)) {
    errors.push({ field: 'mark.script', reason: `must be one of: ${rules.acceptedScripts.join(', ')}` });
  }
  if (fields.validUntil <= fields.validFrom) errors.push({ field: 'validUntil', reason: 'must be after validFrom' });
  const maximum = maximumValidUntil(fields, rules);
  if (maximum !== undefined && fields.validUntil > maximum) {
    errors.push({
      field: 'validUntil',
      reason:
        `must not be after ${maximum}` +
        (rules.termYears ? ` (${rules.termYears} years from validFrom, capped at the registration's expiry)` : " (the registration's expiry)"),
    });
  }
  if (options.requireFutureEnd && fields.validUntil < today) errors.push({ field: 'validUntil', reason: `must not be in the past (today is ${today})` });
  if (fields.restrictions) {
    const seen = new Set<string>();
    for (const [index, restriction] of fields.restrictions.entries()) {
      if (seen.has(restriction.field)) errors.push({ field: `restrictions.${index}.field`, reason: 'is restricted twice' });
      seen.add(restriction.field);
    }
  }
  return errors;
}

/** A new recordation. `input.validUntil` may be omitted where the authority's term is fixed (computed). */
export function createRecordation(
  input: Omit<RecordationFields, 'validUntil'> & { validUntil?: string },
  recordationNumber: string,
  rules: AuthorityRules,
  today: string,
): Transition {
  const numberErrors: FieldError[] = rules.numberPattern.test(recordationNumber)
    ? []
    : [{ field: 'recordationNumber', reason: `must look like ${rules.numberExample}` }];
  let validUntil = input.validUntil;
  if (validUntil === undefined) {
    validUntil = rules.termYears === null ? undefined : maximumValidUntil(input, rules);
    if (validUntil === undefined) return invalid([...numberErrors, { field: 'validUntil', reason: 'is required (this authority has no fixed term)' }]);
  }
  const fields: RecordationFields = { ...input, validUntil };
  const errors = [...numberErrors, ...ruleErrors(fields, rules, today, { requireFutureEnd: true })];
  if (errors.length) return invalid(errors);
  const state: RecordationState = { ...fields, recordationNumber, authority: rules.authority, status: 'active', version: 1 };
  return { ok: true, state, type: 'recordation.created', changedFields: Object.keys(fields).sort() };
}

/** Replaces the given top-level fields; an amendment that changes nothing publishes nothing. */
export function amendRecordation(current: RecordationState, patch: Partial<RecordationFields>, rules: AuthorityRules, today: string): Transition {
  if (TERMINAL.includes(current.status)) return conflict(`a ${current.status} recordation cannot be amended`);
  const unknown = Object.keys(patch).filter((field) => !(AMENDABLE_FIELDS as readonly string[]).includes(field));
  if (unknown.length) return invalid(unknown.map((field) => ({ field, reason: 'cannot be amended' })));
  const next: RecordationState = { ...current };
  const changed: string[] = [];
  for (const field of AMENDABLE_FIELDS) {
    if (!(field in patch)) continue;
    const value = patch[field];
    if (canonicalJson(value ?? null) === canonicalJson(current[field] ?? null)) continue;
    (next as unknown as Record<string, unknown>)[field] = value;
    changed.push(field);
  }
  if (!changed.length) return { ok: true, unchanged: true, state: current };
  // A shortened term may end in the past only by expiring: refuse it here.
  const errors = ruleErrors(next, rules, today, { requireFutureEnd: changed.includes('validUntil') });
  if (errors.length) return invalid(errors);
  return { ok: true, state: { ...next, version: current.version + 1 }, type: 'recordation.amended', changedFields: changed.sort() };
}

/** Extends the term. The Mainland allows it only in the last six months, by at most ten years. */
export function renewRecordation(current: RecordationState, validUntil: string, rules: AuthorityRules, today: string): Transition {
  if (current.status !== 'active') return conflict(`a ${current.status} recordation cannot be renewed`);
  if (current.validUntil < today) return conflict('the recordation has already run out; it expires rather than renews');
  if (validUntil <= current.validUntil) return invalid([{ field: 'validUntil', reason: `must be after the current validUntil ${current.validUntil}` }]);
  if (rules.renewalWindowMonths !== null) {
    const opens = addMonths(current.validUntil, -rules.renewalWindowMonths);
    if (today < opens) return conflict(`renewal opens on ${opens}, ${rules.renewalWindowMonths} months before validUntil ${current.validUntil}`);
  }
  if (rules.maxRenewalYears !== null) {
    const limit = addYears(current.validUntil, rules.maxRenewalYears);
    if (validUntil > limit)
      return invalid([{ field: 'validUntil', reason: `must not be after ${limit} (${rules.maxRenewalYears} years beyond the current term)` }]);
  }
  const rightEnd = current.trademarkRegistration.expiresOn;
  if (rightEnd !== undefined && validUntil > rightEnd) {
    return invalid([{ field: 'validUntil', reason: `must not be after the registration's expiry ${rightEnd}` }]);
  }
  return { ok: true, state: { ...current, validUntil, version: current.version + 1 }, type: 'recordation.renewed', changedFields: ['validUntil'] };
}

function changeStatus(current: RecordationState, status: RecordationStatus, statusReason: string, type: RecordationEventType): Transition {
  return {
    ok: true,
    state: { ...current, status, statusReason, version: current.version + 1 },
    type,
    changedFields: ['status', 'statusReason'],
  };
}

export function suspendRecordation(current: RecordationState, reason: string): Transition {
  if (current.status !== 'active') return conflict(`only an active recordation can be suspended (this one is ${current.status})`);
  return changeStatus(current, 'suspended', reason, 'recordation.suspended');
}

export function reinstateRecordation(current: RecordationState, reason: string, today: string): Transition {
  if (current.status !== 'suspended') return conflict(`only a suspended recordation can be reinstated (this one is ${current.status})`);
  if (current.validUntil < today) return conflict('the recordation has run out while suspended; it expires rather than reinstates');
  return changeStatus(current, 'active', reason, 'recordation.reinstated');
}

export function cancelRecordation(current: RecordationState, reason: CancellationReason, note?: string): Transition {
  if (TERMINAL.includes(current.status)) return conflict(`a ${current.status} recordation cannot be cancelled`);
  return changeStatus(current, 'cancelled', note ? `${reason}: ${note}` : reason, 'recordation.cancelled');
}

export function revokeRecordation(current: RecordationState, reason: string): Transition {
  if (TERMINAL.includes(current.status)) return conflict(`a ${current.status} recordation cannot be revoked`);
  return changeStatus(current, 'revoked', reason, 'recordation.revoked');
}

/** Ends a term that has run out: validUntil is the last valid day, so it expires the day after. */
export function expireRecordation(current: RecordationState, today: string): Transition {
  if (TERMINAL.includes(current.status)) return conflict(`a ${current.status} recordation cannot expire`);
  if (current.validUntil >= today) return conflict(`the recordation is valid until ${current.validUntil}`);
  return changeStatus(current, 'expired', `term ended on ${current.validUntil}`, 'recordation.expired');
}
