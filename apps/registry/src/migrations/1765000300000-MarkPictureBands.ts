import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * Multi-index hashing for pictures: the four 16-bit bands of each hash indexed, so a search by picture and the
 * grouping's similarity lookup read the candidates sharing a band (± one bit) instead of every row. At 1 000 000
 * pictures the whole-table bit_count scan took about a second a search (bench/RESULTS.md).
 */
export class MarkPictureBands1765000300000 implements MigrationInterface {
  name = 'MarkPictureBands1765000300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    for (const column of ['phash', 'dhash']) {
      for (const shift of [48, 32, 16, 0]) {
        await queryRunner.query(`CREATE INDEX pictures_${column}_band${shift} ON ${s}.pictures ((((${column} >> ${shift}) & 65535)::int))`);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    for (const column of ['phash', 'dhash']) for (const shift of [48, 32, 16, 0]) await queryRunner.query(`DROP INDEX ${s}.pictures_${column}_band${shift}`);
  }
}
