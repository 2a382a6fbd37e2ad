import type { EventRef } from './merge.js';

/**
 * How provenance is stored: each distinct event once, and each field as an index into that list. A recordation's
 * fields are nearly all set by one or two events (1.14 on average in the benchmark's data), so the plain map
 * repeated the same ~250-byte reference for every field: 4.4 KB per recordation, 85 % of what each merge wrote
 * and what PostgreSQL parsed. Packed, it is about a tenth of that.
 */
export interface PackedProvenance {
  refs: EventRef[];
  fields: Record<string, number>;
}

function isPacked(stored: unknown): stored is PackedProvenance {
  if (typeof stored !== 'object' || stored === null) return false;
  const { refs, fields } = stored as Partial<PackedProvenance>;
  // A field map's values are EventRef objects, never an array and a map of numbers: the two forms cannot be confused.
  return Array.isArray(refs) && typeof fields === 'object' && fields !== null && Object.values(fields).every((index) => typeof index === 'number');
}

export function packProvenance(provenance: Readonly<Record<string, EventRef>>): PackedProvenance {
  const refs: EventRef[] = [];
  const indexOf = new Map<EventRef | string, number>();
  const fields: Record<string, number> = {};
  for (const [field, ref] of Object.entries(provenance)) {
    let index = indexOf.get(ref);
    if (index === undefined) {
      // By content too: references read back from storage are equal objects, not the same one.
      const content = JSON.stringify(ref, Object.keys(ref).sort());
      index = indexOf.get(content);
      if (index === undefined) {
        index = refs.push(ref) - 1;
        indexOf.set(content, index);
      }
      indexOf.set(ref, index);
    }
    fields[field] = index;
  }
  return { refs, fields };
}

/** The field → reference map again; also reads rows stored before packing (the plain map), unchanged. */
export function unpackProvenance(stored: unknown): Record<string, EventRef> {
  if (!isPacked(stored)) return stored as Record<string, EventRef>;
  const provenance: Record<string, EventRef> = {};
  for (const [field, index] of Object.entries(stored.fields)) {
    const ref = stored.refs[index];
    if (!ref) throw new RangeError(`stored provenance of field ${field} points at reference ${index} of ${stored.refs.length}`);
    provenance[field] = ref;
  }
  return provenance;
}
