import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/** The large jsonb and bytea columns, written on every merge (an event's payload and signed bytes are kilobytes each). */
const COLUMNS: readonly [table: string, column: string][] = [
  ['recordations', 'data'],
  ['recordations', 'provenance'],
  ['events', 'payload'],
  ['events', 'changes'],
  ['events', 'signed'],
];

/**
 * TOAST-compresses those columns with lz4 instead of the default pglz, which compresses several times faster at a
 * similar ratio. Landed with the packing of provenance (the change that moved the ingest figures); on its own its
 * effect was within the benchmark's noise. Values stored before keep their pglz form (both are read transparently).
 * A server built without lz4 keeps pglz: the migration must not stop a registry from starting.
 */
export class Lz4Compression1764500000000 implements MigrationInterface {
  name = 'Lz4Compression1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.setCompression(queryRunner, 'lz4');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.setCompression(queryRunner, 'pglz');
  }

  private async setCompression(queryRunner: QueryRunner, method: 'lz4' | 'pglz'): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    const statements = COLUMNS.map(
      ([table, column]) => `ALTER TABLE ${s}.${quoteIdent(table)} ALTER COLUMN ${quoteIdent(column)} SET COMPRESSION ${method};`,
    ).join(' ');
    await queryRunner.query(
      `DO $$ BEGIN ${statements} EXCEPTION WHEN feature_not_supported THEN RAISE NOTICE 'lz4 is not supported by this server; keeping pglz'; END $$`,
    );
  }
}
