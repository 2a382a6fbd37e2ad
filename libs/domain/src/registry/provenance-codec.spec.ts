import { describe, expect, it } from '@jest/globals';
import type { EventRef } from './merge.js';
import { packProvenance, unpackProvenance } from './provenance-codec.js';

const ref = (offset: string, type = 'recordation.created', sequence = 1): EventRef => ({
  eventId: `01a21a4d-4929-7000-8000-${offset.padStart(12, '0')}`,
  authority: 'CN',
  type,
  sequence,
  topic: 'recordations.cn',
  partition: 0,
  offset,
  time: '2026-11-27T00:00:02.345Z',
  receivedAt: '2026-11-29T08:40:04.665Z',
  keyId: 'cn-2026',
  verified: true,
});

describe('provenance codec', () => {
  const created = ref('16');
  const amended = ref('948', 'recordation.amended', 2);
  const provenance = { mark: created, ipType: created, rightsHolder: created, goods: amended, status: amended };

  it('stores each event once and each field as an index', () => {
    const packed = packProvenance(provenance);
    expect(packed.refs).toEqual([created, amended]);
    expect(packed.fields).toEqual({ mark: 0, ipType: 0, rightsHolder: 0, goods: 1, status: 1 });
  });

  it('gives back the same map, through JSON as PostgreSQL would (keys in its own order)', () => {
    const stored = JSON.parse(JSON.stringify(packProvenance(provenance)));
    expect(unpackProvenance(stored)).toEqual(provenance);
  });

  it('merges equal references read back from storage (equal objects, not the same one, keys in another order)', () => {
    const reread = Object.fromEntries(
      Object.entries(provenance).map(([field, r]) => [field, Object.fromEntries(Object.entries(r).reverse()) as unknown as EventRef]),
    );
    expect(packProvenance(reread).refs).toHaveLength(2);
  });

  it('keeps apart references that differ in any fact', () => {
    const packed = packProvenance({ a: created, b: { ...created, verified: false }, c: { ...created, receivedAt: '2026-11-30T00:00:00.000Z' } });
    expect(packed.refs).toHaveLength(3);
    expect(packed.fields).toEqual({ a: 0, b: 1, c: 2 });
  });

  it('reads a row stored before packing (the plain field map) unchanged', () => {
    const plain = JSON.parse(JSON.stringify(provenance));
    expect(unpackProvenance(plain)).toEqual(provenance);
    expect(unpackProvenance({})).toEqual({});
  });

  it('refuses a packed row whose index points nowhere, naming the field', () => {
    expect(() => unpackProvenance({ refs: [created], fields: { mark: 0, goods: 3 } })).toThrow(/goods.*3 of 1/);
  });

  it('is about a tenth of the plain map for a recordation set by one event', () => {
    const fields = [
      'mark',
      'ipType',
      'rightsHolder',
      'trademarkRegistration',
      'niceClasses',
      'goods',
      'licensees',
      'genuineGoods',
      'knownInfringers',
      'status',
      'validFrom',
      'validUntil',
      'approvedAt',
      'examiner',
      'products',
      'authorisedImporters',
      'restrictedFields',
      'transliterations',
    ];
    const plain = Object.fromEntries(fields.map((field) => [field, created]));
    expect(JSON.stringify(packProvenance(plain)).length).toBeLessThan(JSON.stringify(plain).length / 5);
  });
});
