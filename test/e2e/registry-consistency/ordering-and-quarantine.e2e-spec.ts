import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { encodeSignedEvent, parsePrivateKey, RECORDATION_DATASCHEMA_V1, type RecordationEvent } from '#contracts';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/**
 * Delivery faults inside ONE batch of one partition (issue 4): a redelivered event, events out of order, and a
 * malformed message between good ones. The good ones apply, in order; the bad one is quarantined; nothing stalls.
 */
describe('registry ordering, duplicates and quarantine within a batch', () => {
  let system: TestSystem;
  let registry: INestApplication<Server>;
  const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
  const number = 'HK-2025-777001';

  function event(sequence: number, goods: string, idSuffix = `0${sequence}`): RecordationEvent {
    const type = sequence === 1 ? 'recordation.created' : 'recordation.amended';
    return {
      specversion: '1.0',
      id: `0193a000-0000-7000-8000-0000000000${idSuffix}`,
      type,
      source: 'HK',
      subject: number,
      sequence,
      time: `2026-01-0${sequence}T00:00:00.000Z`,
      dataschema: RECORDATION_DATASCHEMA_V1,
      datacontenttype: 'application/json',
      changedFields: sequence === 1 ? ['mark', 'goods'] : ['goods'],
      data: {
        ...(recordationBody('HK', { goods }) as object),
        recordationNumber: number,
        authority: 'HK',
        status: 'active',
        version: sequence,
      } as RecordationEvent['data'],
    };
  }

  beforeAll(async () => {
    system = await TestSystem.create('order');
    const key = { keyId: system.keys.signers.HK.keyId, privateKey: parsePrivateKey(system.keys.signers.HK.privateKey) };
    const signed = [1, 2, 3, 4].map((sequence) => encodeSignedEvent(event(sequence, `Goods v${sequence}`), key));
    // A second, different event with sequence 3 (an authority's retry gone wrong): the first in the log wins.
    const rivalOfThree = encodeSignedEvent(event(3, 'Goods v3 (rival)', '33'), key);
    const producer = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'order-test', ...TEST_KAFKA_PRINCIPALS.HK, logLevel: 'NOTHING' }).producer();
    await producer.connect();
    // One send, one key: one partition, in this order, before the registry starts (so it arrives as one batch).
    await producer.send({
      topic: system.topics.HK,
      messages: [
        { key: number, value: signed[0] },
        { key: number, value: Buffer.from('{"this is": "not a signed event"') },
        { key: number, value: signed[2] }, // sequence 3 before 2: held
        { key: number, value: rivalOfThree }, // another sequence 3: held too
        { key: number, value: signed[0] }, // redelivery of 1: duplicate
        { key: number, value: signed[1] }, // 2 fills the gap: 2 then the first 3 apply; the rival becomes stale
        { key: Buffer.from('bad\u0000key'), value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }, // a key PostgreSQL text cannot hold (another key: another partition)
        { key: number, value: signed[3] },
      ],
    });
    await producer.disconnect();
    registry = await system.startRegistry();
    await waitFor(async () => (await request(registry.getHttpServer()).get('/api/audit/digest').set(auditor)).body.events === 6, {
      description: 'six stored events',
    });
  });
  afterAll(() => system?.close());

  it('applies the good events in sequence order and ends at the last state', async () => {
    const detail = await request(registry.getHttpServer()).get(`/api/recordations/HK/${number}`).set(auditor).expect(200);
    expect(detail.body).toMatchObject({ version: 4, data: { goods: 'Goods v4' } });
    expect(detail.body.provenance.goods).toMatchObject({ sequence: 4, offset: '6' });
    expect(detail.body.provenance.mark).toMatchObject({ sequence: 1, offset: '0' });
  });

  it('records what became of each delivery', async () => {
    const history = await request(registry.getHttpServer()).get(`/api/recordations/HK/${number}/history`).set(auditor).expect(200);
    const dispositions = (history.body.events as { sequence: number; offset: string; disposition: string }[]).map(
      (e) => `${e.sequence}@${e.offset}:${e.disposition}`,
    );
    expect(dispositions.sort()).toEqual(['1@0:applied', '1@4:duplicate', '2@5:applied', '3@2:applied', '3@3:stale', '4@6:applied'].sort());
  });

  it('quarantines the malformed messages with their reasons and keeps the partition moving', async () => {
    // The NUL-keyed message went to another partition (at its offset 0), a batch of its own that may land after the
    // six events the set-up waited for: wait for both quarantine rows, then check them.
    const mine = await waitFor(
      async () => {
        const quarantine = await request(registry.getHttpServer()).get('/api/audit/quarantine').set(auditor).expect(200);
        const items = (quarantine.body.items as { topic: string; offset: string; reason: string }[]).filter((item) => item.topic === system.topics.HK);
        return items.length >= 2 ? items : undefined;
      },
      { description: 'both malformed messages quarantined' },
    );
    expect(mine.map((item) => `${item.offset}:${item.reason}`).sort()).toEqual(['0:unparseable', '1:unparseable']);
    const copies = await system.readTopic(system.topics.QUARANTINE, 2);
    expect(copies.map((message) => message.headers?.reason?.toString()).sort()).toEqual(['unparseable', 'unparseable']);
  });

  it('counts dispositions in the metrics', async () => {
    const metrics = await request(registry.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/registry_events_total\{authority="HK",disposition="applied"\} 4/);
    expect(metrics.text).toMatch(/registry_events_total\{authority="HK",disposition="duplicate"\} 1/);
    expect(metrics.text).toMatch(/registry_events_total\{authority="HK",disposition="stale"\} 1/);
    expect(metrics.text).not.toMatch(/registry_events_total\{authority="HK",disposition="held"\} [1-9]/);
    expect(metrics.text).toMatch(/registry_consumer_lag\{topic="[^"]+",partition="\d+"\} 0/);
  });
});
