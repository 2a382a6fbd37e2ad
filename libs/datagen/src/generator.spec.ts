import { describe, expect, it } from '@jest/globals';
import { matchingKey } from '#domain';
import { CHARACTER_PAIRS } from './catalogue.js';
import { generateDataset } from './generator.js';

const now = new Date('2026-11-28T00:00:00Z');
const NUMBER_PATTERNS = { CN: /^T\d{4}-\d{5}$/, HK: /^HK-\d{4}-\d{6}$/, MO: /^MO-\d{4}-\d{5}$/ };

describe('generateDataset', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateDataset({ seed: 7, recordations: 300, now });
    const b = generateDataset({ seed: 7, recordations: 300, now });
    const c = generateDataset({ seed: 8, recordations: 300, now });
    expect(JSON.stringify(a)).toEqual(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toEqual(JSON.stringify(c));
  });

  it('makes the requested number of recordations with unique numbers in each authority format', () => {
    const { recordations } = generateDataset({ seed: 1, recordations: 500, now });
    expect(recordations).toHaveLength(500);
    expect(new Set(recordations.map((r) => r.recordationNumber)).size).toBe(500);
    for (const r of recordations) expect(r.recordationNumber).toMatch(NUMBER_PATTERNS[r.authority]);
  });

  it('stays in the Mainland number format past 100 000 recordations (numbered per year, as authorities do)', () => {
    const { recordations } = generateDataset({ seed: 3, recordations: 330_000, now, includeCatalogue: false });
    const mainland = recordations.filter((r) => r.authority === 'CN');
    expect(mainland.length).toBeGreaterThan(100_000);
    expect(mainland.filter((r) => !NUMBER_PATTERNS.CN.test(r.recordationNumber))).toEqual([]);
    expect(new Set(recordations.map((r) => `${r.authority}:${r.recordationNumber}`)).size).toBe(recordations.length);
  });

  it('records the same mark in several authorities and scripts', () => {
    const { recordations } = generateDataset({ seed: 1, recordations: 30, now });
    const hermes = recordations.filter((r) => ['爱马仕', '愛馬仕'].includes(r.body.mark.text));
    expect(hermes.map((r) => r.authority).sort()).toEqual(['CN', 'HK', 'MO']);
    expect(hermes.find((r) => r.authority === 'CN')?.body.mark.script).toBe('Hans');
    expect(hermes.find((r) => r.authority === 'HK')?.body.mark.script).toBe('Hant');
  });

  it('keeps terms current and renewals inside the last six months', () => {
    const { recordations, operations } = generateDataset({ seed: 3, recordations: 2000, now });
    for (const r of recordations) {
      expect(r.body.validUntil > r.body.validFrom).toBe(true);
      expect(new Date(r.body.validUntil).getTime()).toBeGreaterThan(now.getTime());
    }
    const byNumber = new Map(recordations.map((r) => [r.recordationNumber, r]));
    const renewals = operations.filter((op) => op.kind === 'renew');
    expect(renewals.length).toBeGreaterThan(0);
    for (const op of renewals) {
      const until = new Date(byNumber.get(op.recordationNumber)!.body.validUntil).getTime();
      expect(until - now.getTime()).toBeLessThan(183 * 86_400_000);
    }
    expect(new Set(operations.map((op) => op.kind))).toEqual(new Set(['amend', 'renew', 'suspend', 'reinstate', 'revoke', 'cancel']));
  });

  it('writes each generated character so that both scripts share a matching key', () => {
    for (const [simplified, traditional] of CHARACTER_PAIRS) expect([simplified, matchingKey(traditional)]).toEqual([simplified, simplified]);
    expect(new Set(CHARACTER_PAIRS.map(([simplified]) => simplified)).size).toBe(CHARACTER_PAIRS.length);
  });

  it('shares a mark text among a few recordations, as a real register does, not hundreds', () => {
    const { recordations } = generateDataset({ seed: 42, recordations: 100_000, now });
    const perText = new Map<string, number>();
    for (const r of recordations) perText.set(matchingKey(r.body.mark.text), (perText.get(matchingKey(r.body.mark.text)) ?? 0) + 1);
    const largest = Math.max(...perText.values());
    expect(largest).toBeGreaterThan(3); // the same mark in several authorities, and some short texts shared
    expect(largest).toBeLessThan(30);
    expect(recordations.length / perText.size).toBeLessThan(2.5);
  });
});
