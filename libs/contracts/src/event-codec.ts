import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { EVENT_PAYLOAD_TYPE, RecordationEventDto, eventConsistencyErrors, type RecordationEvent } from './envelope.js';
import { claimedSigner, keyWindowViolation, signDsse, verifyDsse, type DsseEnvelope, type SigningKey, type TrustedKey } from './signing.js';
import { findContractErrors, type FieldError } from './validation.js';
import type { AuthorityCode } from './authorities.js';
import { MAX_PICTURE_BASE64_LENGTH, MAX_PICTURE_BYTES } from './recordation.js';

/** Larger messages are refused before parsing: a recordation is a few kilobytes. */
export const MAX_EVENT_BYTES = 1_000_000;
/** A message that carries its mark's picture beside the signed payload may be larger by the picture's base64. */
export const MAX_EVENT_WITH_PICTURE_BYTES = MAX_EVENT_BYTES + MAX_PICTURE_BASE64_LENGTH + 1024;

/** A picture carried beside the signed payload: the payload's `data.mark.representation.sha256` names it. */
export interface EventAttachment {
  sha256: string;
  /** base64 of the picture's bytes. */
  data: string;
}

/**
 * The Kafka message value of an event: a DSSE envelope, as JSON, over the canonical event bytes. A mark's picture,
 * when given, travels in the same message as an `attachments` member beside the envelope's signed fields: the
 * signature covers its SHA-256 (in the payload), not its base64 (docs/events.md). Without a picture the bytes are
 * exactly what they were before pictures existed.
 */
export function encodeSignedEvent(event: RecordationEvent, key: SigningKey, pictures: readonly Buffer[] = []): Buffer {
  const payload = Buffer.from(canonicalJson(event), 'utf8');
  const envelope: DsseEnvelope & { attachments?: EventAttachment[] } = signDsse(EVENT_PAYLOAD_TYPE, payload, key);
  if (pictures.length)
    envelope.attachments = pictures.map((bytes) => ({ sha256: createHash('sha256').update(bytes).digest('hex'), data: bytes.toString('base64') }));
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

export type QuarantineReason =
  | 'too-large'
  | 'unparseable'
  | 'bad-envelope'
  | 'wrong-payload-type'
  | 'no-signature'
  | 'unknown-key'
  | 'bad-signature'
  | 'signer-mismatch'
  | 'topic-mismatch'
  | 'schema-violation'
  /** Signed (by the event's own `time`) after its key's notAfter, or before its notBefore. */
  | 'key-expired'
  | 'key-not-yet-valid'
  | 'bad-attachment';

export type DecodedEvent =
  /** verified: false only when decoded with signature checks off (the registry's VERIFY_SIGNATURES=false). */
  | { ok: true; event: RecordationEvent; keyId: string; verified: boolean; pictures?: EventAttachment[] }
  | { ok: false; reason: QuarantineReason; detail: string; keyId?: string; errors?: FieldError[] };

function isDsseEnvelope(value: unknown): value is DsseEnvelope {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.payloadType === 'string' &&
    typeof candidate.payload === 'string' &&
    Array.isArray(candidate.signatures) &&
    candidate.signatures.every(
      (sig) =>
        sig !== null &&
        typeof sig === 'object' &&
        typeof (sig as DsseEnvelope['signatures'][0]).keyid === 'string' &&
        typeof (sig as DsseEnvelope['signatures'][0]).sig === 'string',
    )
  );
}

/**
 * Opens one message from an authority topic: parse, verify the signature against the trusted keys,
 * check the signer and the topic belong to the event's authority, and validate the event against the
 * contract. Anything that fails says why, so it can be quarantined with its reason. With `verifySignature` false
 * every check but the Ed25519 one is made (the named key must still be trusted and the event's authority's), and the
 * event comes back `verified: false`.
 */
export function decodeSignedEvent(
  value: Buffer | null,
  trustedKeys: ReadonlyMap<string, TrustedKey>,
  topicAuthority: AuthorityCode | undefined,
  verifySignature = true,
): DecodedEvent {
  if (!value || value.length === 0) return { ok: false, reason: 'unparseable', detail: 'empty message' };
  if (value.length > MAX_EVENT_WITH_PICTURE_BYTES) return { ok: false, reason: 'too-large', detail: `${value.length} bytes exceeds ${MAX_EVENT_BYTES}` };

  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'unparseable', detail: `not JSON: ${(error as Error).message.slice(0, 200)}` };
  }
  if (!isDsseEnvelope(parsed)) return { ok: false, reason: 'bad-envelope', detail: 'not a DSSE envelope {payloadType, payload, signatures[]}' };
  const attachments = (parsed as { attachments?: unknown }).attachments;
  // Only a picture may make a message larger than an event.
  if (value.length > MAX_EVENT_BYTES && attachments === undefined)
    return { ok: false, reason: 'too-large', detail: `${value.length} bytes exceeds ${MAX_EVENT_BYTES}` };
  if (parsed.payloadType !== EVENT_PAYLOAD_TYPE) {
    return { ok: false, reason: 'wrong-payload-type', detail: `payloadType ${parsed.payloadType.slice(0, 100)}` };
  }

  let verification: { keyId: string; authority: AuthorityCode; payload: Buffer; verified: boolean };
  if (verifySignature) {
    const checked = verifyDsse(parsed, trustedKeys);
    if (!checked.verified) return { ok: false, reason: checked.reason, keyId: checked.keyId, detail: `signature check failed: ${checked.reason}` };
    verification = checked;
  } else {
    const claimed = claimedSigner(parsed, trustedKeys);
    if ('reason' in claimed) return { ok: false, reason: claimed.reason, keyId: claimed.keyId, detail: `no trusted signer: ${claimed.reason}` };
    verification = { ...claimed, verified: false };
  }

  const payloadText = verification.payload.toString('utf8');
  // PostgreSQL cannot store NUL in text or jsonb: such an event could never be merged, so it is refused here.
  if (payloadText.includes('\u0000') || payloadText.includes('\\u0000')) {
    return { ok: false, reason: 'schema-violation', keyId: verification.keyId, detail: 'contains a NUL character' };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch (error) {
    return { ok: false, reason: 'unparseable', keyId: verification.keyId, detail: `payload not JSON: ${(error as Error).message.slice(0, 200)}` };
  }
  const contractErrors = findContractErrors(RecordationEventDto, payload);
  if (contractErrors.length) {
    return { ok: false, reason: 'schema-violation', keyId: verification.keyId, detail: summarise(contractErrors), errors: contractErrors };
  }
  // The stored event is the plain payload the authority signed, not the validated class instance.
  const event = payload as RecordationEvent;
  const consistency = eventConsistencyErrors(event);
  if (consistency.length) {
    return { ok: false, reason: 'schema-violation', keyId: verification.keyId, detail: summarise(consistency), errors: consistency };
  }
  if (verification.authority !== event.source) {
    return {
      ok: false,
      reason: 'signer-mismatch',
      keyId: verification.keyId,
      detail: `signed by ${verification.authority}'s key but source is ${event.source}`,
    };
  }
  if (topicAuthority !== event.source) {
    return {
      ok: false,
      reason: 'topic-mismatch',
      keyId: verification.keyId,
      detail: `source ${event.source} on the topic of ${topicAuthority ?? 'no authority'}`,
    };
  }
  const key = trustedKeys.get(verification.keyId);
  const outside = key && keyWindowViolation(key, event.time);
  if (outside) {
    return { ok: false, reason: outside, keyId: verification.keyId, detail: `signed at ${event.time}, outside the validity of key ${verification.keyId}` };
  }
  const pictures = checkAttachments(attachments, event);
  if ('reason' in pictures) return { ok: false, reason: 'bad-attachment', keyId: verification.keyId, detail: pictures.reason };
  if (value.length - pictures.size > MAX_EVENT_BYTES) return { ok: false, reason: 'too-large', detail: `${value.length} bytes exceeds ${MAX_EVENT_BYTES}` };
  return pictures.list.length
    ? { ok: true, event, keyId: verification.keyId, verified: verification.verified, pictures: pictures.list }
    : { ok: true, event, keyId: verification.keyId, verified: verification.verified };
}

/**
 * The pictures beside a signed event: at most one, the one its mark names, whose bytes hash to the SHA-256 the
 * authority signed. Anything else (an extra, a mismatch, a picture too large) refuses the message.
 */
function checkAttachments(attachments: unknown, event: RecordationEvent): { list: EventAttachment[]; size: number } | { reason: string } {
  if (attachments === undefined) return { list: [], size: 0 };
  if (!Array.isArray(attachments) || attachments.length > 1) return { reason: 'attachments must be an array of at most one picture' };
  const named = event.data.mark.representation?.sha256;
  let size = 0;
  for (const attachment of attachments as unknown[]) {
    if (attachment === null || typeof attachment !== 'object') return { reason: 'an attachment must be an object {sha256, data}' };
    const { sha256, data } = attachment as Record<string, unknown>;
    if (typeof sha256 !== 'string' || typeof data !== 'string') return { reason: 'an attachment must be an object {sha256, data}' };
    if (sha256 !== named) return { reason: `attachment ${sha256.slice(0, 64)} is not the picture the signed event names` };
    if (data.length > MAX_PICTURE_BASE64_LENGTH + 4) return { reason: `attachment larger than ${MAX_PICTURE_BYTES} bytes` };
    const bytes = Buffer.from(data, 'base64');
    if (createHash('sha256').update(bytes).digest('hex') !== sha256) return { reason: 'attachment bytes do not hash to the signed SHA-256' };
    size += data.length;
  }
  return { list: attachments as EventAttachment[], size };
}

function summarise(errors: FieldError[]): string {
  return errors
    .slice(0, 10)
    .map((error) => `${error.field} ${error.reason}`)
    .join('; ');
}
