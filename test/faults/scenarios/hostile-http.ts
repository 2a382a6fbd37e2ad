import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import sharp from 'sharp';
import { topicNames } from '#contracts';
import { SeededRandom } from '#datagen';
import { createKafka } from '#platform';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_PRINCIPALS, waitFor } from '#testing';
import { HOSTILE_TOKEN_KINDS, TestIdp } from '../../support/idp.js';
import { TOKENS, TestSystem, recordationBody } from '../../support/system.js';
import type { Scenario } from '../scenario.js';
import { ChildApp, MiB, connect, postJson, seconds } from '../support.js';

/**
 * Scenario 5 of the fault suite (issue 9): hostile HTTP input. One authority service (Hong Kong) and the registry run
 * as child processes; every write endpoint of the authority (and the registry's one admin write) and every lookup,
 * audit and list endpoint of both get generated hostile requests: wrong types, huge and deeply nested bodies,
 * invalid UTF-8, NUL bytes, `__proto__`/`constructor` keys, SQL and script injection, absurd dates and numbers,
 * wrong content types and encodings, hostile headers and malformed HTTP. Every generated write is invalid by
 * construction, so nothing may be stored or published. No answer may be a 5xx, every write must be refused with a
 * 4xx (a bulk upload may answer 200 only with nothing created), both services must stay up and their memory bounded.
 */

type Target = 'authority' | 'registry';

interface HostileRequest {
  target: Target;
  /** What kind of hostility, for the failure list. */
  label: string;
  write: boolean;
  /** Bulk answers 200 with per-item results: accepted only when it created nothing. */
  bulk?: boolean;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sent with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
  /** Bytes written straight to the socket (malformed HTTP); the answer's status line is read. */
  raw?: Buffer;
}

interface Answer {
  status: number;
  body: string;
}

const RSS_BOUND = 600 * MiB;
const SCHEMA = 'hong_kong';

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE hong_kong.recordations; --",
  '" OR 1=1 --',
  '1; SELECT pg_sleep(10)--',
  "') UNION SELECT * FROM pg_user --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  '${7*7}',
  '../../../../etc/passwd',
  '%00',
  '$where',
  '{"$gt":""}',
  '\u0000',
  'A\u0000B',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0007',
  '\r\nSet-Cookie: x=1',
  'ＳＥＬＥＣＴ',
  '爱马仕\u0000',
  ' ',
  '',
];

const ABSURD_DATES = [
  '2024-02-30',
  '2023-02-29',
  '0000-00-00',
  '1899-12-31',
  '3000-01-01',
  '99999-01-01',
  '+275760-09-13',
  '-000001-01-01',
  '2024-1-1',
  '2024-01-01T00:00:00Z',
  '2024-13-01',
  '2024-W01-1',
  '2024-123',
  '20240101',
  '２０２４-01-01',
  'yesterday',
  'NaN',
  '2024-01-01\u0000',
];

const ABSURD_TIMESTAMPS = [
  ...ABSURD_DATES,
  '2024-W01',
  '2024W011',
  '2024-366',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T25:61:61Z',
  '1970-01-01T00:00:00+99:99',
  '2024-01-01 00:00:00',
  '2024-01-01T00:00:00,5Z',
  '-2024-01-01',
  '+2024-01-01',
];

/** Numbers JSON can carry that no field takes (raw JSON text, so 1e309 arrives as Infinity). */
const ABSURD_NUMBERS = [
  '0',
  '-1',
  '46',
  '1.5',
  '-0',
  '1e309',
  '-1e309',
  '1e-400',
  '9007199254740993',
  '18446744073709551616',
  '0x12',
  '1e2',
  '0.0000001',
  '99999999999999999999999999999999999999',
];

const WRONG_TYPES: unknown[] = [0, -1, 1.5, true, false, [], {}, [[]], [{}], { $gt: '' }, '', 'x'.repeat(20_001)];

/** Raw JSON fragments that are not valid JSON, or not valid UTF-8. */
const BROKEN_BODIES: (Buffer | string)[] = [
  '{',
  '{"ipType":',
  '{"ipType":"trademark",}',
  "{'ipType':'trademark'}",
  '{"ipType":"trademark"} trailing',
  '/* comment */ {}',
  '\ufeff{}',
  'NaN',
  'undefined',
  '[',
  ']',
  '"\\ud800"',
  '{"a":"\\u00"}',
  '{"a":"\\x41"}',
  '{"a":01}',
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
  Buffer.from([0x00, 0x00, 0x00, 0x7b]),
  Buffer.from('{"a":"\u0000"}'.replace('\u0000', '\x00'), 'latin1'),
];

/** Invalid UTF-8 byte sequences: lone continuation, overlong, encoded surrogate, truncated, beyond U+10FFFF. */
const INVALID_UTF8 = [
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xff]),
  Buffer.from([0xc3, 0x28]),
];

function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A JSON body whose `field` (a dotted path into a valid recordation) holds the raw JSON text `raw`. */
function withRaw(base: Record<string, unknown>, field: string, raw: string | Buffer): Buffer {
  const marker = '__HOSTILE_MARKER__';
  const copy = structuredClone(base);
  const parts = field.split('.');
  let node = copy;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1]] = marker;
  const [before, after] = JSON.stringify(copy).split(`"${marker}"`);
  return Buffer.concat([Buffer.from(before), Buffer.isBuffer(raw) ? raw : Buffer.from(raw), Buffer.from(after)]);
}

/** Percent-encodes, writing a lone surrogate as its (invalid) CESU-8 bytes instead of throwing. */
function enc(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\u0001')).replace(/%01/g, '%ED%A0%80');
  }
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The hostile input generator: deterministic for a seed; every write it makes is invalid by construction. */
class HostileInputs {
  private serial = 0;
  private readonly hugeString: Buffer;

  constructor(
    private readonly random: SeededRandom,
    private readonly numbers: string[],
    private readonly markIds: string[],
    private readonly eventIds: string[],
  ) {
    this.hugeString = Buffer.alloc(60 * MiB, 0x41);
  }

  private key(): string {
    return `hostile-${this.serial++}`;
  }

  private pick<T>(items: readonly T[]): T {
    return this.random.pick(items);
  }

  private number(): string {
    return this.pick(this.numbers);
  }

  private hostileSegment(): string {
    return this.pick([
      ...INJECTIONS.map((s) => enc(s)),
      '%00',
      'HK%00',
      `${enc(this.number())}%00`,
      '%C3%28',
      '%ED%A0%80',
      '%FF',
      '%',
      '%E0%A4%A',
      '..%2F..%2Fetc%2Fpasswd',
      'A'.repeat(41),
      'A'.repeat(5000),
      '%20',
      '__proto__',
      'constructor',
      enc('\u202e'),
      enc(this.number() + "' OR '1'='1"),
    ]);
  }

  private hostileQueryValue(): string {
    return this.pick([
      ...INJECTIONS.map((s) => enc(s)),
      ...ABSURD_TIMESTAMPS.map((s) => enc(s)),
      ...ABSURD_NUMBERS,
      '%00',
      '%C3%28',
      '%FF%FE',
      '%',
      'x'.repeat(5000),
      enc('爱'.repeat(201)),
    ]);
  }

  private publisherHeaders(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${TOKENS.publisher.HK}`, 'content-type': 'application/json', 'idempotency-key': this.key(), ...extra };
  }

  /** A valid create body with a unique mark, which must never be accepted together with a hostile header. */
  private validCreate(): Record<string, unknown> {
    return recordationBody('HK', { mark: { text: `HOSTILE VALID ${this.serial++}`, script: 'Latn', type: 'word' } });
  }

  /** A create body made invalid in one hostile way. */
  private invalidCreateBody(): { label: string; body: Buffer } {
    const base = recordationBody('HK', { mark: { text: `HOSTILE ${this.serial++}`, script: 'Latn', type: 'word' } });
    const enumerated = ['ipType', 'mark.type', 'mark.script', 'rightsHolder.country', 'validFrom', 'validUntil', 'trademarkRegistration.expiresOn'];
    const required = ['ipType', 'mark', 'niceClasses', 'goods', 'rightsHolder', 'trademarkRegistration', 'validFrom'];
    const nested = ['mark', 'rightsHolder', 'trademarkRegistration'];
    switch (this.random.int(0, 16)) {
      case 0:
        return { label: 'injection in an enumerated field', body: withRaw(base, this.pick(enumerated), JSON.stringify(this.pick(INJECTIONS))) };
      case 1:
        return { label: 'wrong type', body: withRaw(base, this.pick(required), JSON.stringify(this.pick(WRONG_TYPES))) };
      case 2:
        return {
          label: 'array or primitive for a nested object',
          body: withRaw(
            base,
            this.pick(nested),
            this.pick(['[]', '[{}]', `[${JSON.stringify(base.mark)}]`, `[${JSON.stringify(base.rightsHolder)}]`, '"x"', '7', 'true']),
          ),
        };
      case 3:
        return {
          label: 'absurd date',
          body: withRaw(base, this.pick(['validFrom', 'validUntil', 'trademarkRegistration.expiresOn']), JSON.stringify(this.pick(ABSURD_DATES))),
        };
      case 4:
        return { label: 'absurd Nice class', body: withRaw(base, 'niceClasses', `[${this.pick(ABSURD_NUMBERS)}]`) };
      case 5: {
        const key = this.pick(['__proto__', 'constructor', 'prototype']);
        const where = this.random.int(0, 2);
        const inner = `{"${key}":{"polluted":true,"isAdmin":true}}`;
        if (where === 0) return { label: `${key} key at the top`, body: Buffer.from(`{"${key}":{"polluted":true},${JSON.stringify(base).slice(1)}`) };
        if (where === 1) return { label: `${key} key nested`, body: withRaw(base, 'mark', `{"text":"X","type":"word","${key}":{"toString":1}}`) };
        return { label: `${key} key in an array item`, body: withRaw(base, 'licensees', `[${inner}]`) };
      }
      case 6:
        return {
          label: 'injection as an unknown key',
          body: Buffer.from(`{${JSON.stringify(this.pick(INJECTIONS) || 'x')}:1,${JSON.stringify(base).slice(1)}`),
        };
      case 7:
        return {
          label: 'deep nesting in a field',
          body: withRaw(base, this.pick(['mark', 'goods', 'licensees', 'rightsHolder']), this.random.chance(0.5) ? deepObject(10_000) : deepArray(10_000)),
        };
      case 8:
        return {
          label: 'deep nesting as the body',
          body: Buffer.from(this.random.chance(0.5) ? deepObject(this.random.int(33, 20_000)) : deepArray(this.random.int(33, 20_000))),
        };
      case 9:
        return {
          label: 'NUL or control characters in text',
          body: withRaw(
            base,
            this.pick(['goods', 'mark.text', 'rightsHolder.name', 'trademarkRegistration.number']),
            JSON.stringify(`ok${this.pick(['\u0000', '\u0007', '\u001b[31m', '\u007f'])}ok`),
          ),
        };
      case 10: {
        // Invalid UTF-8 bytes inside an enumerated field: refused whatever the bytes decode to.
        const bytes = this.pick(INVALID_UTF8);
        return {
          label: 'invalid UTF-8 in an enumerated field',
          body: withRaw(base, this.pick(enumerated), Buffer.concat([Buffer.from('"'), bytes, Buffer.from('"')])),
        };
      }
      case 11: {
        // Invalid UTF-8 bytes in a free-text field: the body is not UTF-8 and must be refused as such.
        const bytes = this.pick(INVALID_UTF8);
        return {
          label: 'invalid UTF-8 in free text',
          body: withRaw(base, this.pick(['goods', 'mark.text', 'rightsHolder.name']), Buffer.concat([Buffer.from('"Bag '), bytes, Buffer.from('"')])),
        };
      }
      case 12:
        return {
          label: 'lone surrogate escape in free text',
          body: withRaw(
            base,
            this.pick(['goods', 'mark.text', 'rightsHolder.name', 'rightsHolder.nameAlt']),
            this.pick(['"Bag \\ud800"', '"\\udc00 Bag"', '"Bag \\ud83d"']),
          ),
        };
      case 13:
        return { label: 'broken JSON', body: Buffer.from(this.pick(BROKEN_BODIES)) };
      case 14: {
        const missing = this.pick(required);
        return { label: 'missing required field', body: json(Object.fromEntries(Object.entries(base).filter(([k]) => k !== missing))) };
      }
      case 15:
        return {
          label: 'over-long text',
          body: withRaw(
            base,
            this.pick(['goods', 'mark.text', 'rightsHolder.name', 'trademarkRegistration.number']),
            JSON.stringify('長'.repeat(this.random.int(10_001, 200_000))),
          ),
        };
      default:
        return {
          label: 'injection as recordation number with another violation',
          body: json({ ...base, recordationNumber: this.pick(INJECTIONS.filter(Boolean)), ipType: this.pick(INJECTIONS) }),
        };
    }
  }

  /** The body of a state change made invalid, for endpoint `action` (renewal, suspension, …). */
  private invalidChangeBody(action: string): { label: string; body: Buffer } {
    const field = action === 'renewal' ? 'validUntil' : 'reason';
    switch (this.random.int(0, 8)) {
      case 0:
        return { label: 'wrong type', body: json({ [field]: this.pick(WRONG_TYPES) }) };
      case 1:
        return { label: 'missing field', body: json(this.pick([{}, { note: 'x' }, { [field.toUpperCase()]: 'x' }])) };
      case 2:
        return {
          label: 'injection in an enumerated field',
          body: json(
            action === 'renewal'
              ? { validUntil: this.pick([...INJECTIONS, ...ABSURD_DATES]) }
              : action === 'cancellation'
                ? { reason: this.pick(INJECTIONS) }
                : { reason: this.pick(['', ' ', '\u0000', 'a\u0000b', '\u0007', 'x'.repeat(2001)]) },
          ),
        };
      case 3:
        return { label: 'prototype key', body: Buffer.from(`{"${this.pick(['__proto__', 'constructor', 'prototype'])}":{"x":1},"${field}":"2031-01-01"}`) };
      case 4:
        return {
          label: 'unknown key with injection',
          body: json({ [field]: action === 'renewal' ? '2031-01-01' : action === 'cancellation' ? 'abandoned' : 'ok', [this.pick(INJECTIONS) || 'x']: 1 }),
        };
      case 5:
        return { label: 'deep nesting', body: Buffer.from(`{"${field}":${deepObject(this.random.int(40, 10_000))}}`) };
      case 6:
        return { label: 'broken JSON', body: Buffer.from(this.pick(BROKEN_BODIES)) };
      case 7:
        return {
          label: 'invalid UTF-8 in the field',
          body: Buffer.concat([
            Buffer.from(`{"${field}":"`),
            action === 'renewal' || action === 'cancellation' ? Buffer.from('') : Buffer.from('x\u0000'),
            this.pick(INVALID_UTF8),
            Buffer.from('"}'),
          ]),
        };
      default:
        return { label: 'absurd number', body: Buffer.from(`{"${field}":${this.pick(ABSURD_NUMBERS)}}`) };
    }
  }

  /** A PATCH body that cannot be a valid amendment. */
  private invalidPatchBody(): { label: string; body: Buffer } {
    switch (this.random.int(0, 6)) {
      case 0:
        return { label: 'empty amendment', body: Buffer.from(this.pick(['{}', 'null', '""', '[]', '0', 'true'])) };
      case 1:
        return {
          label: 'non-amendable field',
          body: json(this.pick([{ ipType: 'patent' }, { status: 'active' }, { version: 99 }, { recordationNumber: 'X' }, { authority: 'CN' }])),
        };
      case 2:
        return {
          label: 'injection in an enumerated field',
          body: json(
            this.pick([
              { mark: { text: 'X', type: this.pick(INJECTIONS) } },
              { rightsHolder: { name: 'X', country: this.pick(INJECTIONS) } },
              { validUntil: this.pick(INJECTIONS) },
              { restrictions: [{ field: this.pick(INJECTIONS), visibleTo: ['HK'] }] },
            ]),
          ),
        };
      case 3:
        return {
          label: 'absurd value',
          body: Buffer.from(
            this.pick([
              `{"niceClasses":[${this.pick(ABSURD_NUMBERS)}]}`,
              `{"validFrom":${JSON.stringify(this.pick(ABSURD_DATES))}}`,
              '{"niceClasses":[]}',
              `{"niceClasses":[1,1]}`,
            ]),
          ),
        };
      case 4:
        return { label: 'prototype key', body: Buffer.from(`{"goods":"Bags","${this.pick(['__proto__', 'constructor', 'prototype'])}":{"status":"revoked"}}`) };
      case 5:
        return {
          label: 'array for a nested object',
          body: json(
            this.pick([
              { mark: [] },
              { rightsHolder: [] },
              { trademarkRegistration: [] },
              { representative: [] },
              { mark: [{ text: 'ARRAY MARK', type: 'word' }] },
            ]),
          ),
        };
      default: {
        // A create body missing a required field is a valid amendment: not that one.
        let body = this.invalidCreateBody();
        while (body.label === 'missing required field') body = this.invalidCreateBody();
        return body;
      }
    }
  }

  /** Headers that must be refused whatever the body (the body is then valid, to prove the header alone stops it). */
  private hostileWriteHeaders(): { label: string; headers: Record<string, string> } {
    const base = { 'content-type': 'application/json' };
    return this.pick([
      { label: 'no credential', headers: { ...base, 'idempotency-key': this.key() } },
      {
        label: 'unknown credential',
        headers: {
          ...base,
          authorization: `Bearer ${this.pick(["' OR '1'='1", 'admin', 'test-publisher-hk-', 'x'.repeat(512)])}`,
          'idempotency-key': this.key(),
        },
      },
      { label: 'another authority publisher', headers: { ...base, authorization: `Bearer ${TOKENS.publisher.CN}`, 'idempotency-key': this.key() } },
      { label: 'officer credential on a write', headers: { ...base, authorization: `Bearer ${TOKENS.officer.HK}`, 'idempotency-key': this.key() } },
      { label: 'basic auth', headers: { ...base, authorization: `Basic ${Buffer.from(`admin:${TOKENS.publisher.HK}`).toString('base64')}` } },
      { label: 'over-long credential', headers: { ...base, authorization: `Bearer ${'x'.repeat(513)}` } },
      {
        label: 'hostile Idempotency-Key',
        headers: {
          ...base,
          authorization: `Bearer ${TOKENS.publisher.HK}`,
          'idempotency-key': this.pick(['x'.repeat(201), 'a b', "'; DROP TABLE idempotency_keys; --", 'clé\u00a0', '\t']),
        },
      },
    ]);
  }

  /** Content types and encodings no write takes (with a body that is invalid anyway). */
  private hostileContent(): { label: string; headers: Record<string, string>; body: Buffer } {
    const body = Buffer.from(this.pick(['{}', '<recordation/>', 'ipType=trademark', deepObject(100)]));
    const auth = { authorization: `Bearer ${TOKENS.publisher.HK}`, 'idempotency-key': this.key() };
    return this.pick([
      { label: 'text/plain', headers: { ...auth, 'content-type': 'text/plain' }, body },
      { label: 'xml', headers: { ...auth, 'content-type': 'application/xml' }, body },
      { label: 'form', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body },
      {
        label: 'multipart',
        headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' },
        body: Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'),
      },
      { label: 'charset latin1', headers: { ...auth, 'content-type': 'application/json; charset=latin1' }, body },
      {
        label: 'charset utf-16',
        headers: { ...auth, 'content-type': 'application/json; charset=utf-16' },
        body: Buffer.from('{"ipType":"trademark"}', 'utf16le'),
      },
      { label: 'charset utf-32', headers: { ...auth, 'content-type': 'application/json; charset=utf-32' }, body },
      { label: 'no content type', headers: { ...auth }, body },
      { label: 'bogus content type', headers: { ...auth, 'content-type': '%%%/;;;=' }, body },
      {
        label: 'unknown encoding',
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': this.pick(['br', 'x-evil', 'compress']) },
        body,
      },
      { label: 'gzip garbage', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: Buffer.from('this is not gzip') },
      { label: 'gzip bomb', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipBomb() },
      {
        label: 'deflate garbage',
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'deflate' },
        body: Buffer.from([0x78, 0x9c, 0xff, 0xff]),
      },
    ]);
  }

  /** One hostile write to one of the authority's write endpoints. */
  private write(): HostileRequest {
    const endpoint = this.random.int(0, 9);
    const actions = ['renewal', 'suspension', 'reinstatement', 'cancellation', 'revocation'];
    const style = this.random.next();
    // Path for change endpoints: mostly a real number, sometimes a hostile segment (404/400 then, nothing stored).
    const numberSegment = () => (this.random.chance(0.8) ? enc(this.number()) : this.hostileSegment());
    const req = (
      label: string,
      method: string,
      path: string,
      body: Buffer,
      headers = this.publisherHeaders(),
      extra: Partial<HostileRequest> = {},
    ): HostileRequest => ({ target: 'authority', write: true, label, method, path, body, headers, ...extra });

    if (style < 0.08) {
      // Hostile headers with an otherwise valid request.
      const { label, headers } = this.hostileWriteHeaders();
      if (endpoint <= 1) return req(`POST /recordations: ${label}`, 'POST', '/recordations', json(this.validCreate()), headers);
      if (endpoint === 2)
        return req(`POST /recordations/bulk: ${label}`, 'POST', '/recordations/bulk', json([this.validCreate(), this.validCreate()]), headers, { bulk: true });
      return req(`POST suspension: ${label}`, 'POST', `/recordations/${enc(this.number())}/suspension`, json({ reason: 'hostile header test' }), headers);
    }
    if (style < 0.16) {
      const { label, headers, body } = this.hostileContent();
      const path = this.pick(['/recordations', '/recordations/bulk', `/recordations/${enc(this.number())}/suspension`, `/recordations/${enc(this.number())}`]);
      return req(
        `${path.endsWith('bulk') ? 'bulk' : 'write'}: ${label}`,
        path.split('/').length === 3 && !path.endsWith('bulk') ? 'PATCH' : 'POST',
        path,
        body,
        headers,
        { bulk: path.endsWith('bulk') },
      );
    }
    switch (endpoint) {
      case 0:
      case 1: {
        const { label, body } = this.invalidCreateBody();
        return req(`POST /recordations: ${label}`, 'POST', '/recordations', body);
      }
      case 2: {
        const { label, body } = this.invalidPatchBody();
        return req(`PATCH /recordations/:number: ${label}`, 'PATCH', `/recordations/${numberSegment()}`, body);
      }
      case 3:
      case 4:
      case 5:
      case 6: {
        const action = this.pick(actions);
        const { label, body } = this.invalidChangeBody(action);
        return req(`POST ${action}: ${label}`, 'POST', `/recordations/${numberSegment()}/${action}`, body);
      }
      case 7: {
        // Bulk as a JSON array of invalid items (answers 200 with every item rejected) or an invalid whole.
        const n = this.random.int(1, 30);
        const items = Array.from({ length: n }, () => this.invalidCreateBody().body);
        const shape = this.random.int(0, 5);
        if (shape === 0)
          return req(
            'bulk JSON: invalid items',
            'POST',
            '/recordations/bulk',
            Buffer.concat([Buffer.from('['), ...items.flatMap((b, i) => (i ? [Buffer.from(','), b] : [b])), Buffer.from(']')]),
            this.publisherHeaders(),
            { bulk: true },
          );
        if (shape === 1)
          return req(
            'bulk JSON: not an array',
            'POST',
            '/recordations/bulk',
            Buffer.from(this.pick(['{}', '"x"', '7', 'null', '[]', deepArray(100_000), deepObject(50_000)])),
            this.publisherHeaders(),
            { bulk: true },
          );
        if (shape === 2)
          return req(
            'bulk JSON: too many items',
            'POST',
            '/recordations/bulk',
            Buffer.from(`[${Array.from({ length: 10_001 }, () => '{}').join(',')}]`),
            this.publisherHeaders(),
            { bulk: true },
          );
        if (shape === 3)
          return req(
            'bulk JSON: primitives and prototype keys',
            'POST',
            '/recordations/bulk',
            Buffer.from(`[1,"x",null,[],{"__proto__":{"a":1}},{"constructor":{"prototype":{}}},${deepArray(5000)}]`),
            this.publisherHeaders(),
            { bulk: true },
          );
        if (shape === 4)
          return req('bulk JSON: broken', 'POST', '/recordations/bulk', Buffer.from(this.pick(BROKEN_BODIES)), this.publisherHeaders(), { bulk: true });
        return req(
          'bulk JSON: invalid UTF-8',
          'POST',
          '/recordations/bulk',
          Buffer.concat([Buffer.from('['), this.invalidCreateBody().body, Buffer.from(','), Buffer.from('"'), this.pick(INVALID_UTF8), Buffer.from('"]')]),
          this.publisherHeaders(),
          { bulk: true },
        );
      }
      case 8: {
        // Bulk as NDJSON: lines of invalid items, broken lines, NULs and invalid UTF-8 between lines.
        const n = this.random.int(1, 30);
        const lines: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          const kind = this.random.int(0, 4);
          if (kind <= 1) lines.push(this.invalidCreateBody().body);
          else if (kind === 2) lines.push(Buffer.from(this.pick(BROKEN_BODIES)));
          else if (kind === 3) lines.push(Buffer.concat([Buffer.from('{"a":"'), this.pick(INVALID_UTF8), Buffer.from('"}')]));
          else lines.push(Buffer.from(this.pick(['\u0000', '\r', '   ', '\u2028', '[]', '1', 'null', '"x"', deepObject(2000)])));
        }
        const separator = Buffer.from(this.pick(['\n', '\r\n', '\n\n']));
        const type = this.pick(['application/x-ndjson', 'application/ndjson', 'application/x-ndjson; charset=utf-8']);
        return req(
          'bulk NDJSON: invalid lines',
          'POST',
          '/recordations/bulk',
          Buffer.concat(lines.flatMap((l, i) => (i ? [separator, l] : [l]))),
          this.publisherHeaders({ 'content-type': type }),
          { bulk: true },
        );
      }
      default: {
        // Paths and methods that are not endpoints, or hostile path parameters on real ones.
        const method = this.pick(['PUT', 'DELETE', 'POST', 'PATCH']);
        const path = this.pick([
          `/recordations/${this.hostileSegment()}`,
          `/recordations/${this.hostileSegment()}/${this.pick(actions)}`,
          `/recordations/${enc(this.number())}/${this.hostileSegment()}`,
          '/recordations/bulk/x',
          `/recordations/${this.hostileSegment()}/../bulk`,
        ]);
        return req(`${method} hostile path`, method, path, json({ reason: 'x', validUntil: 'x' }));
      }
    }
  }

  /** One hostile read (or a registry admin write) against either service. */
  private read(): HostileRequest {
    const q = () => this.hostileQueryValue();
    const officer = { authorization: `Bearer ${this.pick([TOKENS.officer.HK, TOKENS.officer.CN, TOKENS.auditor])}` };
    const auditor = { authorization: `Bearer ${TOKENS.auditor}` };
    const realMark = () => (this.markIds.length ? this.pick(this.markIds) : 'm_0');
    const authority = () => this.pick(['HK', 'CN', 'MO', 'hk', 'XX', '%00', "'%20OR%201=1", '__proto__']);
    const get = (target: Target, label: string, path: string, headers: Record<string, string>): HostileRequest => ({
      target,
      label,
      write: false,
      method: 'GET',
      path,
      headers,
    });
    const style = this.random.next();
    if (style < 0.07) {
      // Hostile headers on lookups.
      const headers = this.pick<Record<string, string>>([
        {},
        { authorization: 'Bearer ' },
        { authorization: `Bearer ${"' OR 1=1 --"}` },
        { authorization: `Bearer ${TOKENS.publisher.HK}` },
        { authorization: `Bearer ${'y'.repeat(600)}` },
        { authorization: `Bearer ${TOKENS.officer.HK}`, 'accept-language': 'x'.repeat(8000) },
        { authorization: `Bearer ${TOKENS.officer.HK}`, cookie: `${'a=1; '.repeat(1000)}` },
      ]);
      return get('registry', 'lookup with hostile headers', `/api/check?mark=${q()}`, headers);
    }
    switch (this.random.int(0, 15)) {
      case 0:
        return get(
          'registry',
          'check',
          `/api/check?mark=${q()}${this.random.chance(0.4) ? `&niceClass=${q()}` : ''}${this.random.chance(0.2) ? `&${q()}=${q()}` : ''}`,
          officer,
        );
      case 1:
        return get('registry', 'check with repeated parameters', `/api/check?mark=${q()}&mark=${q()}&niceClass=1&niceClass=2`, officer);
      case 2:
      case 3: {
        const params = ['q', 'niceClass', 'authority', 'status', 'holder', 'limit', 'cursor', this.pick(['__proto__', 'constructor', 'toString', "q'--", 'x'])];
        const chosen = this.random.sample(params, this.random.int(1, 4));
        return get(
          'registry',
          'search',
          `/api/marks/search?${chosen.map((p) => `${enc(p)}=${q()}`).join('&')}${this.random.chance(0.5) ? `&q=${q()}` : ''}`,
          officer,
        );
      }
      case 4:
        return get(
          'registry',
          'mark',
          `/api/marks/${this.random.chance(0.5) ? this.hostileSegment() : realMark()}${this.random.chance(0.6) ? `?asOf=${q()}` : ''}`,
          officer,
        );
      case 5:
        return get(
          'registry',
          'recordation',
          `/api/recordations/${authority()}/${this.random.chance(0.4) ? this.hostileSegment() : enc(this.number())}${this.random.chance(0.6) ? `?asOf=${q()}` : ''}`,
          officer,
        );
      case 6:
        return get(
          'registry',
          'recordation history',
          `/api/recordations/${authority()}/${this.random.chance(0.5) ? this.hostileSegment() : enc(this.number())}/history`,
          this.random.chance(0.8) ? auditor : officer,
        );
      case 7:
        return get(
          'registry',
          'mark history',
          `/api/marks/${this.random.chance(0.5) ? this.hostileSegment() : realMark()}/history`,
          this.random.chance(0.8) ? auditor : officer,
        );
      case 8:
        return get(
          'registry',
          'audit export',
          `/api/audit/export?since=${q()}${this.random.chance(0.5) ? `&format=${this.pick(['csv', 'ndjson', q()])}` : ''}${this.random.chance(0.5) ? `&what=${this.pick(['events', 'registry', q()])}` : ''}`,
          auditor,
        );
      case 9:
        return get('registry', 'audit digest', `/api/audit/digest?asOf=${q()}`, auditor);
      case 10:
        return get(
          'registry',
          'audit verify',
          `/api/audit/verify?eventId=${this.random.chance(0.3) && this.eventIds.length ? enc(this.pick(this.eventIds)) + q() : q()}`,
          auditor,
        );
      case 11:
        return get('registry', 'audit quarantine', `/api/audit/quarantine?limit=${q()}`, auditor);
      case 12: {
        // The registry's one write: aliases (admin), with invalid bodies only.
        const body = this.pick<Buffer>([
          json({ from: this.pick(WRONG_TYPES), to: 'NIKE' }),
          json({ from: 'NIKE' }),
          json({ from: '', to: '' }),
          json({ from: 'x'.repeat(201), to: 'NIKE' }),
          json({ from: '!!!', to: '???' }),
          json({ from: 'SAME', to: 'same' }),
          json({ from: 'NIKE\u0000', to: 'NIKE' }),
          json({ from: 'A', to: 'B', [this.pick(INJECTIONS) || 'x']: 1 }),
          Buffer.from('{"__proto__":{"isAdmin":true},"from":"A","to":"B"}'),
          Buffer.from(deepObject(10_000)),
          Buffer.from(this.pick(BROKEN_BODIES)),
        ]);
        const headers = this.random.chance(0.85)
          ? { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' }
          : { authorization: `Bearer ${TOKENS.officer.HK}`, 'content-type': 'application/json' };
        return { target: 'registry', label: 'POST aliases: invalid', write: true, method: 'POST', path: '/api/admin/aliases', headers, body };
      }
      case 13: {
        const params = ['status', 'updatedSince', 'cursor', 'limit', this.pick(['__proto__', 'x', 'status[]', 'limit[$gt]'])];
        const chosen = this.random.sample(params, this.random.int(1, 3));
        return get(
          'authority',
          'GET /recordations',
          `/recordations?${chosen.map((p) => `${enc(p)}=${this.random.chance(0.2) ? Buffer.from(this.pick(INJECTIONS)).toString('base64url') : q()}`).join('&')}`,
          { authorization: `Bearer ${TOKENS.publisher.HK}` },
        );
      }
      case 14:
        return get('authority', 'GET /recordations/:number', `/recordations/${this.hostileSegment()}`, { authorization: `Bearer ${TOKENS.publisher.HK}` });
      default:
        return get(
          'registry',
          'aliases, metrics, health with garbage',
          this.pick(['/api/admin/aliases', '/metrics', '/health', '/health/ready']) + `?${q()}=${q()}`,
          officer,
        );
    }
  }

  /** Huge bodies: 60 MB with and without Content-Length, to each kind of write. */
  huge(): HostileRequest[] {
    const auth = { authorization: `Bearer ${TOKENS.publisher.HK}`, 'content-type': 'application/json' };
    const wrapped = Buffer.concat([Buffer.from('{"goods":"'), this.hugeString, Buffer.from('"}')]);
    const manyItems = Buffer.concat([Buffer.from('['), Buffer.from('{"goods":1},'.repeat(5 * MiB)), Buffer.from('{}]')]); // 60 MB of items
    const ndjson = Buffer.from('{"ipType":"x"}\n'.repeat(4 * MiB)); // 60 MB of lines
    return [
      {
        target: 'authority',
        label: '60 MB create',
        write: true,
        method: 'POST',
        path: '/recordations',
        headers: { ...auth, 'idempotency-key': this.key() },
        body: wrapped,
      },
      {
        target: 'authority',
        label: '60 MB create, chunked',
        write: true,
        method: 'POST',
        path: '/recordations',
        headers: { ...auth, 'idempotency-key': this.key() },
        body: wrapped,
        chunked: true,
      },
      { target: 'authority', label: '60 MB bulk JSON', write: true, bulk: true, method: 'POST', path: '/recordations/bulk', headers: auth, body: manyItems },
      {
        target: 'authority',
        label: '60 MB bulk JSON, chunked',
        write: true,
        bulk: true,
        method: 'POST',
        path: '/recordations/bulk',
        headers: auth,
        body: manyItems,
        chunked: true,
      },
      {
        target: 'authority',
        label: '60 MB bulk NDJSON',
        write: true,
        bulk: true,
        method: 'POST',
        path: '/recordations/bulk',
        headers: { ...auth, 'content-type': 'application/x-ndjson' },
        body: ndjson,
        chunked: true,
      },
      {
        target: 'authority',
        label: '60 MB renewal',
        write: true,
        method: 'POST',
        path: `/recordations/${enc(this.number())}/renewal`,
        headers: { ...auth, 'idempotency-key': this.key() },
        body: wrapped,
      },
      {
        target: 'registry',
        label: '60 MB alias',
        write: true,
        method: 'POST',
        path: '/api/admin/aliases',
        headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
        body: wrapped,
        chunked: true,
      },
    ];
  }

  /** Malformed HTTP written straight to the socket. */
  private raw(): HostileRequest {
    const target: Target = this.random.chance(0.7) ? 'authority' : 'registry';
    const auth = target === 'authority' ? `Bearer ${TOKENS.publisher.HK}` : `Bearer ${TOKENS.officer.HK}`;
    const path = target === 'authority' ? '/recordations' : '/api/check?mark=x';
    const lines = this.pick([
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nIdempotency-Key: a\u0000b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 10\r\nContent-Length: 2\r\n\r\n{}`,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n`,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`,
      `GET ${path}\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n`,
      `BREW ${path} HTCPCP/1.0\r\n\r\n`,
      `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\n\r\n`,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
      `GET ${path} HTTP/1.1\nHost: x\n\n`,
    ]);
    return { target, label: 'malformed HTTP', write: target === 'authority', raw: Buffer.from(lines, 'latin1') };
  }

  next(): HostileRequest {
    const r = this.random.next();
    if (r < 0.03) return this.raw();
    if (r < 0.55) return this.write();
    return this.read();
  }
}

function gzipBomb(): Buffer {
  gzipBomb.cached ??= gzipSync(Buffer.alloc(64 * MiB, 0x20));
  return gzipBomb.cached;
}
gzipBomb.cached = undefined as Buffer | undefined;

/** Sends one request with node:http (bytes as given); resolves with the status and up to 64 KiB of the answer. */
function send(agent: http.Agent, base: string, request: HostileRequest): Promise<Answer> {
  const url = new URL(base);
  if (request.raw) return sendRaw(url, request.raw);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined && !request.chunked) headers['content-length'] = Buffer.byteLength(request.body);
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < 64 * 1024) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    if (request.body === undefined) {
      req.end();
    } else if (request.chunked) {
      // Stream in 1 MiB chunks, as a client uploading would; stop when the server has answered or closed.
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
      let offset = 0;
      const pump = () => {
        while (offset < body.length && !req.destroyed) {
          const chunk = body.subarray(offset, offset + MiB);
          offset += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    } else {
      req.end(request.body);
    }
  });
}

function sendRaw(url: URL, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), 30_000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(match[1]), body: received.slice(0, 500) });
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      // The server may close a malformed connection without answering: that is a refusal, not a crash.
      resolve({ status: -1, body: received.slice(0, 500) });
    });
  });
}

/** Every endpoint the scenario must reach; a run that missed one fails. */
const ENDPOINTS = [
  'authority POST /recordations',
  'authority PATCH /recordations/:number',
  'authority POST /recordations/:number/renewal',
  'authority POST /recordations/:number/suspension',
  'authority POST /recordations/:number/reinstatement',
  'authority POST /recordations/:number/cancellation',
  'authority POST /recordations/:number/revocation',
  'authority POST /recordations/bulk (JSON)',
  'authority POST /recordations/bulk (NDJSON)',
  'authority GET /recordations',
  'authority GET /recordations/:number',
  'registry GET /api/check',
  'registry GET /api/marks/search',
  'registry GET /api/marks/:markId',
  'registry GET /api/marks/:markId/history',
  'registry GET /api/recordations/:authority/:number',
  'registry GET /api/recordations/:authority/:number/history',
  'registry GET /api/audit/export',
  'registry GET /api/audit/digest',
  'registry GET /api/audit/verify',
  'registry GET /api/audit/quarantine',
  'registry GET /api/admin/aliases',
  'registry POST /api/admin/aliases',
  'registry POST /api/marks/search-by-image',
] as const;

/**
 * Hostile pictures (issue 19), made with sharp before the run: each is sent as a figurative mark's picture to the
 * authority (create and amend: must be a 4xx) and as the body of a search by picture (must be a 4xx), and a valid
 * logo is sent many times at once (a flood: 200 or 429, never a 5xx or a stuck worker).
 */
async function hostilePictures(): Promise<{ valid: Buffer; hostile: { label: string; bytes: Buffer; declared?: string }[] }> {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script><circle cx="50" cy="50" r="40"/></svg>');
  const valid = await sharp(svg).png().toBuffer();
  const huge = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#ffffff' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  // A PNG whose header claims 100 000 × 100 000 pixels (a decompression bomb's header; its CRC no longer matches).
  const bomb = Buffer.from(valid);
  bomb.writeUInt32BE(100_000, 16);
  bomb.writeUInt32BE(100_000, 20);
  const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
  return {
    valid,
    hostile: [
      { label: 'zero bytes', bytes: Buffer.alloc(0) },
      { label: 'truncated PNG', bytes: valid.subarray(0, Math.floor(valid.length / 2)) },
      { label: 'PNG declared as JPEG', bytes: valid, declared: 'image/jpeg' },
      { label: 'SVG with a script', bytes: svg },
      { label: '10 000 × 10 000 PNG', bytes: huge },
      { label: 'PNG header claiming 100 000²', bytes: bomb },
      { label: 'GIF', bytes: gif },
      { label: 'PNG signature then garbage', bytes: Buffer.concat([valid.subarray(0, 8), Buffer.alloc(4096, 0x41)]) },
      { label: 'JPEG signature only', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
    ],
  };
}

function pictureRequests(
  pictures: Awaited<ReturnType<typeof hostilePictures>>,
  numbers: readonly string[],
  key: () => string,
  floodSize: number,
): HostileRequest[] {
  const auth = { authorization: `Bearer ${TOKENS.publisher.HK}`, 'content-type': 'application/json' };
  const officer = { authorization: `Bearer ${TOKENS.officer.HK}` };
  const requests: HostileRequest[] = [];
  for (const { label, bytes, declared } of pictures.hostile) {
    const representation = { data: bytes.toString('base64'), ...(declared ? { mediaType: declared } : {}) };
    const mark = { text: 'HOSTILE PICTURE', script: 'Latn', type: 'figurative', representation };
    requests.push(
      {
        target: 'authority',
        label: `picture: ${label}, create`,
        write: true,
        method: 'POST',
        path: '/recordations',
        headers: { ...auth, 'idempotency-key': key() },
        body: JSON.stringify(recordationBody('HK', { mark })),
      },
      {
        target: 'authority',
        label: `picture: ${label}, amend`,
        write: true,
        method: 'PATCH',
        path: `/recordations/${enc(numbers[numbers.length - 1])}`,
        headers: { ...auth, 'idempotency-key': key() },
        body: JSON.stringify({ mark }),
      },
      {
        target: 'registry',
        label: `picture: ${label}, search`,
        write: true,
        method: 'POST',
        path: '/api/marks/search-by-image',
        headers: { ...officer, 'content-type': declared ?? 'image/png' },
        body: bytes,
      },
    );
  }
  for (let i = 0; i < floodSize; i++) {
    requests.push({
      target: 'registry',
      label: 'picture: flood of searches',
      write: false,
      method: 'POST',
      path: '/api/marks/search-by-image',
      headers: { ...officer, 'content-type': 'image/png' },
      body: pictures.valid,
    });
  }
  return requests;
}

/** The endpoint a generated request is aimed at (undefined for malformed HTTP and paths that are no endpoint). */
function endpointOf(request: HostileRequest): string | undefined {
  if (request.raw || !request.path || !request.method) return undefined;
  const path = request.path.split('?')[0];
  const segments = path.split('/').slice(1);
  const { method, target } = request;
  if (target === 'authority' && segments[0] === 'recordations') {
    if (segments.length === 1) return `authority ${method} /recordations`;
    if (segments.length === 2 && segments[1] === 'bulk' && method === 'POST') {
      return `authority POST /recordations/bulk (${/ndjson/.test(request.headers?.['content-type'] ?? '') ? 'NDJSON' : 'JSON'})`;
    }
    if (segments.length === 2 && (method === 'PATCH' || method === 'GET')) return `authority ${method} /recordations/:number`;
    if (segments.length === 3 && method === 'POST' && ['renewal', 'suspension', 'reinstatement', 'cancellation', 'revocation'].includes(segments[2]))
      return `authority POST /recordations/:number/${segments[2]}`;
    return undefined;
  }
  if (target === 'registry' && segments[0] === 'api') {
    const [, first, second, , fourth] = segments;
    if (first === 'marks' && second === 'search-by-image' && method === 'POST') return 'registry POST /api/marks/search-by-image';
    if (first === 'check' || (first === 'marks' && second === 'search')) return `registry GET ${path}`;
    if (first === 'marks') return `registry GET /api/marks/:markId${segments[3] === 'history' ? '/history' : ''}`;
    if (first === 'recordations') return `registry GET /api/recordations/:authority/:number${fourth === 'history' ? '/history' : ''}`;
    if (first === 'audit' || first === 'admin') return `registry ${method} ${path}`;
  }
  return undefined;
}

interface Baseline {
  authority: Record<string, number>;
  registry: Record<string, number>;
  offsets: Record<string, string>;
}

async function takeBaseline(db: pg.Client, system: TestSystem): Promise<Baseline> {
  const count = async (table: string) => Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const authority = {
    recordations: await count(`${SCHEMA}.recordations`),
    outbox: await count(`${SCHEMA}.outbox`),
    idempotencyKeys: await count(`${SCHEMA}.idempotency_keys`),
    recordationVersions: Number((await db.query(`SELECT coalesce(sum(version), 0) AS n FROM ${SCHEMA}.recordations`)).rows[0].n),
  };
  const registry = {
    recordations: await count('registry.recordations'),
    events: await count('registry.events'),
    aliases: await count('registry.aliases'),
    quarantine: await count('registry.quarantine'),
    marks: await count('registry.marks'),
  };
  const admin = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'faults-hostile-admin', ...TEST_KAFKA_PRINCIPALS.admin, logLevel: 'NOTHING' }).admin();
  await admin.connect();
  const offsets: Record<string, string> = {};
  try {
    const topics = topicNames(system.prefix);
    for (const topic of [topics.CN, topics.HK, topics.MO, topics.QUARANTINE]) {
      const partitions = await admin.fetchTopicOffsets(topic);
      offsets[topic] = partitions
        .sort((a, b) => a.partition - b.partition)
        .map((p) => `${p.partition}:${p.high}`)
        .join(',');
    }
  } finally {
    await admin.disconnect();
  }
  return { authority, registry, offsets };
}

function differences(before: Baseline, after: Baseline): string[] {
  const out: string[] = [];
  for (const side of ['authority', 'registry', 'offsets'] as const) {
    for (const [name, value] of Object.entries(before[side])) {
      const now = (after[side] as Record<string, number | string>)[name];
      if (now !== value) out.push(`${side}.${name}: ${value} → ${now}`);
    }
  }
  return out;
}

export const hostileHttp: Scenario = async ({ quick, seed }) => {
  const name = 'hostile HTTP input';
  const inputCount = quick ? 1_500 : 10_000;
  const hugeRounds = quick ? 1 : 3;
  const concurrency = 12;
  const random = new SeededRandom(seed);
  const started = performance.now();
  const system = await TestSystem.create('hostile');
  // The real identity provider: both services accept its tokens, so hostile tokens meet the real verifier (issue 21).
  const idp = await TestIdp.start();
  const db = await connect(system.database.url);
  let authority: ChildApp | undefined;
  let registry: ChildApp | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  try {
    authority = await ChildApp.start('hong-kong', system.authorityEnv('HK', { LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '10000000', ...idp.env() }));
    registry = await ChildApp.start('registry', system.registryEnv({ LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '10000000', ...idp.env() }));

    // Seed real recordations in several states, so the change endpoints and lookups hit real numbers.
    const numbers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await postJson(
        `${authority.url}/recordations`,
        TOKENS.publisher.HK,
        recordationBody('HK', { mark: { text: `HOSTILE SEED ${i}`, script: 'Latn', type: 'word' } }),
        `seed-${i}`,
      );
      if (created.status !== 201) throw new Error(`seeding answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`);
      numbers.push(created.body.recordationNumber as string);
    }
    for (const [i, action] of (['suspension', 'cancellation', 'revocation'] as const).entries()) {
      const answer = await postJson(
        `${authority.url}/recordations/${enc(numbers[i])}/${action}`,
        TOKENS.publisher.HK,
        action === 'cancellation' ? { reason: 'abandoned' } : { reason: 'seeded state' },
        `seed-${action}`,
      );
      if (answer.status !== 200) throw new Error(`seeding ${action} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    const seededEvents = numbers.length + 3;
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`)).rows[0].n) === 0 || undefined, {
      timeoutMs: 60_000,
      description: 'the seeds published',
    });
    await waitFor(
      async () =>
        Number((await db.query(`SELECT count(*) AS n FROM registry.events`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n) >= seededEvents || undefined,
      { timeoutMs: 120_000, description: 'the registry to merge the seeds' },
    );
    const markIds = (await db.query('SELECT DISTINCT mark_id FROM registry.marks')).rows.map((r) => String(r.mark_id));
    const eventIds = (await db.query('SELECT event_id FROM registry.events')).rows.map((r) => String(r.event_id));

    const before = await takeBaseline(db, system);
    const generator = new HostileInputs(random, numbers, markIds, eventIds);
    const queue: HostileRequest[] = [];
    for (let i = 0; i < hugeRounds; i++) queue.push(...generator.huge());
    const pictures = await hostilePictures();
    for (let i = 0; i < hugeRounds; i++)
      queue.push(...pictureRequests(pictures, numbers, () => `picture-${random.int(0, 1e9)}-${queue.length}`, quick ? 40 : 200));
    while (queue.length < inputCount) queue.push(generator.next());
    // Huge ones spread through the run, not all at the start.
    for (let i = queue.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [queue[i], queue[j]] = [queue[j], queue[i]];
    }

    const statuses = new Map<string, number>();
    // Failures grouped by kind of input and outcome, with the first example of each.
    const failureKinds = new Map<string, { count: number; example: string }>();
    const fail = (kind: string, example: string) => {
      const known = failureKinds.get(kind);
      if (known) known.count++;
      else failureKinds.set(kind, { count: 1, example });
    };
    let http5xx = 0;
    let noAnswer = 0;
    let acceptedWrites = 0;
    const peak = { authority: authority.rssBytes(), registry: registry.rssBytes() };
    sampler = setInterval(() => {
      peak.authority = Math.max(peak.authority, authority!.rssBytes());
      peak.registry = Math.max(peak.registry, registry!.rssBytes());
    }, 100);

    const coverage = new Map<string, number>();
    for (const request of queue) {
      const endpoint = endpointOf(request);
      if (endpoint) coverage.set(endpoint, (coverage.get(endpoint) ?? 0) + 1);
    }
    const missed = ENDPOINTS.filter((endpoint) => !coverage.get(endpoint));

    let nextIndex = 0;
    const worker = async () => {
      while (nextIndex < queue.length) {
        const request = queue[nextIndex++];
        const app = request.target === 'authority' ? authority! : registry!;
        const what = `${request.label} ${request.method ?? 'raw'} ${request.path?.slice(0, 120) ?? ''}`;
        let answer: Answer;
        try {
          answer = await send(agent, app.url, request);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          // A huge upload cut off by the server after its 413 (EPIPE/ECONNRESET on our side) is a refusal; anything else
          // is a failure only if the service is not healthy right after.
          const healthy = await fetch(`${app.url}/health`)
            .then((r) => r.status === 200)
            .catch(() => false);
          const key = `no answer (${code})`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (!healthy || !app.running) {
            noAnswer++;
            fail(`${request.label}: no answer, ${app.name} down`, `${what}: ${code}`);
          }
          continue;
        }
        const key = answer.status === -1 ? 'closed' : String(answer.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (answer.status >= 500) {
          http5xx++;
          fail(`${request.label}: ${answer.status}`, `${what}: ${answer.body.slice(0, 200)}`);
        } else if (request.write && answer.status >= 200 && answer.status < 400) {
          let created = -1;
          try {
            created = Number((JSON.parse(answer.body) as { created?: number }).created);
          } catch {
            // a truncated or non-JSON answer to a bulk is a failure too
          }
          if (!(request.bulk && answer.status === 200 && created === 0)) {
            acceptedWrites++;
            fail(`${request.label}: accepted with ${answer.status}`, `${what}: ${answer.body.slice(0, 200)}`);
          }
        }
      }
    };
    const sendStarted = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const sendTook = performance.now() - sendStarted;
    clearInterval(sampler);
    sampler = undefined;

    // Whatever a write could have caused would be in the outbox at once; give the relay and consumer a moment
    // anyway by waiting for both services to answer a real request.
    const alive = { authority: authority.running, registry: registry.running };
    const health = {
      authority: await fetch(`${authority.url}/health`)
        .then((r) => r.status)
        .catch(() => 0),
      registry: await fetch(`${registry.url}/health`)
        .then((r) => r.status)
        .catch(() => 0),
    };
    // Every kind of bad access token (expired, not yet valid, wrong audience or issuer, alg none, HS256 with the public
    // key, unknown kid, tampered, oversized): 401 on a registry lookup and on an authority write, and a real token works.
    const tokenFailures: string[] = [];
    for (const kind of HOSTILE_TOKEN_KINDS) {
      const token = await kind.make(idp);
      const read = await fetch(`${registry.url}/api/check?mark=${enc('HOSTILE SEED 5')}`, { headers: { authorization: `Bearer ${token}` } });
      const write = await fetch(`${authority.url}/recordations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `token-${kind.label}` },
        body: JSON.stringify(recordationBody('HK')),
      });
      const body = await read.text();
      if (read.status !== 401 || write.status !== 401 || body.includes(kind.label))
        tokenFailures.push(`${kind.label}: registry ${read.status}, authority ${write.status}`);
    }
    const realToken = await idp.clientToken('HK', 'risk-engine');
    const realLookup = (await fetch(`${registry.url}/api/check?mark=${enc('HOSTILE SEED 5')}`, { headers: { authorization: `Bearer ${realToken}` } })).status;
    if (realLookup !== 200) tokenFailures.push(`a real risk-engine token answered ${realLookup}`);

    const lookup = await fetch(`${registry.url}/api/check?mark=${enc('HOSTILE SEED 5')}`, { headers: { authorization: `Bearer ${TOKENS.officer.HK}` } })
      .then((r) => r.status)
      .catch(() => 0);
    const after = await takeBaseline(db, system);
    const changed = differences(before, after);
    const stored = Math.max(0, after.authority.recordations - before.authority.recordations) + Math.max(0, after.authority.outbox - before.authority.outbox);

    const histogram = [...statuses]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    const rssOk = peak.authority < RSS_BOUND && peak.registry < RSS_BOUND;
    const up = alive.authority && alive.registry && health.authority === 200 && health.registry === 200 && lookup === 200;
    const passed =
      http5xx === 0 &&
      noAnswer === 0 &&
      acceptedWrites === 0 &&
      changed.length === 0 &&
      up &&
      rssOk &&
      queue.length === inputCount &&
      missed.length === 0 &&
      tokenFailures.length === 0;
    const writes = queue.filter((r) => r.write).length;
    return {
      scenario: name,
      runs: queue.length,
      events: queue.length,
      lost: 0,
      duplicated: stored,
      http5xx,
      passed,
      notes: [
        `${queue.length} hostile requests (${writes} writes, ${queue.length - writes} reads) in ${seconds(sendTook)}, ${concurrency} at a time`,
        `statuses: ${histogram}`,
        `${ENDPOINTS.length - missed.length} of ${ENDPOINTS.length} endpoints reached, at least ${Math.min(...ENDPOINTS.map((e) => coverage.get(e) ?? 0))} requests each${missed.length ? `; MISSED ${missed.join(', ')}` : ''}`,
        tokenFailures.length
          ? `FAILED bad access tokens: ${tokenFailures.join('; ')}`
          : `${HOSTILE_TOKEN_KINDS.length} kinds of bad access token each answered 401 by both services; a real token looked up`,
        `peak RSS: authority ${(peak.authority / MiB).toFixed(0)} MiB, registry ${(peak.registry / MiB).toFixed(0)} MiB (bound ${RSS_BOUND / MiB} MiB)`,
        changed.length
          ? `stored or published: ${changed.join('; ')}`
          : 'nothing stored or published (authority rows, outbox, idempotency keys, registry tables, topic end offsets unchanged)',
        up
          ? 'both services up and answering afterwards'
          : `services after the run: running ${JSON.stringify(alive)}, /health ${JSON.stringify(health)}, lookup ${lookup}`,
        ...(acceptedWrites ? [`${acceptedWrites} hostile writes accepted`] : []),
        ...(noAnswer ? [`${noAnswer} requests without an answer while a service was down`] : []),
        ...[...failureKinds].map(([kind, { count, example }]) => `FAILED ${kind} ×${count}, e.g. ${example}`),
        `took ${seconds(performance.now() - started)}`,
      ],
    };
  } finally {
    if (sampler) clearInterval(sampler);
    agent.destroy();
    await authority?.stop();
    await registry?.stop();
    await db.end();
    await system.close();
    await idp.stop();
  }
};
