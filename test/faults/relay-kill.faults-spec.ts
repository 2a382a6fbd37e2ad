import { describe, expect, it } from '@jest/globals';
import { relayKill } from './scenarios/relay-kill.js';

describe('fault: the outbox relay SIGKILLed mid-publish (CI size)', () => {
  it('loses nothing and applies a re-sent event once', async () => {
    const result = await relayKill({ quick: true, seed: 4 });
    expect({ lost: result.lost, duplicated: result.duplicated, passed: result.passed }).toEqual({ lost: 0, duplicated: 0, passed: true });
    expect(result.runs).toBeGreaterThanOrEqual(3);
    expect(result.notes.join(' ')).toMatch(/\(3 mid-publish\)/);
  });
});
