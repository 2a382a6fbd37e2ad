import { generateEvents } from '#datagen';
import { provisionDatabaseRoles, roleUrl } from '#platform';
import { PrivatePostgres, TEST_ROLE_PASSWORDS, waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';
import type { Scenario } from '../scenario.js';
import {
  ChildApp,
  SteadyLoad,
  connect,
  eventAccounting,
  expectedStateDigest,
  mergedCount,
  postJson,
  produceGenerated,
  seconds,
  signersOf,
} from '../support.js';

const POSTGRES_PORT = 55433;

/**
 * Scenario 3: PostgreSQL stopped and started again while the registry consumes a backlog and an authority accepts
 * writes at a steady rate. During the outage writes get a clear 503, never a false 201; the apps reconnect by
 * themselves; everything accepted (and every event of the backlog) is merged once. A cluster of the scenario's own.
 */
export const postgresRestart: Scenario = async ({ quick, seed }) => {
  const outageMs = quick ? 5_000 : 20_000;
  const backlog = quick ? 3_000 : 20_000;
  const rate = 10;
  const cluster = await PrivatePostgres.start(POSTGRES_PORT);
  const system = await TestSystem.create('pgdown');
  // The apps' roles on this cluster too: each app connects as its own role, as on the machine's cluster.
  await provisionDatabaseRoles({ adminUrl: cluster.url, database: 'rx_faults', passwords: TEST_ROLE_PASSWORDS });
  const url = cluster.url.replace(/\/postgres$/, '/rx_faults');
  const apps: ChildApp[] = [];
  try {
    const onCluster = { LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '1000000' };
    const hk = await ChildApp.start(
      'hong-kong',
      system.authorityEnv('HK', { ...onCluster, DATABASE_URL: roleUrl(url, 'hong_kong', TEST_ROLE_PASSWORDS.hong_kong) }),
    );
    const registry = await ChildApp.start(
      'registry',
      system.registryEnv({ ...onCluster, DATABASE_URL: roleUrl(url, 'registry', TEST_ROLE_PASSWORDS.registry) }),
    );
    apps.push(hk, registry);
    const generated = generateEvents({ seed, events: backlog, keys: signersOf(system.keys) });
    await produceGenerated(generated, system.topics);

    const load = new SteadyLoad<string>(rate, async (index) => {
      const body = recordationBody('HK', { mark: { text: `POSTGRES RESTART ${index}`, type: 'word' } });
      const { status, body: answer } = await postJson(`${hk.url}/recordations`, TOKENS.publisher.HK, body, `pg-restart-${index}`);
      return { status, accepted: status === 201 ? String(answer.eventId) : undefined, detail: JSON.stringify(answer).slice(0, 200) };
    });
    let db = await connect(url);
    load.start();
    // The outage starts while the registry is still working through the backlog.
    await waitFor(async () => ((await mergedCount(db)) > 0 && load.accepted.length >= 10 ? true : undefined), {
      timeoutMs: 120_000,
      description: 'the registry consuming and writes accepted',
    });
    const mergedBefore = await mergedCount(db);
    await db.end();
    await cluster.stop();
    const stoppedAt = performance.now();
    const acceptedBefore = load.accepted.length;
    await waitFor(() => performance.now() - stoppedAt >= outageMs || undefined, {
      timeoutMs: outageMs + 5_000,
      intervalMs: 250,
      description: 'the outage to last',
    });
    const statusesDuringOutage = load.histogram();
    const acceptedDuringOutage = load.accepted.length - acceptedBefore;
    await cluster.start();
    const restartedAt = performance.now();
    await waitFor(() => load.accepted.length >= acceptedBefore + acceptedDuringOutage + 10 || undefined, {
      timeoutMs: 120_000,
      description: 'writes accepted again after the restart',
    });
    const recoveredMs = performance.now() - restartedAt;
    await load.stop();

    db = await connect(url);
    const expectedEvents = [...generated.map((e) => e.event.id), ...load.accepted];
    await waitFor(async () => (await eventAccounting(db, expectedEvents)).lost === 0 || undefined, {
      timeoutMs: 300_000,
      intervalMs: 500,
      description: 'every event merged after the restart',
    });
    const accounting = await eventAccounting(db, expectedEvents);
    // A 201 is true only if the authority holds what it acknowledged.
    const falseCreated =
      load.accepted.length - Number((await db.query('SELECT count(*) AS n FROM hong_kong.outbox WHERE event_id = ANY($1::uuid[])', [load.accepted])).rows[0].n);
    const backlogStates = expectedStateDigest(generated);
    await db.end();
    const alive = apps.every((app) => app.running);
    const http5xx = load.failures.length;
    return {
      scenario: `PostgreSQL down ${outageMs / 1000} s and restarted`,
      runs: 1,
      events: expectedEvents.length,
      lost: accounting.lost + falseCreated,
      duplicated: accounting.appliedTwice,
      http5xx,
      passed: accounting.lost === 0 && falseCreated === 0 && accounting.appliedTwice === 0 && http5xx === 0 && alive && load.count((s) => s === 503) > 0,
      notes: [
        `${load.requests} writes at ${rate}/s: ${load.histogram()}; up to the end of the outage: ${statusesDuringOutage}`,
        `${acceptedDuringOutage} writes accepted during the outage (answered before the server went away), ${falseCreated} false 201`,
        `registry had merged ${mergedBefore}/${backlog} of its backlog when PostgreSQL stopped; writes accepted again ${seconds(recoveredMs)} after it returned`,
        `${backlogStates.recordations} backlog recordations`,
        alive ? 'all apps stayed up and reconnected by themselves' : 'AN APP DIED',
        ...load.failures.slice(0, 3).map((failure) => `failure: ${failure}`),
        // The authority's own account of a failure (503s during the outage are expected and not shown).
        ...(load.failures.length
          ? hk.logTail
              .filter((line) => line.includes('request failed') && !line.includes('ECONNREFUSED'))
              .slice(0, 2)
              .map((line) => `authority log: ${line.slice(0, 600)}`)
          : []),
      ],
    };
  } finally {
    for (const app of apps) await app.kill();
    await system.close();
    await cluster.destroy();
  }
};
