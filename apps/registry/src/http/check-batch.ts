import { HttpException, HttpStatus } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { Request } from 'express';
import { hasControlOrLoneSurrogate, validatePlain, type FieldError } from '#contracts';
import { FieldValidationException } from '#platform';
import type { CheckLine } from '../store/registry-queries.js';
import { CheckQuery } from './lookup.dto.js';

/** `POST /api/check/batch`: its body is read by the handler, after authentication (no body parser before it). */
export const CHECK_BATCH_PATH = '/api/check/batch';
/** Lines a batch may hold; more is refused whole with 413. */
export const MAX_BATCH_LINES = 10_000;
/** The limit as a 413 names it, in both spellings of the number. */
const LIMIT_TEXT = `at most ${MAX_BATCH_LINES.toLocaleString('en').replace(/,/g, ' ')} lines (${MAX_BATCH_LINES})`;
/**
 * Bytes a batch body may hold: 10 000 lines of the longest mark (200 characters, each up to a 6-byte JSON escape), a
 * 200-character line id and the field names fit.
 */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'];

/** One line of a batch: a check to answer, or why it cannot be answered. */
export type BatchLine = { index: number; lineId?: string | number; check: CheckLine } | { index: number; lineId?: string | number; errors: FieldError[] };

export interface BatchRequest {
  format: 'ndjson' | 'json';
  lines: BatchLine[];
}

function tooLarge(message: string): HttpException {
  return new HttpException({ statusCode: HttpStatus.PAYLOAD_TOO_LARGE, error: 'Payload Too Large', message }, HttpStatus.PAYLOAD_TOO_LARGE);
}

function badBody(reason: string): FieldValidationException {
  return new FieldValidationException([{ field: '(body)', reason }]);
}

/** Reads a request's body up to `limit` bytes (413 beyond it, without reading the rest). */
export function readBody(req: Request, limit = MAX_BATCH_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(`the body exceeds ${limit} bytes (a batch holds ${LIMIT_TEXT})`));
      return;
    }
    if (req.readableEnded) {
      reject(badBody('was already read'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge(`the body exceeds ${limit} bytes (a batch holds ${LIMIT_TEXT})`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * Parses a batch body (a JSON array, or NDJSON: one JSON object a line, blank lines skipped) into its lines, each
 * validated as `/api/check`'s query is (the same class: mark 1–200 characters, Nice class 1–45) plus its optional
 * line id. An unreadable body is a 400, more than 10 000 lines a 413; a bad line is an error of its own.
 */
export function parseBatchBody(body: Buffer, contentType: string | undefined): BatchRequest {
  if (!isUtf8(body)) throw badBody('is not valid UTF-8');
  const text = body.toString('utf8');
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  let items: unknown[];
  let format: BatchRequest['format'];
  if (NDJSON_TYPES.includes(mediaType)) {
    format = 'ndjson';
    const rows = text.split('\n').filter((row) => row.trim().length > 0);
    if (rows.length > MAX_BATCH_LINES) throw tooLarge(`the batch has ${rows.length} lines; a batch holds ${LIMIT_TEXT}`);
    items = rows.map((row) => {
      try {
        return JSON.parse(row) as unknown;
      } catch {
        return UNPARSEABLE;
      }
    });
    if (items.length && items.every((item) => item === UNPARSEABLE)) throw badBody('no line is valid JSON (NDJSON: one JSON object a line)');
  } else {
    format = 'json';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw badBody('is not valid JSON (a JSON array of lines, or NDJSON with Content-Type application/x-ndjson)');
    }
    if (!Array.isArray(parsed)) throw badBody('must be a JSON array of lines, or NDJSON (application/x-ndjson)');
    if (parsed.length > MAX_BATCH_LINES) throw tooLarge(`the batch has ${parsed.length} lines; a batch holds ${LIMIT_TEXT}`);
    items = parsed;
  }
  if (!items.length) throw badBody('must hold at least one line');
  return { format, lines: items.map((item, index) => parseLine(item, index)) };
}

const UNPARSEABLE = Symbol('unparseable line');

function parseLine(item: unknown, index: number): BatchLine {
  if (item === UNPARSEABLE) return { index, errors: [{ field: '(line)', reason: 'is not valid JSON' }] };
  if (item === null || typeof item !== 'object' || Array.isArray(item))
    return { index, errors: [{ field: '(line)', reason: 'must be a JSON object with a mark' }] };
  const { lineId, ...query } = item as Record<string, unknown>;
  const errors: FieldError[] = [];
  const validLineId =
    lineId === undefined ||
    (typeof lineId === 'string' && lineId.length >= 1 && lineId.length <= 200 && !hasControlOrLoneSurrogate(lineId)) ||
    (typeof lineId === 'number' && Number.isSafeInteger(lineId));
  if (!validLineId) errors.push({ field: 'lineId', reason: 'must be a string of 1 to 200 characters without control characters, or an integer' });
  // As the query of /api/check: PostgreSQL cannot take a NUL, and no mark holds control characters.
  if (typeof query.mark === 'string' && hasControlOrLoneSurrogate(query.mark))
    errors.push({ field: 'mark', reason: 'must not contain control characters or lone surrogates' });
  const validated = validatePlain(CheckQuery, query);
  if (!validated.ok) errors.push(...validated.errors.filter((error) => !errors.some((seen) => seen.field === error.field)));
  const id = validLineId && lineId !== undefined ? { lineId: lineId } : {};
  if (errors.length || !validated.ok) return { index, ...id, errors };
  return { index, ...id, check: { mark: validated.value.mark, niceClass: validated.value.niceClass } };
}
