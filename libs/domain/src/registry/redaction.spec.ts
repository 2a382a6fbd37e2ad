import { describe, expect, it } from '@jest/globals';
import type { FieldRestriction } from '#contracts';
import { recordationRefs, redactForViewer } from './redaction.js';

const restricted = {
  authority: 'CN',
  recordationNumber: 'T2024-00001',
  data: {
    authority: 'CN',
    recordationNumber: 'T2024-00001',
    knownInfringers: [{ name: 'Shady' }],
    restrictions: [{ field: 'knownInfringers', sharedWith: ['HK'] }],
  },
  provenance: { knownInfringers: { eventId: 'e1' }, mark: { eventId: 'e1' } },
  withheld: ['knownInfringers'],
};

describe('redactForViewer, the one redaction policy', () => {
  it('removes a restricted field, its provenance and its restriction for an officer outside the scope', () => {
    const seen = redactForViewer({ items: [restricted] }, { role: 'officer', authority: 'MO' });
    expect(seen.items[0]).toEqual({
      authority: 'CN',
      recordationNumber: 'T2024-00001',
      data: { authority: 'CN', recordationNumber: 'T2024-00001', restrictions: [] },
      provenance: { mark: { eventId: 'e1' } },
    });
  });

  it('shows it to the named authority, the recording one and auditors', () => {
    for (const viewer of [{ role: 'officer', authority: 'HK' as const }, { role: 'officer', authority: 'CN' as const }, { role: 'auditor' }]) {
      expect(redactForViewer(restricted, viewer).data.knownInfringers).toEqual([{ name: 'Shady' }]);
    }
  });

  it("applies today's restrictions to a view of before, and to summaries of any shape", () => {
    const today: FieldRestriction[] = [{ field: 'rightsHolder' as never, sharedWith: ['HK'] }];
    const summary = {
      markId: 'm_1',
      recordations: [{ authority: 'CN', recordationNumber: 'T2024-00001', rightsHolder: { name: 'Secret' }, niceClasses: [18] }],
    };
    const current = (authority: string, number: string) => (authority === 'CN' && number === 'T2024-00001' ? today : undefined);
    expect(redactForViewer(summary, { role: 'officer', authority: 'MO' }, current).recordations[0]).toEqual({
      authority: 'CN',
      recordationNumber: 'T2024-00001',
      niceClasses: [18],
    });
    expect(redactForViewer(summary, { role: 'officer', authority: 'HK' }, current).recordations[0].rightsHolder).toEqual({ name: 'Secret' });
    expect(recordationRefs({ a: [summary, restricted] })).toEqual([{ authority: 'CN', recordationNumber: 'T2024-00001' }]);
  });
});
