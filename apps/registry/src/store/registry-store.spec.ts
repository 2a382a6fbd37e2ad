import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { MAX_EVENT_BYTES } from '#contracts';
import { QUARANTINE_RAW_PREFIX_BYTES, quarantineRow } from './registry-store.js';

describe('quarantineRow', () => {
  it('keeps a message that could have been an event whole', () => {
    const value = Buffer.alloc(MAX_EVENT_BYTES, 0x61);
    const row = quarantineRow(value, 'schema-violation detail');
    expect(row.raw).toBe(value);
    expect(row.detail).toBe('schema-violation detail');
  });

  it('keeps only the first bytes of an oversized message, with its size and digest in the detail', () => {
    const value = Buffer.alloc(10 * 1024 * 1024, 0x7a);
    value.write('HEAD', 0);
    const row = quarantineRow(value, `${value.length} bytes exceeds ${MAX_EVENT_BYTES}`);
    expect(row.raw).toHaveLength(QUARANTINE_RAW_PREFIX_BYTES);
    expect(row.raw.subarray(0, 4).toString()).toBe('HEAD');
    expect(row.detail).toContain(`of ${value.length} bytes`);
    expect(row.detail).toContain(createHash('sha256').update(value).digest('hex'));
    expect(row.detail).toMatch(/quarantine topic/);
  });
});
