import { generateEvents, SeededRandom } from '#datagen';
import { waitFor } from '#testing';
import { TestSystem } from '../../support/system.js';
import type { Scenario } from '../scenario.js';
import { ChildApp, connect, eventAccounting, expectedStateDigest, mergedCount, produceGenerated, registryStateDigest, seconds, signersOf } from '../support.js';

/**
 * Scenario 1: the registry killed with SIGKILL at random points while it consumes the generator's events, restarted
 * each time. The states it ends with must be the generator's; every event stored once, none applied twice.
 */
export const registryKill: Scenario = async ({ quick, seed }) => {
  const events = quick ? 4_000 : 100_000;
  const kills = quick ? 3 : 20;
  const random = new SeededRandom(seed);
  const system = await TestSystem.create('kill');
  const db = await connect(system.database.url);
  // A short session, so the broker gives a killed member's partitions to its successor after 6 s, not 45.
  const registry = await ChildApp.start('registry', system.registryEnv({ LOG_LEVEL: 'error', CONSUMER_SESSION_TIMEOUT_MS: '6000' }), { waitForHealth: false });
  const started = performance.now();
  try {
    const generated = generateEvents({ seed, events, keys: signersOf(system.keys) });
    await produceGenerated(generated, system.topics);
    // Kill points: random counts of merged messages, spread over the whole run.
    const points = Array.from({ length: kills }, () => random.int(1, events - 1)).sort((a, b) => a - b);
    const killedAt: number[] = [];
    for (const point of points) {
      if (!registry.running) await registry.start({ waitForHealth: false });
      const reached = await waitFor(
        async () => {
          const merged = await mergedCount(db);
          return merged >= point ? merged : undefined;
        },
        { timeoutMs: 10 * 60_000, intervalMs: 20, description: `the registry to merge ${point} messages` },
      );
      if (reached >= events) break;
      await registry.kill();
      killedAt.push(reached);
    }
    if (!registry.running) await registry.start({ waitForHealth: false });
    await waitFor(async () => (await mergedCount(db)) >= events || undefined, { timeoutMs: 20 * 60_000, intervalMs: 200, description: 'every message merged' });
    await registry.stop();

    const expected = expectedStateDigest(generated);
    const actual = await registryStateDigest(db);
    const accounting = await eventAccounting(
      db,
      generated.map((e) => e.event.id),
    );
    const storedRows = Number((await db.query('SELECT count(*) AS n FROM registry.events')).rows[0].n);
    const duplicated = accounting.appliedTwice + accounting.copies + Math.max(0, storedRows - events);
    const passed = expected.digest === actual.digest && accounting.lost === 0 && duplicated === 0 && accounting.held === 0 && killedAt.length > 0;
    return {
      scenario: 'registry SIGKILLed while consuming',
      runs: killedAt.length,
      events,
      lost: accounting.lost,
      duplicated,
      http5xx: 0,
      passed,
      notes: [
        `killed after ${killedAt.join(', ')} merged`,
        `state digest ${actual.digest.slice(0, 12)}… ${expected.digest === actual.digest ? 'equals' : 'DIFFERS FROM'} the generator's ${expected.digest.slice(0, 12)}… (${actual.recordations}/${expected.recordations} recordations)`,
        `${accounting.held} events still held`,
        `took ${seconds(performance.now() - started)}`,
      ],
    };
  } finally {
    await registry.kill();
    await db.end();
    await system.close();
  }
};
