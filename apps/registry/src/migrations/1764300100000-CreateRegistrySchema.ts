import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent, schemaOf } from '#platform';

/**
 * The unified registry: the event store (every event received, by topic/partition/offset), the merged
 * recordations with per-field provenance, mark keys and marks, regional aliases, consumed offsets and quarantine.
 * Schema-agnostic so a replay can build the same tables in a fresh schema.
 */
export class CreateRegistrySchema1764300100000 implements MigrationInterface {
  name = 'CreateRegistrySchema1764300100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public');
    await queryRunner.query(`
      CREATE TABLE ${s}.events (
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        event_id uuid NOT NULL,
        authority text NOT NULL,
        recordation_number text NOT NULL,
        sequence integer NOT NULL,
        type text NOT NULL,
        event_time timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        disposition text NOT NULL CHECK (disposition IN ('applied', 'stale', 'duplicate', 'held')),
        key_id text NOT NULL,
        verified boolean NOT NULL,
        changes jsonb,
        payload jsonb NOT NULL,
        signed bytea NOT NULL,
        PRIMARY KEY (topic, partition, "offset")
      )`);
    await queryRunner.query(`CREATE INDEX events_event_id ON ${s}.events (event_id)`);
    await queryRunner.query(`CREATE INDEX events_recordation ON ${s}.events (authority, recordation_number, sequence)`);
    await queryRunner.query(`CREATE INDEX events_held ON ${s}.events (authority, recordation_number) WHERE disposition = 'held'`);
    await queryRunner.query(`CREATE INDEX events_received ON ${s}.events (received_at)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.recordations (
        authority text NOT NULL,
        recordation_number text NOT NULL,
        version integer NOT NULL,
        status text NOT NULL,
        data jsonb NOT NULL,
        provenance jsonb NOT NULL,
        mark_id text NOT NULL,
        valid_until date NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (authority, recordation_number)
      )`);
    await queryRunner.query(`CREATE INDEX recordations_mark ON ${s}.recordations (mark_id)`);
    await queryRunner.query(`CREATE INDEX recordations_number ON ${s}.recordations (recordation_number)`);
    await queryRunner.query(`CREATE INDEX recordations_registration ON ${s}.recordations ((data #>> '{trademarkRegistration,number}'))`);
    await queryRunner.query(`
      CREATE TABLE ${s}.mark_keys (
        key text NOT NULL,
        authority text NOT NULL,
        recordation_number text NOT NULL,
        kind text NOT NULL,
        literal text NOT NULL,
        PRIMARY KEY (key, authority, recordation_number)
      )`);
    await queryRunner.query(`CREATE INDEX mark_keys_recordation ON ${s}.mark_keys (authority, recordation_number)`);
    await queryRunner.query(`CREATE INDEX mark_keys_trigram ON ${s}.mark_keys USING gin (key public.gin_trgm_ops)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.marks (
        mark_id text PRIMARY KEY,
        display_text text NOT NULL,
        display_source text NOT NULL,
        recorded boolean NOT NULL,
        conflict boolean NOT NULL,
        conflicts jsonb NOT NULL,
        recordation_count integer NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.aliases (
        from_key text PRIMARY KEY,
        to_key text NOT NULL,
        from_text text NOT NULL,
        to_text text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.consumer_offsets (
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, partition)
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.quarantine (
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        reason text NOT NULL,
        detail text NOT NULL,
        key_id text,
        message_key text,
        raw bytea NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (topic, partition, "offset")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = quoteIdent(schemaOf(queryRunner));
    for (const table of ['quarantine', 'consumer_offsets', 'aliases', 'marks', 'mark_keys', 'recordations', 'events'])
      await queryRunner.query(`DROP TABLE ${s}.${table}`);
  }
}
