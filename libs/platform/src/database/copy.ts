import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value of one COPY column: null is SQL NULL, a Buffer is bytea, an object is JSON (json/jsonb columns). */
export type CopyValue = string | number | boolean | null | Buffer | object;

/** One value in COPY's text format (backslash escapes; bytea as `\\x` hex). */
export function copyText(value: CopyValue): string {
  if (value === null) return '\\N';
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/**
 * Bulk-writes rows with COPY … FROM STDIN (an order of magnitude faster than INSERTs: bench/RESULTS.md); `rows`
 * may be a generator, so nothing needs to be held in memory at once. Returns the number of rows written.
 */
export async function copyRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  rows: Iterable<CopyValue[]> | AsyncIterable<CopyValue[]>,
): Promise<number> {
  let count = 0;
  // Lines go out in chunks of about 64 KiB: one stream write per row costs more than the row.
  async function* chunks() {
    let chunk = '';
    for await (const row of rows) {
      count++;
      chunk += `${row.map(copyText).join('\t')}\n`;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`)));
  return count;
}
