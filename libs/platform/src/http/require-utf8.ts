import { isUtf8 } from 'node:buffer';

/**
 * body-parser `verify` hook: a JSON or NDJSON body must be UTF-8 (RFC 8259 §8.1). Without it, invalid bytes were
 * decoded to U+FFFD and a recordation was stored with replacement characters instead of being refused; bodies
 * declared in another charset (UTF-16, UTF-32) are refused the same way. body-parser calls it on the decompressed
 * bytes; the error's type makes the filter answer 400 naming the body.
 */
export function requireUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string | null): void {
  const charset = (encoding ?? 'utf-8').toLowerCase();
  if ((charset !== 'utf-8' && charset !== 'utf8') || !isUtf8(body)) {
    throw Object.assign(new Error('the body is not valid UTF-8'), { type: 'entity.parse.failed' });
  }
}
