import type { Scenario } from '../scenario.js';
import { brokerOutage } from './broker-outage.js';
import { hostileHttp } from './hostile-http.js';
import { poisonEvents } from './poison-events.js';
import { postgresRestart } from './postgres-restart.js';
import { registryKill } from './registry-kill.js';
import { relayKill } from './relay-kill.js';

/** Every scenario of the suite, by the name `--only` takes, in the order they run. */
export const SCENARIOS: Record<string, Scenario> = {
  'registry-kill': registryKill,
  'broker-outage': brokerOutage,
  'postgres-restart': postgresRestart,
  'relay-kill': relayKill,
  'hostile-http': hostileHttp,
  'poison-events': poisonEvents,
};
