import { describe, expect, it } from '@jest/globals';
import { hostileHttp } from './scenarios/hostile-http.js';

describe('fault: hostile HTTP input (CI size)', () => {
  it('answers every hostile request with a 4xx (or a harmless read), stores and publishes nothing, and stays up', async () => {
    const result = await hostileHttp({ quick: true, seed: 5 });
    const notes = result.notes.join('\n');
    // The notes in full when it failed: which inputs got a 5xx or were accepted, what was stored.
    expect(result.passed ? '' : notes).toBe('');
    expect({ http5xx: result.http5xx, lost: result.lost, duplicated: result.duplicated, passed: result.passed }).toEqual({
      http5xx: 0,
      lost: 0,
      duplicated: 0,
      passed: true,
    });
    expect(result.runs).toBeGreaterThanOrEqual(1_500);
    expect(result.events).toBe(result.runs);
    expect(notes).toMatch(/^1\d{3} hostile requests \(\d+ writes, \d+ reads\)/);
    const coverage = /\b(\d+) of 24 endpoints reached, at least (\d+) requests each/.exec(notes);
    expect(coverage?.slice(1).map(Number)).toEqual([24, expect.any(Number)]);
    expect(Number(coverage?.[2])).toBeGreaterThanOrEqual(5);
    expect(notes).toMatch(/nothing stored or published/);
    expect(notes).toMatch(/both services up and answering afterwards/);
    expect(notes).toMatch(/10 kinds of bad access token each answered 401 by both services; a real token looked up/);
    expect(notes).toMatch(/peak RSS: authority \d+ MiB, registry \d+ MiB/);
  });
});
