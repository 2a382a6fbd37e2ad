import { createHash } from 'node:crypto';
import type { AuthorityCode, RecordationState } from '#contracts';
import { pictureKeysOf } from '../pictures/perceptual-hash.js';
import { holderKey, literalKey, matchingKey } from './normalise.js';

/** `image`: `image:<sha256>` of the mark's picture and of the pictures that match it (pictureKeysOf). */
export type MarkKeyKind = 'text' | 'transliteration' | 'image';

/** A key under which a recordation's mark can be found and grouped. */
export interface MarkKey {
  key: string;
  kind: MarkKeyKind;
  /** The literal form (before 繁→简), to tell an exact match from a script match. */
  literal: string;
}

/** Regional aliases: matching key → the key it stands for (耐吉 → 耐克). Kept in a table admins extend. */
export type AliasMap = ReadonlyMap<string, string>;

/** Follows alias chains to their end (耐吉 → 耐克 → nike), stopping on a cycle. */
export function resolveAlias(key: string, aliases: AliasMap): string {
  let resolved = key;
  const visited = new Set<string>([key]);
  for (let next = aliases.get(resolved); next !== undefined && !visited.has(next); next = aliases.get(resolved)) {
    visited.add(next);
    resolved = next;
  }
  return resolved;
}

/** The keys of a recordation: its mark text and each transliteration, through the alias table. */
export function markKeysOf(data: Pick<RecordationState, 'mark'>, aliases: AliasMap): MarkKey[] {
  const keys = new Map<string, MarkKey>();
  const add = (text: string, kind: MarkKeyKind) => {
    const key = resolveAlias(matchingKey(text), aliases);
    if (key && !keys.has(key)) keys.set(key, { key, kind, literal: literalKey(text) });
  };
  add(data.mark.text, 'text');
  for (const transliteration of data.mark.transliterations ?? []) add(transliteration.text, 'transliteration');
  return [...keys.values()];
}

export function recordationId(authority: AuthorityCode, recordationNumber: string): string {
  return `${authority}:${recordationNumber}`;
}

/**
 * A mark groups the recordations that share any matching key (connected components: if HK's 愛馬仕 lists the
 * transliteration HERMES and MO records HERMÈS, both are one mark with CN's 爱马仕). The result depends only on
 * the key sets, never on the order events arrived in, so one consumer, two consumers and a replay agree.
 */
export function groupByKeys(keysByRecordation: ReadonlyMap<string, readonly string[]>): string[][] {
  const parent = new Map<string, string>();
  const find = (node: string): string => {
    let root = node;
    while (parent.get(root) !== root) root = parent.get(root)!;
    let cursor = node;
    while (parent.get(cursor) !== root) {
      const next = parent.get(cursor)!;
      parent.set(cursor, root);
      cursor = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    const [rootA, rootB] = [find(a), find(b)];
    if (rootA !== rootB) parent.set(rootA < rootB ? rootB : rootA, rootA < rootB ? rootA : rootB);
  };
  for (const [recordation, keys] of keysByRecordation) {
    const node = `r\u0000${recordation}`;
    if (!parent.has(node)) parent.set(node, node);
    for (const key of keys) {
      const keyNode = `k\u0000${key}`;
      if (!parent.has(keyNode)) parent.set(keyNode, keyNode);
      union(node, keyNode);
    }
  }
  const components = new Map<string, string[]>();
  for (const recordation of keysByRecordation.keys()) {
    const root = find(`r\u0000${recordation}`);
    components.set(root, [...(components.get(root) ?? []), recordation]);
  }
  return [...components.values()].map((members) => members.sort());
}

/**
 * The id of a component of recordations: from its smallest key; a component with no key at all (a mark such as
 * "★" that normalises to nothing) takes it from its recordations, so unrelated keyless marks never share an id.
 */
export function markIdOfComponent(members: readonly string[], keysOf: (recordation: string) => Iterable<string>): string {
  const keys = members.flatMap((member) => [...keysOf(member)]);
  return markIdOf(keys.length ? keys : members.map((member) => `recordation:${member}`));
}

/** A mark's id: derived from the smallest key of its component, so it is the same wherever it is computed. */
export function markIdOf(keys: Iterable<string>): string {
  let smallest: string | undefined;
  for (const key of keys) if (smallest === undefined || key < smallest) smallest = key;
  return `m_${createHash('sha256')
    .update(smallest ?? '')
    .digest('hex')
    .slice(0, 20)}`;
}

/** What a mark's summary reads of each member (the registry fetches only these fields). */
export type MarkMemberData = Pick<RecordationState, 'status' | 'rightsHolder'> & { mark: Pick<RecordationState['mark'], 'text'> };

export interface MarkMember {
  authority: AuthorityCode;
  recordationNumber: string;
  data: MarkMemberData;
}

/** Derived fields of a mark, each naming the recordation it comes from. */
export interface MarkSummary {
  displayText: string;
  /** `AUTHORITY:number` of the recordation the display text comes from. */
  displaySource: string;
  /** True when any recordation of the mark is active. */
  recorded: boolean;
  /** True when two authorities record it for different rights holders. */
  conflict: boolean;
  /**
   * When in conflict, both (or all) sides: the recordations grouped by rights holder, holders matched across
   * scripts and legal forms; empty otherwise. One entry per holder, not per pair of recordations: a mark recorded
   * a hundred times would otherwise carry thousands of pairs, rewritten on every merge that touches it.
   */
  conflicts: HolderSide[];
}

export interface HolderSide {
  /** The holder's name as its first recordation (authority order) gives it. */
  holder: string;
  /** `AUTHORITY:number`, in authority order. */
  recordations: string[];
}

const AUTHORITY_ORDER: Record<AuthorityCode, number> = { CN: 0, HK: 1, MO: 2 };

/** holderKey runs opencc on every name and big marks are re-summarised often: the same names, again and again. */
const holderKeyCache = new Map<string, string>();
const HOLDER_KEY_CACHE_SIZE = 100_000;

function cachedHolderKey(name: string): string {
  let key = holderKeyCache.get(name);
  if (key === undefined) {
    if (holderKeyCache.size >= HOLDER_KEY_CACHE_SIZE) holderKeyCache.clear();
    key = holderKey(name);
    holderKeyCache.set(name, key);
  }
  return key;
}

function holderKeys(data: MarkMemberData): string[] {
  return data.rightsHolder.nameAlt
    ? [cachedHolderKey(data.rightsHolder.name), cachedHolderKey(data.rightsHolder.nameAlt)]
    : [cachedHolderKey(data.rightsHolder.name)];
}

/**
 * Display text: from the first active recordation in authority order (CN, HK, MO), else the first at all.
 * Holders: recordations sharing a normalised holder name (either script) are one holder, transitively (a name in
 * one recordation and its other-script form in another link them). Conflict: more than one holder, and more than
 * one authority — then some two authorities record the mark for different holders. Linear in the members.
 */
export function summariseMark(members: readonly MarkMember[]): MarkSummary {
  const ordered = [...members].sort(
    (a, b) =>
      AUTHORITY_ORDER[a.authority] - AUTHORITY_ORDER[b.authority] ||
      (a.recordationNumber < b.recordationNumber ? -1 : a.recordationNumber > b.recordationNumber ? 1 : 0),
  );
  const display = ordered.find((member) => member.data.status === 'active') ?? ordered[0];
  // Union-find over members, joined by any shared holder key.
  const parent = ordered.map((_, index) => index);
  const find = (index: number): number => {
    while (parent[index] !== index) index = parent[index] = parent[parent[index]];
    return index;
  };
  const memberOfKey = new Map<string, number>();
  ordered.forEach((member, index) => {
    for (const key of holderKeys(member.data)) {
      const other = memberOfKey.get(key);
      if (other === undefined) memberOfKey.set(key, index);
      else parent[find(index)] = find(other);
    }
  });
  const sides = new Map<number, HolderSide>();
  ordered.forEach((member, index) => {
    const root = find(index);
    const side = sides.get(root) ?? { holder: member.data.rightsHolder.name, recordations: [] };
    side.recordations.push(recordationId(member.authority, member.recordationNumber));
    sides.set(root, side);
  });
  const conflict = sides.size > 1 && new Set(ordered.map((member) => member.authority)).size > 1;
  return {
    displayText: display.data.mark.text,
    displaySource: recordationId(display.authority, display.recordationNumber),
    recorded: ordered.some((member) => member.data.status === 'active'),
    conflict,
    conflicts: conflict ? [...sides.values()] : [],
  };
}

/** A whole registry grouped into marks from scratch: what incremental regrouping must always agree with. */
export interface GroupedRegistry {
  /** Each recordation's grouping keys. */
  keysOf: Map<string, MarkKey[]>;
  /** Each recordation's mark id. */
  markOf: Map<string, string>;
  marks: { markId: string; members: string[]; summary: MarkSummary }[];
}

export function groupRegistry(
  recordations: ReadonlyMap<string, { authority: AuthorityCode; recordationNumber: string; data: RecordationState }>,
  aliases: AliasMap,
  similarPictures: (sha256: string) => readonly string[] = () => [],
): GroupedRegistry {
  const keysOf = new Map<string, MarkKey[]>();
  for (const [id, recordation] of recordations) keysOf.set(id, [...markKeysOf(recordation.data, aliases), ...pictureKeysOf(recordation.data, similarPictures)]);
  const markOf = new Map<string, string>();
  const marks: GroupedRegistry['marks'] = [];
  for (const members of groupByKeys(new Map([...keysOf].map(([id, keys]) => [id, keys.map((k) => k.key)])))) {
    const markId = markIdOfComponent(members, (id) => keysOf.get(id)!.map((k) => k.key));
    for (const member of members) markOf.set(member, markId);
    const summary = summariseMark(
      members.map((id) => ({
        authority: recordations.get(id)!.authority,
        recordationNumber: recordations.get(id)!.recordationNumber,
        data: recordations.get(id)!.data,
      })),
    );
    marks.push({ markId, members, summary });
  }
  return { keysOf, markOf, marks };
}
