import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * Pictures of figurative and combined marks, stored once per content hash (SHA-256 of the bytes, which the signed
 * event names), with the perceptual hashes the registry computed (64-bit DCT pHash and difference hash, as bigint)
 * and a thumbnail. Searches compare hashes with bit_count(xor) on this narrow table; the bytes are TOASTed.
 */
export class MarkPictures1765000200000 implements MigrationInterface {
  name = 'MarkPictures1765000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`
      CREATE TABLE ${s}.pictures (
        sha256 text PRIMARY KEY,
        media_type text NOT NULL,
        width int NOT NULL,
        height int NOT NULL,
        phash bigint,
        dhash bigint,
        bytes bytea NOT NULL,
        thumbnail bytea,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`ALTER TABLE ${s}.pictures ALTER COLUMN bytes SET COMPRESSION lz4`);
    // A search by picture finds the recordations of the pictures it matched.
    await queryRunner.query(`CREATE INDEX recordations_picture ON ${s}.recordations ((data #>> '{mark,representation,sha256}'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`DROP INDEX ${s}.recordations_picture`);
    await queryRunner.query(`DROP TABLE ${s}.pictures`);
  }
}
