import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createKafka, provisionKafka } from '#platform';
import { PRIVATE_KAFKA_PORTS, PrivateBroker, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';

/**
 * Kafka down → writes still accepted; published once it returns, exactly once and in order per recordation.
 * Uses a broker of its own so stopping it disturbs no other test.
 */
describe('transactional outbox across a broker outage', () => {
  let broker: PrivateBroker;
  let system: TestSystem;
  let hk: INestApplication<Server>;
  const auth = { authorization: `Bearer ${TOKENS.publisher.HK}` };
  const accepted: string[] = [];

  beforeAll(async () => {
    broker = await PrivateBroker.start(PRIVATE_KAFKA_PORTS.outboxOutage);
    system = await TestSystem.create('outage');
    await provisionKafka(createKafka({ brokers: broker.brokers, clientId: 'outage-provision', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' }), {
      topicPrefix: system.prefix,
    });
    hk = await system.startAuthority('HK', { KAFKA_BROKERS: broker.brokers.join(','), LOG_LEVEL: 'error' });
  });

  afterAll(async () => {
    await system?.close();
    await broker?.destroy();
  });

  async function create(index: number): Promise<string> {
    const response = await request(hk.getHttpServer())
      .post('/recordations')
      .set(auth)
      .send(recordationBody('HK', { mark: { text: `OUTAGE MARK ${index}`, type: 'word' } }))
      .expect(201);
    accepted.push(response.body.eventId);
    return response.body.recordationNumber;
  }

  async function amend(number: string, goods: string): Promise<void> {
    const response = await request(hk.getHttpServer()).patch(`/recordations/${number}`).set(auth).send({ goods }).expect(200);
    accepted.push(response.body.eventId);
  }

  async function pending(numbers: string[]): Promise<number> {
    let count = 0;
    for (const number of numbers) {
      const response = await request(hk.getHttpServer()).get(`/recordations/${number}`).set(auth).expect(200);
      count += response.body.events.filter((event: { publishState: string }) => event.publishState === 'pending').length;
    }
    return count;
  }

  it('accepts writes while the broker is down and publishes each exactly once, in order, when it returns', async () => {
    const numbers = [await create(1), await create(2)];
    await waitFor(async () => (await pending(numbers)) === 0, { description: 'the first events published' });

    await broker.stop();
    await waitFor(async () => (await request(hk.getHttpServer()).get('/health/ready')).status === 503, { description: 'readiness reporting Kafka down' });
    // Only that it is down: the broker's error text (addresses, names) stays in the log.
    expect((await request(hk.getHttpServer()).get('/health/ready')).body).toEqual({ status: 'down' });
    for (let index = 3; index <= 8; index++) numbers.push(await create(index));
    for (const number of numbers) await amend(number, `Goods amended while Kafka was down (${number})`);
    expect(await pending(numbers)).toBe(numbers.length + 6);

    await broker.start();
    await waitFor(async () => (await pending(numbers)) === 0, { timeoutMs: 60_000, description: 'the outbox drained after the broker returned' });

    const reader = createKafka({ brokers: broker.brokers, clientId: 'outage-reader', ...TEST_KAFKA_PRINCIPALS.registry, logLevel: 'NOTHING' });
    const consumer = reader.consumer({ groupId: `registry-outage-${system.prefix}` });
    const seen: { id: string; subject: string; sequence: number; partition: number; offset: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [system.topics.HK], fromBeginning: true });
    await consumer.run({
      autoResolve: true,
      eachBatch: ({ batch: { partition, messages } }) => {
        for (const message of messages) {
          const envelope = JSON.parse(message.value!.toString());
          const event = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
          seen.push({ id: event.id, subject: event.subject, sequence: event.sequence, partition, offset: message.offset });
        }
        return Promise.resolve();
      },
    });
    await waitFor(() => seen.length >= accepted.length, { description: 'every accepted event on the topic' });
    await consumer.disconnect();

    expect(seen).toHaveLength(accepted.length);
    expect(new Set(seen.map((event) => event.id))).toEqual(new Set(accepted));
    for (const number of numbers) {
      const ofRecordation = seen.filter((event) => event.subject === number).sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      expect(ofRecordation.map((event) => event.sequence)).toEqual([1, 2]);
      expect(new Set(ofRecordation.map((event) => event.partition)).size).toBe(1);
    }
  });
});
