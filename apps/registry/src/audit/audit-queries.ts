import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { authorityForTopic, decodeSignedEvent, type TopicSet, type TrustedKey } from '#contracts';
import { REGISTRY_TOPICS, TRUSTED_KEYS } from '../consumer/registry-consumer.js';
import { RegistryTables } from '../store/registry-tables.js';

/** Auditors' checks on stored facts: re-verifying signatures, reading the quarantine. */
@Injectable()
export class AuditQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
    @Inject(TRUSTED_KEYS) private readonly trustedKeys: ReadonlyMap<string, TrustedKey>,
    @Inject(REGISTRY_TOPICS) private readonly topics: TopicSet,
  ) {}

  /** Verifies every stored copy of an event again, from its original signed bytes, against today's trusted keys. */
  async verify(eventId: string) {
    const rows: { topic: string; partition: number; offset: string; signed: Buffer; disposition: string; key_id: string }[] = await this.dataSource.query(
      `SELECT topic, partition, "offset", signed, disposition, key_id FROM ${this.tables.events} WHERE event_id = $1 ORDER BY topic, partition, "offset"`,
      [eventId],
    );
    return rows.map((row) => {
      const decoded = decodeSignedEvent(row.signed, this.trustedKeys, authorityForTopic(row.topic, this.topics));
      return {
        topic: row.topic,
        partition: row.partition,
        offset: row.offset,
        disposition: row.disposition,
        keyId: row.key_id,
        verified: decoded.ok,
        ...(decoded.ok ? {} : { reason: decoded.reason, detail: decoded.detail }),
      };
    });
  }

  async quarantine(limit: number) {
    const rows: { topic: string; partition: number; offset: string; reason: string; detail: string; key_id: string | null; received_at: Date; size: number }[] =
      await this.dataSource.query(
        `SELECT topic, partition, "offset", reason, detail, key_id, received_at, octet_length(raw) AS size FROM ${this.tables.quarantine}
         ORDER BY received_at DESC, topic, partition, "offset" LIMIT $1`,
        [limit],
      );
    return rows.map((row) => ({
      topic: row.topic,
      partition: row.partition,
      offset: row.offset,
      reason: row.reason,
      detail: row.detail,
      keyId: row.key_id,
      receivedAt: row.received_at,
      bytes: row.size,
    }));
  }
}
