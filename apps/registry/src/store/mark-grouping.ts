import type { EntityManager } from 'typeorm';
import type { AuthorityCode, RecordationState } from '#contracts';
import {
  groupByKeys,
  markIdOfComponent,
  markKeysOf,
  pictureKeysOf,
  pictureOf,
  recordationId,
  storedMarkKeys,
  summariseMark,
  type AliasMap,
  type MarkKey,
  type MarkMemberData,
} from '#domain';
import { PictureStore } from './picture-store.js';
import type { RegistryTables } from './registry-tables.js';

/**
 * The alias lock: an alias change takes it exclusively (it re-keys recordations of any partition); a merge that
 * changes keys takes it shared (so it reads one alias table from start to end). Merges that change no key never
 * take it.
 */
const ALIAS_LOCK = 'registry-marks';

type ChangedRecordation = { authority: AuthorityCode; recordationNumber: string; data: RecordationState };

interface KeyRow {
  key: string;
  authority: AuthorityCode;
  recordation_number: string;
}

/**
 * A merge could not take a lock it needed out of the fixed order without waiting (another merge holds it): the
 * transaction is rolled back and retried (waiting there could deadlock). Rare: it needs a regrouping of the same
 * mark to commit in the instant between two statements.
 */
export class MergeContention extends Error {
  constructor(
    what: string,
    /** The locks the attempt wanted: the retry waits for them in order from the start (LockHints). */
    readonly wanted: { keys?: Iterable<string>; marks?: Iterable<string> },
  ) {
    super(`merge lock contention: ${what}; retry the transaction`);
    this.name = 'MergeContention';
  }
}

/**
 * What earlier attempts of one merge transaction learned it needs: a retry waits for these keys and marks in the
 * fixed order with the others it knows of at the start (extra locks are harmless), so it cannot lose the same race
 * again and again.
 */
export class LockHints {
  readonly keys = new Set<string>();
  readonly marks = new Set<string>();

  learn(contention: MergeContention): void {
    for (const key of contention.wanted.keys ?? []) this.keys.add(key);
    for (const mark of contention.wanted.marks ?? []) this.marks.add(mark);
  }
}

/**
 * Keeps mark_keys, marks and recordations.mark_id in step after recordations change, inside the caller's
 * transaction. Only the connected components the changed recordations belong to (before and after) are
 * recomputed; the result is the same as grouping everything from scratch.
 *
 * Locks (transaction-scoped advisory locks), always in this order, so two merges cannot deadlock:
 * 1. the alias lock (shared; exclusive for an alias change) — only when keys change;
 * 2. key locks — the changed recordations' old and new keys (sorted, waiting), then every other key of the
 *    components they walk into, without waiting (`pg_try_…`; busy → MergeContention, the transaction is retried);
 * 3. mark locks — every mark id a touched recordation or a walked component had or gets (sorted, waiting), plus,
 *    without waiting, any mark a touched recordation moved to meanwhile;
 * 4. row writes (recordations, mark_keys, marks), each covered by the locks above: a recordation row is written only
 *    by a holder of its current mark's lock, mark_keys rows only by holders of their keys, marks rows only by
 *    holders of their id. So no merge waits for a row lock held by another merge, and lock waits only go forward
 *    in the order above: no cycle.
 */
export class MarkGrouping {
  private readonly pictures: PictureStore;

  constructor(
    private readonly tables: RegistryTables,
    /**
     * Told how long each statement taking merge locks took (seconds), and whether it was blocked by another
     * merge's lock (registry_merge_lock_wait_seconds and registry_merge_lock_blocked_seconds).
     */
    private readonly onLockWait?: (seconds: number, blocked: boolean) => void,
  ) {
    this.pictures = new PictureStore(tables);
  }

  async loadAliases(manager: EntityManager): Promise<Map<string, string>> {
    const rows: { from_key: string; to_key: string }[] = await manager.query(`SELECT from_key, to_key FROM ${this.tables.aliases}`);
    return new Map(rows.map((row) => [row.from_key, row.to_key]));
  }

  /** The alias lock, exclusively, for the rest of the transaction: an alias change takes it FIRST. */
  async lock(manager: EntityManager): Promise<void> {
    await this.timed(
      manager.query(
        `SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext($1)) THEN false ELSE (SELECT true FROM pg_advisory_xact_lock(hashtext($1))) END AS waited`,
        [`${ALIAS_LOCK}:${this.tables.schema}`],
      ),
    );
  }

  /** The alias lock, shared: a merge that changes keys takes it before reading the alias table. */
  async lockShared(manager: EntityManager): Promise<void> {
    await this.timed(
      manager.query(
        `SELECT CASE WHEN pg_try_advisory_xact_lock_shared(hashtext($1)) THEN false ELSE (SELECT true FROM pg_advisory_xact_lock_shared(hashtext($1))) END AS waited`,
        [`${ALIAS_LOCK}:${this.tables.schema}`],
      ),
    );
  }

  /**
   * Transaction-scoped locks on these keys or mark ids, in one fixed order (by the lock's hash), waiting for each;
   * or, with `wait` false, only those free now (false when one is not: the caller must not wait for it out of order).
   */
  private async lockValues(manager: EntityManager, space: 'key' | 'mark', values: Iterable<string>, wait: boolean): Promise<boolean> {
    const list = [...new Set(values)];
    if (!list.length) return true;
    const namespace = `${ALIAS_LOCK}:${space}:${this.tables.schema}`;
    if (wait) {
      // Each lock in order, waiting only when it is held by another merge (tried first, so the statement says
      // whether it was blocked at all).
      await this.timed(
        manager.query(
          `SELECT bool_or(CASE WHEN pg_try_advisory_xact_lock(hashtext($1), h) THEN false ELSE (SELECT true FROM pg_advisory_xact_lock(hashtext($1), h)) END) AS waited
           FROM (SELECT DISTINCT hashtext(v) AS h FROM unnest($2::text[]) AS v ORDER BY h) AS s`,
          [namespace, list],
        ),
      );
      return true;
    }
    const [row]: { ok: boolean }[] = await manager.query(
      `SELECT bool_and(pg_try_advisory_xact_lock(hashtext($1), h)) AS ok FROM (SELECT DISTINCT hashtext(v) AS h FROM unnest($2::text[]) AS v ORDER BY h) AS s`,
      [namespace, list],
    );
    return row.ok;
  }

  private async timed(query: Promise<{ waited: boolean | null }[]>): Promise<void> {
    const began = process.hrtime.bigint();
    const [row] = await query;
    this.onLockWait?.(Number(process.hrtime.bigint() - began) / 1e9, row?.waited === true);
  }

  /** The current mark id of each of these recordations (those that exist). */
  private async markIdsOf(manager: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows: { authority: AuthorityCode; recordation_number: string; mark_id: string }[] = await manager.query(
      `SELECT authority, recordation_number, mark_id FROM ${this.tables.recordations} WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [ids.map((id) => id.slice(0, 2)), ids.map((id) => id.slice(3))],
    );
    return new Map(rows.map((row) => [recordationId(row.authority, row.recordation_number), row.mark_id]));
  }

  /**
   * `changed` maps recordation ids to their new state; every mark they belonged to or now belong to is rebuilt.
   * The caller holds the alias lock exclusively (an alias change).
   */
  async update(manager: EntityManager, changed: Map<string, ChangedRecordation>, aliases: AliasMap): Promise<void> {
    const { marks } = await this.assign(manager, changed, aliases, new Set(), []);
    await this.summarise(manager, marks);
  }

  /**
   * Re-keys the changed recordations and recomputes the components they touch: stores the keys, moves the other
   * members to their new mark ids, deletes marks that no longer exist. `others` are recordations the caller changes
   * without changing their keys (a renewal, a status change): their marks are locked too, and their current mark id
   * returned. Returns each member's mark id and the marks to summarise — after the caller has written the
   * recordations in `writtenByCaller` with those ids (the merge writes them with their mark id in the same
   * statement as their data: one row version, not two). With `changed` non-empty the caller holds the alias lock
   * (shared or exclusive) and read `aliases` under it.
   */
  async assign(
    manager: EntityManager,
    changed: Map<string, ChangedRecordation>,
    aliases: AliasMap,
    writtenByCaller: ReadonlySet<string>,
    others: readonly string[],
    hints: LockHints = new LockHints(),
  ): Promise<{ markOf: Map<string, string>; marks: string[] }> {
    const unkeyed = others.filter((id) => !changed.has(id));
    if (!changed.size) {
      const markOf = await this.lockMarksOf(manager, unkeyed, [...hints.marks]);
      return { markOf, marks: [...new Set(markOf.values())] };
    }

    // A picture's keys: its own and those of the stored pictures it matches (PictureStore.similarOf, pictureKeysOf).
    const pictures = [...new Set([...changed.values()].map((r) => pictureOf(r.data)).filter((sha256): sha256 is string => !!sha256))];
    const similar = await this.pictures.similarOf(manager, pictures);
    const newKeys = new Map<string, MarkKey[]>();
    for (const [id, recordation] of changed)
      newKeys.set(id, [...markKeysOf(recordation.data, aliases), ...pictureKeysOf(recordation.data, (sha256) => similar.get(sha256) ?? [])]);

    // Old keys of the changed recordations, and their old marks (to be rebuilt or removed). Only this merge (it
    // holds the partition) or an alias change (excluded by the alias lock) re-keys them: no lock needed to read.
    const authorities = [...changed.values()].map((r) => r.authority);
    const numbers = [...changed.values()].map((r) => r.recordationNumber);
    const oldKeyRows: KeyRow[] = await manager.query(
      `SELECT key, authority, recordation_number FROM ${this.tables.markKeys}
       WHERE kind <> 'pinyin' AND (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [authorities, numbers],
    );
    const seedKeys = new Set<string>([...oldKeyRows.map((row) => row.key), ...[...newKeys.values()].flat().map((k) => k.key)]);
    // The keys this merge changes, waiting for them in the fixed order.
    await this.lockValues(manager, 'key', [...seedKeys, ...hints.keys], true);
    const heldKeys = new Set([...seedKeys, ...hints.keys]);

    // Replace the changed recordations' keys (a new recordation has none to delete).
    const keyed = [...new Set(oldKeyRows.map((row) => recordationId(row.authority, row.recordation_number)))];
    if (keyed.length) {
      await manager.query(`DELETE FROM ${this.tables.markKeys} WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, [
        keyed.map((id) => id.slice(0, 2)),
        keyed.map((id) => id.slice(3)),
      ]);
    }
    // Pinyin readings are stored for search only (kind 'pinyin') and never walked when grouping: homophones are not one mark.
    const keyRows = [...changed].flatMap(([id, r]) =>
      storedMarkKeys(newKeys.get(id)!).map((k) => ({ ...k, authority: r.authority, recordationNumber: r.recordationNumber })),
    );
    if (keyRows.length) {
      await manager.query(
        `INSERT INTO ${this.tables.markKeys} (key, authority, recordation_number, kind, literal)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
        [
          keyRows.map((k) => k.key),
          keyRows.map((k) => k.authority),
          keyRows.map((k) => k.recordationNumber),
          keyRows.map((k) => k.kind),
          keyRows.map((k) => k.literal),
        ],
      );
    }

    // Walk the key graph from the seeds to the whole affected components, then lock every key found; a walk is
    // only trusted when it ran with all the keys it found locked (a key's rows change only under its lock), so a
    // walk that found new keys is repeated once they are locked.
    let keysByRecordation: Map<string, Set<string>>;
    for (;;) {
      keysByRecordation = await this.walk(manager, newKeys, seedKeys);
      const found = new Set([...keysByRecordation.values()].flatMap((keys) => [...keys]));
      const missing = [...found].filter((key) => !heldKeys.has(key));
      if (!missing.length) break;
      if (!(await this.lockValues(manager, 'key', missing, false)))
        throw new MergeContention('a key of the component is being regrouped', { keys: [...heldKeys, ...missing] });
      for (const key of missing) heldKeys.add(key);
    }

    const members = [...keysByRecordation.keys()];
    const oldMarks = await this.markIdsOf(manager, members);
    const components = groupByKeys(new Map([...keysByRecordation].map(([id, keys]) => [id, [...keys]])));
    const assignments = components.map((component) => ({ members: component, markId: markIdOfComponent(component, (id) => keysByRecordation.get(id)!) }));
    const live = new Set(assignments.map((a) => a.markId));
    // Every mark the components had or get, and the marks of the recordations changed without their keys.
    const markOf = await this.lockMarksOf(manager, unkeyed, [...oldMarks.values(), ...live, ...hints.marks]);
    for (const a of assignments) for (const member of a.members) markOf.set(member, a.markId);

    const moved = movedMembers(assignments, writtenByCaller, oldMarks);
    if (moved.length) {
      await manager.query(
        `UPDATE ${this.tables.recordations} AS r SET mark_id = u.mark_id
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(authority, recordation_number, mark_id)
         WHERE r.authority = u.authority AND r.recordation_number = u.recordation_number AND r.mark_id IS DISTINCT FROM u.mark_id`,
        [moved.map(([id]) => id.slice(0, 2)), moved.map(([id]) => id.slice(3)), moved.map(([, markId]) => markId)],
      );
    }
    const gone = [...new Set(oldMarks.values())].filter((id) => id && !live.has(id));
    if (gone.length) await manager.query(`DELETE FROM ${this.tables.marks} WHERE mark_id = ANY($1::text[])`, [gone]);
    return { markOf, marks: [...new Set([...live, ...unkeyed.map((id) => markOf.get(id)!).filter(Boolean)])] };
  }

  /**
   * The connected components of mark_keys reachable from the seeds, with the changed recordations as members
   * whatever their keys (one whose mark normalises to nothing, "★", is a component of its own).
   */
  private async walk(manager: EntityManager, newKeys: ReadonlyMap<string, MarkKey[]>, seedKeys: ReadonlySet<string>): Promise<Map<string, Set<string>>> {
    const keysByRecordation = new Map<string, Set<string>>([...newKeys].map(([id, keys]) => [id, new Set(keys.map((k) => k.key))]));
    let frontier = [...seedKeys];
    const visitedKeys = new Set<string>();
    while (frontier.length) {
      frontier.forEach((key) => visitedKeys.add(key));
      const holders: KeyRow[] = await manager.query(
        `SELECT DISTINCT authority, recordation_number FROM ${this.tables.markKeys} WHERE key = ANY($1::text[]) AND kind <> 'pinyin'`,
        [frontier],
      );
      const fresh = holders.filter((row) => !keysByRecordation.has(recordationId(row.authority, row.recordation_number)));
      if (!fresh.length) break;
      const rows: KeyRow[] = await manager.query(
        `SELECT key, authority, recordation_number FROM ${this.tables.markKeys}
         WHERE kind <> 'pinyin' AND (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [fresh.map((row) => row.authority), fresh.map((row) => row.recordation_number)],
      );
      for (const row of fresh) keysByRecordation.set(recordationId(row.authority, row.recordation_number), new Set());
      for (const row of rows) keysByRecordation.get(recordationId(row.authority, row.recordation_number))!.add(row.key);
      frontier = rows.map((row) => row.key).filter((key) => !visitedKeys.has(key));
    }
    return keysByRecordation;
  }

  /**
   * Locks `marks` and the current marks of `ids` (sorted, waiting), then reads the ids' marks again: a regrouping
   * may have moved one between the read and the lock. A mark found that way is taken without waiting (it is out of
   * the fixed order); busy → MergeContention. Returns each id's mark, stable until the transaction ends.
   */
  private async lockMarksOf(manager: EntityManager, ids: readonly string[], marks: readonly string[]): Promise<Map<string, string>> {
    const before = await this.markIdsOf(manager, ids);
    const held = new Set([...marks, ...before.values()].filter(Boolean));
    await this.lockValues(manager, 'mark', held, true);
    if (!ids.length) return new Map();
    for (;;) {
      const current = await this.markIdsOf(manager, ids);
      const missing = [...new Set(current.values())].filter((id) => id && !held.has(id));
      if (!missing.length) return current;
      if (!(await this.lockValues(manager, 'mark', missing, false)))
        throw new MergeContention('a mark was regrouped meanwhile', { marks: [...held, ...missing] });
      for (const id of missing) held.add(id);
    }
  }

  /** Recomputes the derived fields of these marks from their recordations. */
  async summarise(manager: EntityManager, markIds: string[]): Promise<void> {
    if (!markIds.length) return;
    // Under the marks' locks like every other write to marks (re-entrant: the merge holds them already).
    await this.lockValues(manager, 'mark', markIds, true);
    // Only the fields a summary reads: the whole `data` of every member of every touched mark was about a sixth of a
    // merge's database time (pg_stat_activity samples).
    const rows: { mark_id: string; authority: AuthorityCode; recordation_number: string; data: MarkMemberData }[] = await manager.query(
      `SELECT mark_id, authority, recordation_number,
              jsonb_build_object('status', data->'status', 'rightsHolder', data->'rightsHolder', 'mark', jsonb_build_object('text', data->'mark'->'text')) AS data
       FROM ${this.tables.recordations} WHERE mark_id = ANY($1::text[])`,
      [markIds],
    );
    const byMark = new Map<string, typeof rows>();
    for (const row of rows) byMark.set(row.mark_id, [...(byMark.get(row.mark_id) ?? []), row]);
    const present = [...byMark.keys()];
    const summaries = present.map((markId) =>
      summariseMark(byMark.get(markId)!.map((row) => ({ authority: row.authority, recordationNumber: row.recordation_number, data: row.data }))),
    );
    const empty = markIds.filter((id) => !byMark.has(id));
    if (empty.length) await manager.query(`DELETE FROM ${this.tables.marks} WHERE mark_id = ANY($1::text[])`, [empty]);
    if (!present.length) return;
    await manager.query(
      `INSERT INTO ${this.tables.marks} (mark_id, display_text, display_source, recorded, conflict, conflicts, recordation_count)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::boolean[], $6::jsonb[], $7::int[])
       ON CONFLICT (mark_id) DO UPDATE SET display_text = EXCLUDED.display_text, display_source = EXCLUDED.display_source,
         recorded = EXCLUDED.recorded, conflict = EXCLUDED.conflict, conflicts = EXCLUDED.conflicts, recordation_count = EXCLUDED.recordation_count`,
      [
        present,
        summaries.map((s) => s.displayText),
        summaries.map((s) => s.displaySource),
        summaries.map((s) => s.recorded),
        summaries.map((s) => s.conflict),
        summaries.map((s) => JSON.stringify(s.conflicts)),
        present.map((id) => byMark.get(id)!.length),
      ],
    );
  }
}

/** Members whose mark id changes and that the caller does not write itself. */
function movedMembers(
  assignments: { members: string[]; markId: string }[],
  writtenByCaller: ReadonlySet<string>,
  oldMarks: ReadonlyMap<string, string>,
): [string, string][] {
  return assignments.flatMap((a) =>
    a.members.filter((id) => !writtenByCaller.has(id) && oldMarks.get(id) !== a.markId).map((id) => [id, a.markId] as [string, string]),
  );
}
