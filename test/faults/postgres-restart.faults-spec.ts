import { describe, expect, it } from '@jest/globals';
import { postgresRestart } from './scenarios/postgres-restart.js';

describe('fault: PostgreSQL restarted under load (CI size)', () => {
  it('answers 503 meanwhile, never a false 201, reconnects by itself and loses nothing', async () => {
    const result = await postgresRestart({ quick: true, seed: 3 });
    expect(result.notes.join('\n')).not.toMatch(/DIED|failure:/);
    expect({ lost: result.lost, duplicated: result.duplicated, http5xx: result.http5xx, passed: result.passed }).toEqual({
      lost: 0,
      duplicated: 0,
      http5xx: 0,
      passed: true,
    });
  });
});
