import { SeededRandom } from '#datagen';
import { waitFor } from '#testing';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';
import type { Scenario } from '../scenario.js';
import { ChildApp, connect, eventAccounting, postJson, seconds } from '../support.js';

/**
 * Scenario 4: the authority service (and so its outbox relay) SIGKILLed in the middle of publishing a backlog,
 * then restarted. An event the relay sent but could not mark as published is sent again: it must keep its eventId
 * and be applied once by the registry; nothing accepted may be lost.
 */
export const relayKill: Scenario = async ({ quick, seed }) => {
  const kills = quick ? 3 : 8;
  const perRound = quick ? 1_000 : 2_000;
  const random = new SeededRandom(seed);
  const system = await TestSystem.create('relaykill');
  const db = await connect(system.database.url);
  // Small relay batches, so a backlog takes many sends and a kill lands between "sent" and "marked published".
  const authority = await ChildApp.start(
    'hong-kong',
    system.authorityEnv('HK', { LOG_LEVEL: 'error', OUTBOX_BATCH_SIZE: '25', OUTBOX_POLL_INTERVAL_MS: '20', RATE_LIMIT_PER_MINUTE: '1000000' }),
  );
  const registry = await ChildApp.start('registry', system.registryEnv({ LOG_LEVEL: 'error' }));
  const accepted: string[] = [];
  const killedAt: string[] = [];
  let midPublish = 0;
  const started = performance.now();
  const progress = async (after: string) => {
    const { rows } = await db.query('SELECT count(*) AS total, count(published_at) AS published FROM hong_kong.outbox WHERE position > $1', [after]);
    return { total: Number(rows[0].total), published: Number(rows[0].published) };
  };
  const published = async (ids: string[]) =>
    Number((await db.query('SELECT count(*) AS n FROM hong_kong.outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NOT NULL', [ids])).rows[0].n);
  try {
    // Rounds until the relay was caught mid-publish `kills` times (a kill that lands after the last send counts as a
    // run but not as a mid-publish one).
    for (let round = 0; midPublish < kills && round < kills * 3; round++) {
      if (!authority.running) await authority.start();
      const before = String((await db.query('SELECT coalesce(max(position), 0) AS p FROM hong_kong.outbox')).rows[0].p);
      const items = Array.from({ length: perRound }, (_, i) => recordationBody('HK', { mark: { text: `RELAY KILL ${round} ${i}`, type: 'word' } }));
      // The relay publishes while the bulk load is still being written: watch the outbox, not the answer.
      const load = postJson(`${authority.url}/recordations/bulk`, TOKENS.publisher.HK, items, `relay-kill-${round}`).catch((error: unknown) => ({
        status: 0,
        body: { error: String(error) },
      }));
      const target = random.int(1, Math.floor(perRound / 2));
      const reached = await waitFor(
        async () => {
          const now = await progress(before);
          return now.published >= target ? now : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 5, description: `the relay to publish ${target} events of round ${round}` },
      );
      await authority.kill();
      await load;
      const committed = await progress(before);
      killedAt.push(`${reached.published}/${committed.total}`);
      if (reached.published < committed.total) midPublish++;
    }
    // Accepted = every event the authority committed (its outbox), whether or not the bulk answer reached the client.
    accepted.push(...(await db.query('SELECT event_id FROM hong_kong.outbox')).rows.map((row: { event_id: string }) => row.event_id));
    await authority.start();
    await waitFor(async () => (await published(accepted)) === accepted.length || undefined, {
      timeoutMs: 300_000,
      intervalMs: 250,
      description: 'the outbox drained',
    });
    await waitFor(async () => (await eventAccounting(db, accepted)).lost === 0 || undefined, {
      timeoutMs: 300_000,
      intervalMs: 500,
      description: 'every accepted event merged',
    });
    const accounting = await eventAccounting(db, accepted);
    const alive = authority.running && registry.running;
    return {
      scenario: 'outbox relay SIGKILLed mid-publish',
      runs: killedAt.length,
      events: accepted.length,
      lost: accounting.lost,
      duplicated: accounting.appliedTwice,
      http5xx: 0,
      passed: accounting.lost === 0 && accounting.appliedTwice === 0 && alive && midPublish === kills && accepted.length > 0,
      notes: [
        `killed after ${killedAt.join(', ')} published (${midPublish} mid-publish)`,
        `${accounting.copies} events sent again after a kill, each with its eventId, recorded as duplicates and applied once`,
        `took ${seconds(performance.now() - started)}`,
      ],
    };
  } finally {
    await authority.kill();
    await registry.kill();
    await db.end();
    await system.close();
  }
};
