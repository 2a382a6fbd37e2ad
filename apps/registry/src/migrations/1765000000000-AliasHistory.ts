import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * Every alias change, kept: `aliases` holds only the current target of each alias (a change overwrote who set what
 * and when). `alias_changes` is append-only: what was set, the target it replaced, by whom, when; auditors read it
 * at GET /api/admin/aliases/history. The aliases that exist are copied in as their first change.
 */
export class AliasHistory1765000000000 implements MigrationInterface {
  name = 'AliasHistory1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`
      CREATE TABLE ${s}.alias_changes (
        position bigserial PRIMARY KEY,
        from_key text NOT NULL,
        to_key text NOT NULL,
        from_text text NOT NULL,
        to_text text NOT NULL,
        previous_to_key text,
        set_by text NOT NULL,
        set_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `INSERT INTO ${s}.alias_changes (from_key, to_key, from_text, to_text, set_by, set_at)
       SELECT from_key, to_key, from_text, to_text, created_by, created_at FROM ${s}.aliases ORDER BY created_at`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${quoteIdent(schemaOf(queryRunner))}.alias_changes`);
  }
}
