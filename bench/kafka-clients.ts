/**
 * npm run bench:kafka-clients [-- --messages N]: raw produce and consume of kafkajs against @platformatic/kafka on the
 * real broker (SASL/SCRAM-SHA-512, ACLs), the same way the system uses Kafka: the HK principal produces to its topic in
 * sends of 2 000 messages with acks=all and one request in flight (the outbox relay's settings); the registry principal
 * reads them back from the start in a consumer group. Messages are 3.6 KB (a signed event's size). Each client gets
 * topics of its own; the runs alternate (kafkajs, platformatic, kafkajs, platformatic) to spread the machine's noise.
 * "raw" is each library used directly; "adapter" is the same through our Kafka adapter (createKafka with
 * KAFKA_CLIENT's two values: an idempotent producer as the outbox relay's, a group consumer handing per-partition
 * batches as the registry's), which is what the apps get. Appends the figures to bench/RESULTS.md.
 */
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Consumer as PlatformaticConsumer, Producer as PlatformaticProducer } from '@platformatic/kafka';
import { topicNames } from '#contracts';
import { createKafka, createKafkajsClient, provisionKafka, type KafkaClientName } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';

const argIndex = process.argv.indexOf('--messages');
const MESSAGES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 20_000;
const SEND = 2_000;
const ROUNDS = 2;
const payloads = Array.from({ length: 64 }, () => randomBytes(3_600));
const keyOf = (i: number) => `HK-2026-${String(i).padStart(6, '0')}`;

/** MESSAGES messages in sends of SEND, one send at a time; messages per second. */
async function produceRate(send: (messages: { key: string; value: Buffer }[]) => Promise<unknown>): Promise<number> {
  const began = performance.now();
  for (let i = 0; i < MESSAGES; i += SEND) {
    await send(Array.from({ length: Math.min(SEND, MESSAGES - i) }, (_, j) => ({ key: keyOf(i + j), value: payloads[(i + j) % payloads.length] })));
  }
  return MESSAGES / ((performance.now() - began) / 1000);
}

async function freshTopic(label: string): Promise<string> {
  const prefix = `kc${label}${Date.now().toString(36)}.`;
  await provisionKafka(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-kafka-clients', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'ERROR' }), {
    topicPrefix: prefix,
  });
  return topicNames(prefix).HK;
}

interface Figures {
  produce: number;
  consume: number;
  adapterProduce: number;
  adapterConsume: number;
}

/** Produce then consume `MESSAGES` through the adapter on one client. */
async function adapterRun(client: KafkaClientName, topic: string): Promise<Pick<Figures, 'adapterProduce' | 'adapterConsume'>> {
  const producer = createKafka({
    client,
    brokers: TEST_KAFKA_BROKERS,
    clientId: `bench-adapter-${client}`,
    ...TEST_KAFKA_PRINCIPALS.HK,
    logLevel: 'ERROR',
  }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const adapterProduce = await produceRate((messages) => producer.send({ topic, acks: -1, messages }));
  await producer.disconnect();

  const consumer = createKafka({
    client,
    brokers: TEST_KAFKA_BROKERS,
    clientId: `bench-adapter-${client}`,
    ...TEST_KAFKA_PRINCIPALS.registry,
    logLevel: 'ERROR',
  }).consumer({
    groupId: `registry-bench-adapter-${client}-${topic}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const began = performance.now();
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: ({ batch, resolveOffset }) => {
      received += batch.messages.length;
      resolveOffset(batch.messages[batch.messages.length - 1].offset);
      if (received >= MESSAGES) done();
      return Promise.resolve();
    },
  });
  await all;
  const adapterConsume = MESSAGES / ((performance.now() - began) / 1000);
  await consumer.disconnect();
  return { adapterProduce, adapterConsume };
}

async function kafkajsRun(topic: string): Promise<Pick<Figures, 'produce' | 'consume'>> {
  const producer = createKafkajsClient({ brokers: TEST_KAFKA_BROKERS, clientId: 'bench-kafkajs', ...TEST_KAFKA_PRINCIPALS.HK, logLevel: 'ERROR' }).producer({
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const produce = await produceRate((messages) => producer.send({ topic, acks: -1, messages }));
  await producer.disconnect();

  const consumer = createKafkajsClient({
    brokers: TEST_KAFKA_BROKERS,
    clientId: 'bench-kafkajs',
    ...TEST_KAFKA_PRINCIPALS.registry,
    logLevel: 'ERROR',
  }).consumer({
    groupId: `registry-bench-kafkajs-${topic}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const began = performance.now();
  await consumer.run({
    eachBatch: ({ batch }) => {
      received += batch.messages.length;
      if (received >= MESSAGES) done();
      return Promise.resolve();
    },
  });
  await all;
  const consume = MESSAGES / ((performance.now() - began) / 1000);
  await consumer.disconnect();
  return { produce, consume };
}

const sasl = (principal: { username: string; password: string }) => ({
  mechanism: 'SCRAM-SHA-512' as const,
  username: principal.username,
  password: principal.password,
});

async function platformaticRun(topic: string): Promise<Pick<Figures, 'produce' | 'consume'>> {
  const producer = new PlatformaticProducer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: TEST_KAFKA_BROKERS,
    sasl: sasl(TEST_KAFKA_PRINCIPALS.HK),
    acks: -1,
    maxInflights: 1,
    autocreateTopics: false,
  });
  const produce = await produceRate((messages) => producer.send({ messages: messages.map(({ key, value }) => ({ topic, key: Buffer.from(key), value })) }));
  await producer.close();

  const consumer = new PlatformaticConsumer({
    clientId: 'bench-platformatic',
    groupId: `registry-bench-platformatic-${topic}`,
    bootstrapBrokers: TEST_KAFKA_BROKERS,
    sasl: sasl(TEST_KAFKA_PRINCIPALS.registry),
  });
  const began = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => {
      received++;
      if (received === MESSAGES) resolve();
    });
    stream.on('error', reject);
  });
  const consume = MESSAGES / ((performance.now() - began) / 1000);
  await stream.close();
  await consumer.close(true);
  return { produce, consume };
}

async function main(): Promise<void> {
  const results: Record<'kafkajs' | 'platformatic', Figures[]> = { kafkajs: [], platformatic: [] };
  for (let round = 0; round < ROUNDS; round++) {
    results.kafkajs.push({ ...(await kafkajsRun(await freshTopic(`j${round}`))), ...(await adapterRun('kafkajs', await freshTopic(`aj${round}`))) });
    results.platformatic.push({
      ...(await platformaticRun(await freshTopic(`p${round}`))),
      ...(await adapterRun('platformatic', await freshTopic(`ap${round}`))),
    });
    process.stderr.write(`round ${round + 1}: ${JSON.stringify(results)}\n`);
  }
  const fmt = (list: Figures[], key: keyof Figures) => list.map((f) => Math.round(f[key])).join(' / ');
  const table = [
    '',
    `## Kafka clients, raw and through the adapter (${new Date().toISOString().slice(0, 10)}; npm run bench:kafka-clients, ${MESSAGES} messages of 3.6 KB, ${ROUNDS} alternating rounds)`,
    '',
    `Node ${process.version}; Kafka 4.1.1 (local, KRaft, SASL/SCRAM-SHA-512); produce: sends of ${SEND}, acks=all, one in flight; consume: one group member from the start.`,
    '',
    '| client | raw produce (messages/s) | raw consume (messages/s) | adapter produce, idempotent (messages/s) | adapter consume, batches (messages/s) |',
    '|---|---|---|---|---|',
    `| kafkajs 2.2.4 | ${fmt(results.kafkajs, 'produce')} | ${fmt(results.kafkajs, 'consume')} | ${fmt(results.kafkajs, 'adapterProduce')} | ${fmt(results.kafkajs, 'adapterConsume')} |`,
    `| @platformatic/kafka | ${fmt(results.platformatic, 'produce')} | ${fmt(results.platformatic, 'consume')} | ${fmt(results.platformatic, 'adapterProduce')} | ${fmt(results.platformatic, 'adapterConsume')} |`,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  appendFileSync(new URL('../../bench/RESULTS.md', import.meta.url), table);
}

await main();
process.exit(0);
