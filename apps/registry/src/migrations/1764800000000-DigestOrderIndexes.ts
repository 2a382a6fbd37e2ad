import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * The digest pages through recordations and marks in code-point order (COLLATE "C": the same order wherever it is
 * computed, whatever the database's collation). The primary keys use the database's collation, so each page was a
 * scan and sort of the whole table (EXPLAIN: 35 ms a page at 17 000 recordations; a 1 M registry has 1 000 pages).
 */
export class DigestOrderIndexes1764800000000 implements MigrationInterface {
  name = 'DigestOrderIndexes1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`CREATE INDEX recordations_code_point_order ON ${s}.recordations (authority COLLATE "C", recordation_number COLLATE "C")`);
    await queryRunner.query(`CREATE INDEX marks_code_point_order ON ${s}.marks (mark_id COLLATE "C")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`DROP INDEX ${s}.marks_code_point_order`);
    await queryRunner.query(`DROP INDEX ${s}.recordations_code_point_order`);
  }
}
