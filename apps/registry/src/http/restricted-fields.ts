import type { AuthorityCode, RecordationState } from '#contracts';
import type { Principal } from '#platform';

/**
 * Fields a recordation restricts to named authorities are shown only to officers of those authorities (and of
 * the recording authority itself) and to auditors. Returns what this principal may see, and what was withheld.
 */
export function visibleTo<T extends { authority: AuthorityCode; data: RecordationState; provenance: Record<string, unknown> }>(
  recordation: T,
  principal: Principal | undefined,
): T & { withheld: string[] } {
  const restrictions = recordation.data.restrictions ?? [];
  if (principal?.role === 'auditor') return { ...recordation, withheld: [] };
  const viewer = principal?.authority;
  const withheld = restrictions
    .filter((restriction) => viewer !== recordation.authority && !(viewer !== undefined && restriction.sharedWith.includes(viewer)))
    .map((restriction) => restriction.field);
  if (!withheld.length) return { ...recordation, withheld };
  const data = { ...recordation.data } as Record<string, unknown>;
  const provenance = { ...recordation.provenance };
  for (const field of withheld) {
    delete data[field];
    delete provenance[field];
  }
  return { ...recordation, data: data as unknown as RecordationState, provenance, withheld };
}
