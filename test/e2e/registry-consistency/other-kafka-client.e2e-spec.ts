/**
 * The registry's ordering, duplicate and quarantine test once more, on the Kafka client that is NOT the default
 * (KAFKA_CLIENT; today @platformatic/kafka), so that the second implementation of the adapter keeps working inside
 * `npm test` (the smoke test kafka-adapter.smoke-spec.ts covers the adapter itself on both). One file, about a minute.
 */
import { afterAll, expect, it } from '@jest/globals';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENT_NAMES, createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS } from '#testing';

const previous = process.env.KAFKA_CLIENT;
const other = KAFKA_CLIENT_NAMES.find((name) => name !== (previous || DEFAULT_KAFKA_CLIENT))!;
// Read by every client the test and the apps it starts make (createKafka, the apps' config).
process.env.KAFKA_CLIENT = other;
afterAll(() => {
  if (previous === undefined) delete process.env.KAFKA_CLIENT;
  else process.env.KAFKA_CLIENT = previous;
});

it(`makes its clients with ${other}`, () => {
  expect(createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'other-client', ...TEST_KAFKA_PRINCIPALS.registry }).client).toBe(other);
});

await import('./ordering-and-quarantine.e2e-spec.js');
