import type { EntityManager } from 'typeorm';
import type { AuthorityCode, RecordationState } from '#contracts';
import { groupByKeys, markIdOfComponent, markKeysOf, pictureKeysOf, pictureOf, recordationId, storedMarkKeys, summariseMark, type AliasMap, type MarkKey, type MarkMemberData } from '#domain';
import { PictureStore } from './picture-store.js';
import type { RegistryTables } from './registry-tables.js';

/** Serialises regrouping across registry instances: marks span partitions, so two consumers may touch one. */
const MARK_LOCK = 'registry-marks';

type ChangedRecordation = { authority: AuthorityCode; recordationNumber: string; data: RecordationState };

interface KeyRow {
  key: string;
  authority: AuthorityCode;
  recordation_number: string;
}

/**
 * Keeps mark_keys, marks and recordations.mark_id in step after recordations change, inside the caller's
 * transaction. Only the connected components the changed recordations belong to (before and after) are
 * recomputed; the result is the same as grouping everything from scratch.
 */
export class MarkGrouping {
  private readonly pictures: PictureStore;

  constructor(private readonly tables: RegistryTables) {
    this.pictures = new PictureStore(tables);
  }

  async loadAliases(manager: EntityManager): Promise<Map<string, string>> {
    const rows: { from_key: string; to_key: string }[] = await manager.query(`SELECT from_key, to_key FROM ${this.tables.aliases}`);
    return new Map(rows.map((row) => [row.from_key, row.to_key]));
  }

  /**
   * Takes the registry's merge lock for the rest of the transaction. Callers take it FIRST, before any row lock:
   * marks span partitions, so merges of different partitions (or instances, or an alias change) are serialised
   * here rather than deadlocking on each other's rows.
   */
  async lock(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${MARK_LOCK}:${this.tables.schema}`]);
  }

  /** `changed` maps recordation ids to their new state; every mark they belonged to or now belong to is rebuilt. */
  async update(manager: EntityManager, changed: Map<string, ChangedRecordation>, aliases: AliasMap): Promise<void> {
    const { marks } = await this.assign(manager, changed, aliases, new Set());
    await this.summarise(manager, marks);
  }

  /**
   * Re-keys the changed recordations and recomputes the components they touch: stores the keys, moves the other
   * members to their new mark ids, deletes marks that no longer exist. Returns each member's mark id and the marks
   * to summarise — after the caller has written the recordations in `writtenByCaller` with those ids (the merge
   * writes them with their mark id in the same statement as their data: one row version, not two).
   */
  async assign(
    manager: EntityManager,
    changed: Map<string, ChangedRecordation>,
    aliases: AliasMap,
    writtenByCaller: ReadonlySet<string>,
  ): Promise<{ markOf: Map<string, string>; marks: string[] }> {
    if (!changed.size) return { markOf: new Map(), marks: [] };
    await this.lock(manager);

    // A picture's keys: its own and those of the stored pictures it matches (PictureStore.similarOf, pictureKeysOf).
    const pictures = [...new Set([...changed.values()].map((r) => pictureOf(r.data)).filter((sha256): sha256 is string => !!sha256))];
    const similar = await this.pictures.similarOf(manager, pictures);
    const newKeys = new Map<string, MarkKey[]>();
    for (const [id, recordation] of changed) newKeys.set(id, [...markKeysOf(recordation.data, aliases), ...pictureKeysOf(recordation.data, (sha256) => similar.get(sha256) ?? [])]);

    // Old keys of the changed recordations, and their old marks (to be rebuilt or removed).
    const authorities = [...changed.values()].map((r) => r.authority);
    const numbers = [...changed.values()].map((r) => r.recordationNumber);
    const oldKeyRows: KeyRow[] = await manager.query(
      `SELECT key, authority, recordation_number FROM ${this.tables.markKeys}
       WHERE kind <> 'pinyin' AND (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [authorities, numbers],
    );
    const seedKeys = new Set<string>([...oldKeyRows.map((row) => row.key), ...[...newKeys.values()].flat().map((k) => k.key)]);

    // Replace the changed recordations' keys (a new recordation has none to delete).
    const keyed = [...new Set(oldKeyRows.map((row) => recordationId(row.authority, row.recordation_number)))];
    if (keyed.length) {
      await manager.query(`DELETE FROM ${this.tables.markKeys} WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, [
        keyed.map((id) => id.slice(0, 2)),
        keyed.map((id) => id.slice(3)),
      ]);
    }
    // Pinyin readings are stored for search only (kind 'pinyin') and never walked when grouping: homophones are not one mark.
    const keyRows = [...changed].flatMap(([id, r]) => storedMarkKeys(newKeys.get(id)!).map((k) => ({ ...k, authority: r.authority, recordationNumber: r.recordationNumber })));
    if (keyRows.length) {
      await manager.query(
        `INSERT INTO ${this.tables.markKeys} (key, authority, recordation_number, kind, literal)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
        [keyRows.map((k) => k.key), keyRows.map((k) => k.authority), keyRows.map((k) => k.recordationNumber), keyRows.map((k) => k.kind), keyRows.map((k) => k.literal)],
      );
    }

    // Walk the key graph from the seeds to the whole affected components. The changed recordations are members
    // whatever their keys: one whose mark normalises to nothing ("★", "!!!") is a component of its own.
    const keysByRecordation = new Map<string, Set<string>>([...newKeys].map(([id, keys]) => [id, new Set(keys.map((k) => k.key))]));
    let frontier = [...seedKeys];
    const visitedKeys = new Set<string>();
    while (frontier.length) {
      frontier.forEach((key) => visitedKeys.add(key));
      const holders: KeyRow[] = await manager.query(`SELECT DISTINCT authority, recordation_number FROM ${this.tables.markKeys} WHERE key = ANY($1::text[]) AND kind <> 'pinyin'`, [frontier]);
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

    const oldMarkRows: { mark_id: string }[] = await manager.query(
      `SELECT DISTINCT mark_id FROM ${this.tables.recordations}
       WHERE (authority, recordation_number) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [[...keysByRecordation.keys()].map((id) => id.split(':')[0]), [...keysByRecordation.keys()].map((id) => id.slice(3))],
    );
    const components = groupByKeys(new Map([...keysByRecordation].map(([id, keys]) => [id, [...keys]])));
    const assignments = components.map((members) => ({ members, markId: markIdOfComponent(members, (id) => keysByRecordation.get(id)!) }));

    const markOf = new Map(assignments.flatMap((a) => a.members.map((member) => [member, a.markId] as const)));
    const moved = [...markOf].filter(([id]) => !writtenByCaller.has(id));
    const ids = moved.map(([id]) => id);
    const markIds = moved.map(([, markId]) => markId);
    if (ids.length) {
      await manager.query(
        `UPDATE ${this.tables.recordations} AS r SET mark_id = u.mark_id
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(authority, recordation_number, mark_id)
         WHERE r.authority = u.authority AND r.recordation_number = u.recordation_number AND r.mark_id IS DISTINCT FROM u.mark_id`,
        [ids.map((id) => id.slice(0, 2)), ids.map((id) => id.slice(3)), markIds],
      );
    }
    const live = new Set(assignments.map((a) => a.markId));
    const gone = oldMarkRows.map((row) => row.mark_id).filter((id) => id && !live.has(id));
    if (gone.length) await manager.query(`DELETE FROM ${this.tables.marks} WHERE mark_id = ANY($1::text[])`, [gone]);
    return { markOf, marks: [...live] };
  }

  /** Recomputes the derived fields of these marks from their recordations. */
  async summarise(manager: EntityManager, markIds: string[]): Promise<void> {
    if (!markIds.length) return;
    // Under the merge lock like every other write to marks (re-entrant: callers usually hold it already).
    await this.lock(manager);
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
