import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Principal } from '#platform';

/** Recordations one entry lists at most (the union over a batch); `shownCount` says how many there were. */
export const MAX_SHOWN = 1000;
/** A batch's marks are recorded up to this many lines; a larger batch by its line count and the body's SHA-256. */
export const MAX_BATCH_MARKS = 100;
/** Characters of one query value kept (digest positions may be 100 000). */
const MAX_VALUE = 1000;
const MAX_KEYS = 50;

/** One recorded read: who, when, which route, what was asked and which recordations were shown. */
export interface AccessEntry {
  at: Date;
  subject: string;
  authority: string | null;
  role: string;
  method: string;
  route: string;
  path: string;
  query: Record<string, unknown>;
  body: Record<string, unknown> | null;
  status: number;
  /** "AUTHORITY/number" of the recordations shown, at most MAX_SHOWN. */
  shown: string[];
  shownCount: number;
  durationMs: number;
}

/** The principal as the identity provider names it: an OIDC principal carries its token's `sub`. */
type IdentifiedPrincipal = Principal & { subject?: string };

/** Who the trail says made a request: the token's subject, else (static development credentials) the principal's name. */
export function trailSubject(principal: Principal): string {
  return (principal as IdentifiedPrincipal).subject ?? principal.name;
}

/** What a request's handler adds to its entry: a body summary, recordations it streamed (a batch). */
export class AccessNote {
  body: Record<string, unknown> | null = null;
  /** Every recordation shown (request-scoped; bounded by what one response can name). */
  private readonly seen = new Set<string>();

  addShown(refs: Iterable<{ authority: string; recordationNumber: string }>): void {
    for (const ref of refs) this.seen.add(`${ref.authority}/${ref.recordationNumber}`);
  }

  /** The first MAX_SHOWN recordations shown, and how many there were. */
  shown(): { shown: string[]; shownCount: number } {
    const all = [...this.seen];
    return { shown: all.slice(0, MAX_SHOWN), shownCount: all.length };
  }
}

const NOTE = Symbol('access-trail-note');
type NotedRequest = Request & { [NOTE]?: AccessNote };

export function attachNote(req: Request): AccessNote {
  return ((req as NotedRequest)[NOTE] ??= new AccessNote());
}

/** The request's note, when the access trail records it. */
export function accessNote(req: Request): AccessNote | undefined {
  return (req as NotedRequest)[NOTE];
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A batch check's body as the trail keeps it: line count and SHA-256 always, the marks themselves for a small batch. */
export function batchSummary(raw: Buffer, lines: readonly ({ check: { mark: string; niceClass?: number } } | object)[]): Record<string, unknown> {
  const summary: Record<string, unknown> = { lines: lines.length, bytes: raw.length, sha256: sha256Hex(raw) };
  if (lines.length <= MAX_BATCH_MARKS) {
    summary.marks = lines.map((line) =>
      'check' in line ? (line.check.niceClass === undefined ? line.check.mark : `${line.check.mark} [${line.check.niceClass}]`) : null,
    );
  }
  return summary;
}

/** A picture (search by image) as the trail keeps it: its hash and size, never the bytes. */
export function pictureSummary(req: Request & { files?: Record<string, { buffer: Buffer; mimetype?: string }[] | undefined> }): Record<string, unknown> | null {
  const part = req.files?.image?.[0] ?? req.files?.file?.[0];
  const bytes = part?.buffer ?? (Buffer.isBuffer(req.body) ? req.body : undefined);
  if (!bytes) return null;
  return { picture: { sha256: sha256Hex(bytes), bytes: bytes.length, contentType: (part ? part.mimetype : req.headers['content-type']) ?? null } };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text PostgreSQL stores: no NUL and no lone surrogate (text and jsonb refuse them, which would block the whole
 * batch), bounded length.
 */
export function storable(text: string, max = MAX_VALUE): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
  return (clean.length > max ? `${clean.slice(0, max)}…` : clean).replace(LONE_SURROGATE, '\uFFFD');
}

/** The query string as asked, bounded (Express's simple parser: strings, or arrays of strings for repeats). */
export function querySummary(query: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!query || typeof query !== 'object') return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>).slice(0, MAX_KEYS)) {
    out[storable(key, 100)] = Array.isArray(value) ? value.slice(0, 20).map((v) => storable(String(v))) : storable(String(value));
  }
  return out;
}
