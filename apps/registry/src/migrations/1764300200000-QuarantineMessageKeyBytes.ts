import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * A Kafka message key is bytes, not text: a key with a NUL (which PostgreSQL text refuses) made the quarantine
 * insert, and so the whole batch transaction, fail on every retry. Stored as bytea, any key is kept as sent.
 */
export class QuarantineMessageKeyBytes1764300200000 implements MigrationInterface {
  name = 'QuarantineMessageKeyBytes1764300200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`ALTER TABLE ${s}.quarantine ALTER COLUMN message_key TYPE bytea USING convert_to(message_key, 'UTF8')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`ALTER TABLE ${s}.quarantine ALTER COLUMN message_key TYPE text USING replace(convert_from(message_key, 'UTF8'), chr(0), '')`);
  }
}
