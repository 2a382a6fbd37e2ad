import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '#platform';
import { MarkGrouping } from '../store/mark-grouping.js';
import { RegistryTables } from '../store/registry-tables.js';

/** Marks re-summarised per transaction. */
const PAGE = 500;

/**
 * `marks.conflicts` changed from every conflicting pair of recordations (`{ a, b }`, quadratic in a mark's size) to
 * one side per holder (`{ holder, recordations }`), and holders now link transitively (so `conflict` itself may
 * change). Marks stored in the old shape are re-summarised by the registry's own code; the rest are already current.
 * Down leaves them: the new shape says everything the pairs said.
 */
export class ConflictSides1764700000000 implements MigrationInterface {
  name = 'ConflictSides1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const tables = new RegistryTables(schemaOf(queryRunner));
    const grouping = new MarkGrouping(tables);
    const rows = (await queryRunner.query(
      `SELECT mark_id FROM ${tables.marks} WHERE jsonb_typeof(conflicts) = 'array' AND jsonb_array_length(conflicts) > 0 AND conflicts->0 ? 'a' ORDER BY mark_id`,
    )) as { mark_id: string }[];
    for (let start = 0; start < rows.length; start += PAGE) {
      await grouping.summarise(
        queryRunner.manager,
        rows.slice(start, start + PAGE).map((row) => row.mark_id),
      );
    }
  }

  async down(): Promise<void> {}
}
