import type { AuthorityCode, FieldRestriction } from '#contracts';

/** Who reads: an officer of an authority, or an auditor (who sees everything and whose reads are logged). */
export interface Viewer {
  role: string;
  authority?: AuthorityCode;
}

/** Today's restrictions of a recordation, by `${authority}/${recordationNumber}`. */
export type RestrictionsOf = (authority: AuthorityCode, recordationNumber: string) => readonly FieldRestriction[] | undefined;

const AUTHORITY = /^(CN|HK|MO)$/;

function mayRead(viewer: Viewer, owner: AuthorityCode, restriction: FieldRestriction): boolean {
  if (viewer.role === 'auditor') return true;
  return viewer.authority !== undefined && (viewer.authority === owner || restriction.sharedWith.includes(viewer.authority));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The one redaction policy of every officer response (issue 22, items 8 and 9). It walks the whole response and,
 * in every object that is a recordation (it names an `authority` and a `recordationNumber`), removes each field the
 * viewer may not read — from the object, its `data`, its `provenance` and any `changes` — whatever query produced
 * it and whichever fields that query chose. The restrictions applied are the union of those the object carries (as
 * it stood then, for an `asOf` view) and today's (`current`): a field restricted today stays hidden in every
 * historical view. A viewer outside a restriction's scope is not told the field exists: the restriction itself is
 * removed from `restrictions`, and no `withheld` list is returned.
 */
export function redactForViewer<T>(response: T, viewer: Viewer, current: RestrictionsOf = () => undefined): T {
  return redact(response, viewer, current) as T;
}

function redact(value: unknown, viewer: Viewer, current: RestrictionsOf): unknown {
  if (Array.isArray(value)) return value.map((item) => redact(item, viewer, current));
  if (!isRecord(value)) return value;
  // Which fields to hide is decided on the object as it came (its nested data is redacted on its own below).
  const hidden = isRecordation(value) ? hiddenFields(value, value.authority, value.recordationNumber, viewer, current) : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redact(item, viewer, current);
  return hidden ? redactRecordation(out, hidden) : out;
}

function isRecordation(value: Record<string, unknown>): value is Record<string, unknown> & { authority: AuthorityCode; recordationNumber: string } {
  return typeof value.authority === 'string' && AUTHORITY.test(value.authority) && typeof value.recordationNumber === 'string';
}

function hiddenFields(recordation: Record<string, unknown>, owner: AuthorityCode, number: string, viewer: Viewer, current: RestrictionsOf): Set<string> {
  const data = isRecord(recordation.data) ? recordation.data : undefined;
  const carried = [recordation.restrictions, data?.restrictions].flatMap((list) => (Array.isArray(list) ? (list as FieldRestriction[]) : []));
  const restrictions = [...carried, ...(current(owner, number) ?? [])];
  return new Set(restrictions.filter((restriction) => !mayRead(viewer, owner, restriction)).map((restriction) => restriction.field as string));
}

function redactRecordation(recordation: Record<string, unknown>, hidden: Set<string>): Record<string, unknown> {
  delete recordation.withheld;
  const data = isRecord(recordation.data) ? recordation.data : undefined;
  if (!hidden.size) return recordation;
  const strip = (target: unknown) => {
    if (!isRecord(target)) return;
    for (const field of hidden) delete target[field];
    if (Array.isArray(target.restrictions)) target.restrictions = (target.restrictions as FieldRestriction[]).filter((r) => !hidden.has(r.field));
  };
  strip(recordation);
  strip(data);
  strip(recordation.provenance);
  if (Array.isArray(recordation.changes))
    recordation.changes = (recordation.changes as unknown[]).filter((change) => !(isRecord(change) && hidden.has(String(change.field))));
  else strip(recordation.changes);
  return recordation;
}

/** Every recordation a response names (`authority` + `recordationNumber`), once: whose restrictions to read. */
export function recordationRefs(response: unknown): { authority: AuthorityCode; recordationNumber: string }[] {
  const found = new Map<string, { authority: AuthorityCode; recordationNumber: string }>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!isRecord(value)) return;
    if (typeof value.authority === 'string' && AUTHORITY.test(value.authority) && typeof value.recordationNumber === 'string') {
      found.set(`${value.authority}/${value.recordationNumber}`, { authority: value.authority as AuthorityCode, recordationNumber: value.recordationNumber });
    }
    Object.values(value).forEach(walk);
  };
  walk(response);
  return [...found.values()];
}
