import { describe, expect, it } from '@jest/globals';
import { requireUtf8 } from './require-utf8.js';

// Found by the hostile-HTTP fault scenario: invalid UTF-8 in a free-text field was decoded to U+FFFD and stored.
describe('requireUtf8 (body-parser verify hook)', () => {
  const check =
    (body: Buffer, encoding: string | null = 'utf-8') =>
    () =>
      requireUtf8(undefined, undefined, body, encoding);

  it('lets UTF-8 through', () => {
    expect(check(Buffer.from('{"goods":"愛馬仕 👜"}'))).not.toThrow();
    expect(check(Buffer.from('{}'), null)).not.toThrow();
  });

  it.each([[[0x80]], [[0xc0, 0xaf]], [[0xed, 0xa0, 0x80]], [[0xe2, 0x82]], [[0xf4, 0x90, 0x80, 0x80]], [[0xff]], [[0xc3, 0x28]]])(
    'refuses the bytes %j as a parse failure (400)',
    (bytes) => {
      const body = Buffer.concat([Buffer.from('{"goods":"Bag '), Buffer.from(bytes), Buffer.from('"}')]);
      expect(check(body)).toThrow(expect.objectContaining({ type: 'entity.parse.failed' }));
    },
  );

  it('refuses a body declared in another charset', () => {
    expect(check(Buffer.from('{}', 'utf16le'), 'utf-16')).toThrow(expect.objectContaining({ type: 'entity.parse.failed' }));
  });
});
