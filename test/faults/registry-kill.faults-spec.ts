import { describe, expect, it } from '@jest/globals';
import { registryKill } from './scenarios/registry-kill.js';

describe('fault: the registry SIGKILLed while it consumes (CI size)', () => {
  it('ends with the generator’s states, every event stored once and none applied twice', async () => {
    const result = await registryKill({ quick: true, seed: 1 });
    expect(result.notes.join('\n')).not.toMatch(/DIFFERS/);
    expect({ lost: result.lost, duplicated: result.duplicated, passed: result.passed }).toEqual({ lost: 0, duplicated: 0, passed: true });
    expect(result.runs).toBeGreaterThanOrEqual(1);
  });
});
