import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/** An authority's system of record: recordations, the transactional outbox, idempotency keys, number sequences. */
export class CreateAuthoritySchema1764300000000 implements MigrationInterface {
  name = 'CreateAuthoritySchema1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query(`
      CREATE TABLE ${s}.recordations (
        recordation_number text PRIMARY KEY,
        status text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        data jsonb NOT NULL,
        valid_until date NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX recordations_updated ON ${s}.recordations (updated_at, recordation_number)`);
    await queryRunner.query(`CREATE INDEX recordations_status_until ON ${s}.recordations (status, valid_until)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.outbox (
        position bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        recordation_number text NOT NULL REFERENCES ${s}.recordations (recordation_number),
        sequence integer NOT NULL,
        type text NOT NULL,
        message bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        topic text,
        partition integer,
        "offset" bigint,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        UNIQUE (recordation_number, sequence)
      )`);
    await queryRunner.query(`CREATE INDEX outbox_pending ON ${s}.outbox (position) WHERE published_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE ${s}.idempotency_keys (
        key text PRIMARY KEY,
        fingerprint text NOT NULL,
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE TABLE ${s}.number_sequences (year integer PRIMARY KEY, last_value integer NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    for (const table of ['number_sequences', 'idempotency_keys', 'outbox', 'recordations']) await queryRunner.query(`DROP TABLE ${s}.${table}`);
  }
}
