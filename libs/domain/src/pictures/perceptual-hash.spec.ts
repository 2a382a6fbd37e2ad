import { describe, expect, it } from '@jest/globals';
import type { RecordationState } from '#contracts';
import { groupByKeys } from '../registry/marks.js';
import { dctHash, differenceHash, hammingDistance, pictureKeysOf, picturesMatch, pictureSimilarity } from './perceptual-hash.js';

const gradient = (size: number, flip = false) => Array.from({ length: size * size }, (_, i) => ((flip ? size - 1 - (i % size) : i % size) * 255) / size);
const withPicture = (sha256?: string) =>
  ({
    mark: { text: 'x', type: 'figurative', ...(sha256 ? { representation: { sha256, mediaType: 'image/png', width: 1, height: 1, bytes: 1 } } : {}) },
  }) as Pick<RecordationState, 'mark'>;

describe('perceptual hashes', () => {
  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('00000000000000f0', '0000000000000010')).toBe(3);
    expect(() => hammingDistance('00', '000')).toThrow(RangeError);
  });

  it('hashes the same pixels the same way, and a mirrored picture far away', () => {
    const a = { phash: dctHash(gradient(32)), dhash: differenceHash(gradient(9).slice(0, 72)) };
    const b = { phash: dctHash(gradient(32, true)), dhash: differenceHash(gradient(9, true).slice(0, 72)) };
    expect(a.phash).toMatch(/^[0-9a-f]{16}$/);
    expect(picturesMatch(a, a)).toBe(true);
    expect(pictureSimilarity(a, a)).toBe(1);
    expect(picturesMatch(a, b)).toBe(false);
    expect(() => dctHash([1, 2, 3])).toThrow(RangeError);
  });

  it('joins two recordations whose pictures match, whichever picture came first', () => {
    // P stored first (no match yet), Q later lists P; or the other way round: one component either way.
    const pFirst = new Map([
      ['HK:1', pictureKeysOf(withPicture('p'), () => []).map((k) => k.key)],
      ['MO:1', pictureKeysOf(withPicture('q'), () => ['p']).map((k) => k.key)],
    ]);
    const qFirst = new Map([
      ['HK:1', pictureKeysOf(withPicture('p'), () => ['q']).map((k) => k.key)],
      ['MO:1', pictureKeysOf(withPicture('q'), () => []).map((k) => k.key)],
    ]);
    expect(groupByKeys(pFirst)).toEqual([['HK:1', 'MO:1']]);
    expect(groupByKeys(qFirst)).toEqual([['HK:1', 'MO:1']]);
    expect(new Set([...pFirst.values()].flat())).toEqual(new Set([...qFirst.values()].flat()));
    expect(pictureKeysOf(withPicture(), () => ['p'])).toEqual([]);
    expect(pictureKeysOf(withPicture('p'), () => [])[0]).toEqual({ key: 'image:p', kind: 'image', literal: 'p' });
  });
});
