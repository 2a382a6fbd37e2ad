import { rmSync } from 'node:fs';
import { createKafka, provisionKafka } from '#platform';
import { PRIVATE_KAFKA_PORTS, PrivateCluster, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { checkAgreement } from '../../../apps/registry/src/audit/agreement.js';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';
import type { Scenario, ScenarioResult } from '../scenario.js';
import { startCluster } from './start-cluster.js';
import { ChildApp, SteadyLoad, connect, eventAccounting, postJson, seconds } from '../support.js';

/** Client ports of the scenario's own three-broker cluster (controllers at +100); clear of start:cluster and the other private brokers. */
const CLUSTER_PORT_BASE = PRIVATE_KAFKA_PORTS.clusterFaults;
const SITES = ['CN', 'HK', 'MO'] as const;
type Site = (typeof SITES)[number];
const APP_OF = { CN: 'mainland', HK: 'hong-kong', MO: 'macao' } as const;
/** Seven JVM/Node processes of the scenario on a 2-core machine others share: starts are slow. */
const START = { startTimeoutMs: 300_000 };
/** Each app's log (warnings and errors, kafkajs's included) of the last run, for what a failure's tail does not hold. */
const LOG_DIR = '.local/logs/faults';

export type CrossBorderFault = 'broker-kill' | 'broker-stop' | 'registry-rebuild';

const TITLES: Record<CrossBorderFault, (s: number) => string> = {
  'broker-kill': (s) => `cross-border: HK broker SIGKILLed ${s} s, restarted`,
  'broker-stop': (s) => `cross-border: HK broker SIGSTOPped ${s} s (hung site)`,
  'registry-rebuild': () => 'cross-border: HK registry killed, rebuilt from the log',
};

/**
 * Issue 17, item 5: the three-broker cluster (racks CN, HK, MO; RF 3, min ISR 2), three authority services and a
 * registry per site, under steady writes from all three authorities; one fault in Hong Kong. Every write answered
 * 201 must be in all three registries, applied once; the three digests at the same log positions must be equal; the
 * time each registry took to catch up is reported. Refusals must be 503 (no other 5xx).
 */
export function crossBorder(fault: CrossBorderFault): Scenario {
  return async ({ quick }) => {
    const faultMs = quick ? 10_000 : 30_000;
    rmSync(`${LOG_DIR}/${fault}`, { recursive: true, force: true });
    const rate = quick ? 3 : 10;
    const cluster = await PrivateCluster.start(CLUSTER_PORT_BASE);
    const system = await TestSystem.create(`xb-${fault}`);
    const db = await connect(system.database.url);
    const apps: ChildApp[] = [];
    try {
      await provisionKafka(createKafka({ brokers: cluster.brokers, clientId: 'faults-provision', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' }), {
        topicPrefix: system.prefix,
        replicationFactor: 3,
        minInsyncReplicas: 2,
      });
      const onCluster = { KAFKA_BROKERS: cluster.brokers.join(','), LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000' };
      const registries = {} as Record<Site, ChildApp>;
      for (const site of SITES) {
        registries[site] = await ChildApp.start(
          'registry',
          system.registryEnv({
            ...onCluster,
            REGISTRY_SITE: site,
            KAFKA_CONSUMER_GROUP: `registry-${site.toLowerCase()}-${system.prefix}`,
            CONSUMER_SESSION_TIMEOUT_MS: '10000',
          }),
          { ...START, logFile: `${LOG_DIR}/${fault}/registry-${site}.log` },
        );
        apps.push(registries[site]);
      }
      const services = {} as Record<Site, ChildApp>;
      for (const site of SITES) {
        services[site] = await ChildApp.start(APP_OF[site], system.authorityEnv(site, onCluster), {
          ...START,
          logFile: `${LOG_DIR}/${fault}/${APP_OF[site]}.log`,
        });
        apps.push(services[site]);
      }

      const loads = SITES.map(
        (authority) =>
          new SteadyLoad<string>(rate, async (index) => {
            const body = recordationBody(authority, { mark: { text: `CROSS BORDER ${fault} ${authority} ${index}`, type: 'word' } });
            const { status, body: answer } = await postJson(
              `${services[authority].url}/recordations`,
              TOKENS.publisher[authority],
              body,
              `xb-${authority}-${index}`,
            );
            return {
              status,
              accepted: status === 201 ? String(answer.eventId) : undefined,
              detail: JSON.stringify(answer).slice(0, 200),
              reason: status === 503 ? [answer.reason, answer.message].find((text): text is string => typeof text === 'string' && text !== '') : undefined,
            };
          }),
      );
      loads.forEach((load) => load.start());
      const loadStart = performance.now();
      const acceptedNow = () => loads.reduce((sum, load) => sum + load.accepted.length, 0);
      await waitFor(() => loads.every((load) => load.accepted.length >= 10) || undefined, {
        timeoutMs: 300_000,
        description: 'writes accepted before the fault',
      }).catch((error: Error) => {
        throw new Error(`${error.message}; answers so far: ${loads.map((load, i) => `${SITES[i]} ${load.histogram() || 'none'}`).join(' | ')}`);
      });

      // The fault, in Hong Kong (node 2 is rack HK).
      const faultStart = performance.now();
      const hkSchema = 'registry_hk';
      if (fault === 'broker-kill') await cluster.signal(2, 'SIGKILL');
      if (fault === 'broker-stop') await cluster.signal(2, 'SIGSTOP');
      if (fault === 'registry-rebuild') {
        await registries.HK.kill();
        await db.query(`DROP SCHEMA ${hkSchema} CASCADE`);
      }
      const acceptedBefore = acceptedNow();
      let rebuildStart = 0;
      if (fault === 'registry-rebuild') {
        // Rebuilt from the log while the other two serve and the writes go on.
        rebuildStart = performance.now();
        await registries.HK.start();
      }
      await waitFor(() => performance.now() - faultStart >= faultMs || undefined, {
        timeoutMs: faultMs + 10_000,
        intervalMs: 250,
        description: 'the fault to last',
      });
      const acceptedDuring = acceptedNow() - acceptedBefore;
      // The fault's end: the restart (or SIGCONT) is issued; the broker answers again some seconds later.
      const faultEnd = performance.now();
      if (fault === 'broker-kill') await cluster.startNode(2);
      if (fault === 'broker-stop') await cluster.signal(2, 'SIGCONT');
      const recovered = performance.now();
      await waitFor(() => acceptedNow() >= acceptedBefore + acceptedDuring + 30 || undefined, {
        timeoutMs: 120_000,
        description: 'writes accepted after the fault',
      });
      await Promise.all(loads.map((load) => load.stop()));
      const loadEnd = performance.now();

      // Every 201 in all three registries: the time each took (from the end of the fault, or of the load).
      const accepted = loads.flatMap((load) => load.accepted);
      const caughtUp = {} as Record<Site, number>;
      await waitFor(
        async () => {
          for (const site of SITES) {
            if (caughtUp[site] !== undefined) continue;
            if ((await eventAccounting(db, accepted, `registry_${site.toLowerCase()}`)).lost === 0) caughtUp[site] = performance.now();
          }
          return SITES.every((site) => caughtUp[site] !== undefined) || undefined;
        },
        { timeoutMs: 300_000, intervalMs: 500, description: 'every accepted write in all three registries' },
      );
      const accounting = await Promise.all(SITES.map((site) => eventAccounting(db, accepted, `registry_${site.toLowerCase()}`)));
      const agreement = await checkAgreement(
        SITES.map((site) => registries[site].url),
        { token: TOKENS.auditor, waitMs: 120_000, show: 3 },
      );
      const fetching = await followerFetching(
        SITES.map((site) => registries[site].url),
        cluster.ports,
      );
      const lost = accounting.reduce((sum, a) => sum + a.lost, 0);
      const appliedTwice = accounting.reduce((sum, a) => sum + a.appliedTwice, 0);
      const copies = accounting.reduce((sum, a) => sum + a.copies, 0);
      const statuses = new Map<number, number>();
      for (const load of loads) for (const [status, n] of load.statuses) statuses.set(status, (statuses.get(status) ?? 0) + n);
      const refusals = new Map<string, number>();
      for (const load of loads) for (const [reason, n] of load.refusals) refusals.set(reason, (refusals.get(reason) ?? 0) + n);
      const http5xx = loads.reduce((sum, load) => sum + load.failures.length, 0);
      const alive = apps.every((app) => app.running);
      const result: ScenarioResult = {
        scenario: TITLES[fault](faultMs / 1000),
        runs: 1,
        events: accepted.length,
        lost,
        duplicated: appliedTwice,
        http5xx,
        passed:
          lost === 0 &&
          appliedTwice === 0 &&
          http5xx === 0 &&
          alive &&
          agreement.agree &&
          agreement.at === 'latest' &&
          accepted.length > 0 &&
          fetching.every((f) => f.localShare >= 0.9),
        notes: [
          `${loads.reduce((sum, load) => sum + load.requests, 0)} writes at ${rate * 3}/s (${rate}/s per authority), ${accepted.length} answered 201 (${acceptedDuring} answered during the fault); statuses ${[
            ...statuses,
          ]
            .sort(([a], [b]) => a - b)
            .map(([s, n]) => `${s === 0 ? 'no answer' : s}×${n}`)
            .join(' ')}`,
          `201s for writes sent during the ${seconds(faultEnd - faultStart)} fault: ${SITES.map((site, i) => `${site} ${loads[i].acceptedAt.filter((a) => a.sent >= faultStart && a.sent <= faultEnd).length}`).join(', ')}${fault === 'broker-kill' ? ` (the restarted broker answered ${seconds(recovered - faultEnd)} after its start)` : ''}; longest time without a 201 from ${seconds(faultStart - loadStart)} before the fault to the end: ${SITES.map((site, i) => `${site} ${seconds(longestGap(loads[i].acceptedAt, faultStart, loadEnd))}`).join(', ')}`,
          `503 reasons: ${[...refusals].map(([reason, n]) => `${n}× "${reason}"`).join('; ') || 'none'}`,
          `Fetch requests to the own rack's broker (after the fault, ${fetching[0].window} fetches each): ${fetching.map((f, i) => `${SITES[i]} ${(100 * f.localShare).toFixed(0)} % (${f.byBroker})`).join('; ')}`,
          `every 201 in all three registries; caught up after the ${fault === 'registry-rebuild' ? 'load' : 'fault'} ended: ${SITES.map((site) => `${site} ${seconds(Math.max(0, caughtUp[site] - (fault === 'registry-rebuild' ? loadEnd : faultEnd)))}`).join(', ')}`,
          ...(fault === 'registry-rebuild'
            ? [`HK rebuilt from offset 0 while CN and MO served: all ${accepted.length} writes in it ${seconds(caughtUp.HK - rebuildStart)} after its restart`]
            : []),
          `digests at the same positions ${agreement.agree ? 'equal' : 'DIFFER'} (${agreement.sites.map((s) => `${s.site} ${s.digest.slice(0, 12)}… ${s.events} events`).join(', ')})`,
          `${copies} redelivered copies recorded as duplicates (applied once)`,
          alive ? 'all apps stayed up' : 'AN APP DIED',
        ],
      };
      return result;
    } finally {
      for (const app of apps) await app.kill();
      await db.end();
      await system.close();
      await cluster.destroy();
    }
  };
}

/** The longest time between two 201 answers (or from `from` to the first, or from the last to `to`). */
function longestGap(answers: { answered: number }[], from: number, to: number): number {
  const times = [from, ...answers.map((a) => a.answered).filter((t) => t > from && t < to), to].sort((a, b) => a - b);
  return times.slice(1).reduce((longest, t, i) => Math.max(longest, t - times[i]), 0);
}

const FETCH_METRIC = /^registry_kafka_fetch_requests_total\{broker="([^"]+)"\} (\d+)/gm;

async function fetchCounts(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  return new Map([...text.matchAll(FETCH_METRIC)].map((m) => [m[1], Number(m[2])]));
}

/**
 * Follower fetching on the wire (issue 17, item 2): the Fetch requests each registry's consumer sent (kafkajs
 * instrumentation, registry_kafka_fetch_requests_total by broker) over a window of at least `window` of them, and the
 * share that went to the broker of the registry's own rack (sites and brokers in the same order, CN HK MO).
 */
async function followerFetching(registries: string[], ports: number[], window = 30): Promise<{ localShare: number; byBroker: string; window: number }[]> {
  const before = await Promise.all(registries.map(fetchCounts));
  const delta = (after: Map<string, number>, i: number) =>
    new Map([...after].map(([broker, n]) => [broker, n - (before[i].get(broker) ?? 0)] as const).filter(([, n]) => n > 0));
  const after = await waitFor(
    async () => {
      const now = await Promise.all(registries.map(fetchCounts));
      return now.every((counts, i) => [...delta(counts, i).values()].reduce((a, b) => a + b, 0) >= window) ? now : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000, description: `${window} Fetch requests from every registry` },
  );
  return after.map((counts, i) => {
    const sent = delta(counts, i);
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    const rackOf = (broker: string) => PrivateCluster.RACKS[ports.indexOf(Number(broker.split(':').pop()))] ?? broker;
    return {
      localShare: (sent.get(`127.0.0.1:${ports[i]}`) ?? 0) / total,
      byBroker: [...sent].map(([broker, n]) => `${rackOf(broker)} ${n}`).join(', '),
      window,
    };
  });
}

/** The cross-border scenarios, by the name `--only` takes (npm run test:faults:cluster). */
export const CLUSTER_SCENARIOS: Record<string, Scenario> = {
  'cluster-broker-kill': crossBorder('broker-kill'),
  'cluster-broker-stop': crossBorder('broker-stop'),
  'cluster-registry-rebuild': crossBorder('registry-rebuild'),
  'cluster-start': startCluster,
};
