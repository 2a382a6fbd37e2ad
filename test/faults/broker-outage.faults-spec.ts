import { describe, expect, it } from '@jest/globals';
import { brokerOutage } from './scenarios/broker-outage.js';

describe('fault: the Kafka broker down under steady writes (CI size)', () => {
  it('publishes and merges every accepted write once after the broker returns', async () => {
    const result = await brokerOutage({ quick: true, seed: 2 });
    expect(result.notes.join('\n')).not.toMatch(/DIED/);
    expect({ lost: result.lost, duplicated: result.duplicated, http5xx: result.http5xx, passed: result.passed }).toEqual({
      lost: 0,
      duplicated: 0,
      http5xx: 0,
      passed: true,
    });
    expect(result.events).toBeGreaterThan(20);
  });
});
