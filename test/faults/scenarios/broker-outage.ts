import { createKafka, provisionKafka } from '#platform';
import { PRIVATE_KAFKA_PORTS, PrivateBroker, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';
import type { Scenario } from '../scenario.js';
import { ChildApp, SteadyLoad, connect, eventAccounting, postJson, seconds } from '../support.js';

const BROKER_PORT = PRIVATE_KAFKA_PORTS.brokerOutage;

/**
 * Scenario 2: the Kafka broker stopped for 30 s while two authority services accept writes at a steady rate. Every
 * accepted write must reach the topic once (the outbox keeps it meanwhile) and be merged by the registry once.
 * A broker of the scenario's own, so stopping it disturbs nothing else.
 */
export const brokerOutage: Scenario = async ({ quick }) => {
  const outageMs = quick ? 10_000 : 30_000;
  const ratePerAuthority = quick ? 5 : 10;
  const broker = await PrivateBroker.start(BROKER_PORT);
  const system = await TestSystem.create('brokerdown');
  const db = await connect(system.database.url);
  const apps: ChildApp[] = [];
  const started = performance.now();
  try {
    await provisionKafka(createKafka({ brokers: broker.brokers, clientId: 'faults-provision', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' }), {
      topicPrefix: system.prefix,
    });
    const onBroker = { KAFKA_BROKERS: broker.brokers.join(','), LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '1000000' };
    const authorities = ['CN', 'HK'] as const;
    const services = await Promise.all(authorities.map((a) => ChildApp.start(a === 'CN' ? 'mainland' : 'hong-kong', system.authorityEnv(a, onBroker))));
    apps.push(...services);
    const registry = await ChildApp.start('registry', system.registryEnv({ ...onBroker, CONSUMER_SESSION_TIMEOUT_MS: '10000' }));
    apps.push(registry);

    const loads = authorities.map(
      (authority, i) =>
        new SteadyLoad<string>(ratePerAuthority, async (index) => {
          const body = recordationBody(authority, { mark: { text: `BROKER OUTAGE ${authority} ${index}`, type: 'word' } });
          const { status, body: answer } = await postJson(`${services[i].url}/recordations`, TOKENS.publisher[authority], body, `outage-${authority}-${index}`);
          return { status, accepted: status === 201 ? String(answer.eventId) : undefined, detail: JSON.stringify(answer).slice(0, 200) };
        }),
    );
    loads.forEach((load) => load.start());
    await waitFor(() => loads.every((load) => load.accepted.length >= 10) || undefined, {
      timeoutMs: 60_000,
      description: 'writes accepted before the outage',
    });
    await broker.stop();
    const stoppedAt = performance.now();
    await waitFor(() => performance.now() - stoppedAt >= outageMs || undefined, {
      timeoutMs: outageMs + 5_000,
      intervalMs: 250,
      description: 'the outage to last',
    });
    const acceptedDuringOutage = loads.reduce((sum, load) => sum + load.accepted.length, 0);
    await broker.start();
    await waitFor(() => loads.every((load) => load.accepted.length >= acceptedDuringOutage / 2 + 10) || undefined, {
      timeoutMs: 60_000,
      description: 'writes accepted after the outage',
    });
    await Promise.all(loads.map((load) => load.stop()));

    const accepted = loads.flatMap((load) => load.accepted);
    await waitFor(async () => (await eventAccounting(db, accepted)).lost === 0 || undefined, {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: 'every accepted write merged',
    });
    const accounting = await eventAccounting(db, accepted);
    const requests = loads.reduce((sum, load) => sum + load.requests, 0);
    const http5xx = loads.reduce((sum, load) => sum + load.failures.length, 0);
    const alive = apps.every((app) => app.running);
    return {
      scenario: `Kafka broker down ${outageMs / 1000} s under steady writes`,
      runs: 1,
      events: accepted.length,
      lost: accounting.lost,
      duplicated: accounting.appliedTwice + accounting.copies,
      http5xx,
      passed: accounting.lost === 0 && accounting.appliedTwice === 0 && accounting.copies === 0 && http5xx === 0 && alive && accepted.length > 0,
      notes: [
        `${requests} writes sent at ${ratePerAuthority * authorities.length}/s, ${accepted.length} accepted (${loads.map((load) => load.histogram()).join(' | ')})`,
        `every accepted write merged ${seconds(performance.now() - stoppedAt - outageMs)} after the broker returned`,
        alive ? 'all apps stayed up' : 'AN APP DIED',
      ],
    };
  } finally {
    for (const app of apps) await app.kill();
    await db.end();
    await system.close();
    await broker.destroy();
    void started;
  }
};
