import { describe, expect, it } from '@jest/globals';
import { csvLine } from './export.js';

describe('CSV export cells', () => {
  it('neutralises formulas, full-width ones and those behind white space or line breaks', () => {
    for (const hostile of ['=1+1', '+1', '-1', '@SUM(A1)', '＝HYPERLINK("x")', '＋1', '－1', '＠x', '\n=1+1', '\r\n=cmd', '  =1', '\t=1', '\nplain']) {
      const cell = csvLine([hostile]).trimEnd();
      const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
      expect({ hostile, neutralised: unquoted.startsWith("'") }).toEqual({ hostile, neutralised: true });
    }
  });

  it('leaves ordinary text alone and quotes per RFC 4180', () => {
    expect(csvLine(['愛馬仕', 'HERMES', 'a,b', 'say "hi"', 18, null])).toBe('愛馬仕,HERMES,"a,b","say ""hi""",18,\n');
  });
});
