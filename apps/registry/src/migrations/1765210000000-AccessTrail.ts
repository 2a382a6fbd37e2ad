import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * The access trail (issue 21, item 4): one row per officer lookup or auditor read — who (subject, authority, role),
 * when, the route, what was asked, and the recordations shown. Read by subject, by authority or by time, each in
 * (at, id) order: the keyset of GET /api/audit/access and of the retention delete.
 */
export class AccessTrail1765210000000 implements MigrationInterface {
  name = 'AccessTrail1765210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`CREATE TABLE ${s}.access_trail (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL,
      subject text NOT NULL,
      authority text,
      role text NOT NULL,
      method text NOT NULL,
      route text NOT NULL,
      path text NOT NULL,
      query jsonb NOT NULL,
      body jsonb,
      status int NOT NULL,
      shown text[] NOT NULL,
      shown_count int NOT NULL,
      duration_ms int NOT NULL
    )`);
    await queryRunner.query(`CREATE INDEX access_trail_at ON ${s}.access_trail (at, id)`);
    await queryRunner.query(`CREATE INDEX access_trail_subject ON ${s}.access_trail (subject, at, id)`);
    await queryRunner.query(`CREATE INDEX access_trail_authority ON ${s}.access_trail (authority, at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${quoteIdent(schemaOf(queryRunner))}.access_trail`);
  }
}
