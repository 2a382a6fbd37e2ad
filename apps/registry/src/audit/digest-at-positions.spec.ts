import { describe, expect, it } from '@jest/globals';
import { differingPaths } from './agreement.js';
import { commonPositions, latestPositions, parsePositions, positionsBehind } from './digest-at-positions.js';

const topics = ['recordations.cn', 'recordations.hk'];

describe('log positions (comparing sites)', () => {
  it('takes the lowest and the highest of several sites per partition, a missing partition counting as 0', () => {
    const a = { 'recordations.cn': { '0': '10', '1': '5' }, 'recordations.hk': { '0': '7' } };
    const b = { 'recordations.cn': { '0': '12', '1': '3' }, 'recordations.hk': {} };
    expect(commonPositions([a, b])).toEqual({ 'recordations.cn': { '0': '10', '1': '3' }, 'recordations.hk': { '0': '0' } });
    expect(latestPositions([a, b])).toEqual({ 'recordations.cn': { '0': '12', '1': '5' }, 'recordations.hk': { '0': '7' } });
  });

  it('says which partitions a site has not reached', () => {
    expect(positionsBehind({ 'recordations.cn': { '0': '10' } }, { 'recordations.cn': { '0': '10', '2': '1' } })).toEqual([
      { topic: 'recordations.cn', partition: '2', stored: '0', wanted: '1' },
    ]);
    expect(positionsBehind({ 'recordations.cn': { '0': '10' } }, { 'recordations.cn': { '0': '9' } })).toEqual([]);
  });

  it('parses positions as JSON with string or integer offsets, and says why it refuses', () => {
    expect(parsePositions('{"recordations.cn":{"0":"12","01":3}}', topics)).toEqual({ positions: { 'recordations.cn': { '0': '12', '1': '3' } } });
    const reason = (value: string) => ('reason' in parsePositions(value, topics) ? (parsePositions(value, topics) as { reason: string }).reason : 'accepted');
    expect(reason('{')).toMatch(/must be JSON/);
    expect(reason('[1]')).toMatch(/must be an object/);
    expect(reason('{"recordations.tw":{}}')).toMatch(/does not read/);
    expect(reason('{"recordations.cn":{"x":"1"}}')).toMatch(/not a partition number/);
    expect(reason('{"recordations.cn":{"0":-1}}')).toMatch(/non-negative integer/);
    expect(reason('{"recordations.cn":{"0":"1.5"}}')).toMatch(/non-negative integer/);
  });

  it('finds the paths where records differ between sites', () => {
    const base = { r: { data: { goods: 'Bags', niceClasses: [18] }, version: 2 } };
    const forged = { r: { data: { goods: 'Forged', niceClasses: [18] }, version: 2 } };
    expect(differingPaths([base, base, forged])).toEqual([{ path: 'r.data.goods', values: ['Bags', 'Bags', 'Forged'] }]);
    expect(differingPaths([base, base])).toEqual([]);
  });
});
