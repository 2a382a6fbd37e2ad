import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { isAuthorityCode, type AuthorityCode } from './authorities.js';

/**
 * DSSE (Dead Simple Signing Envelope) with Ed25519. The signature covers the pre-authentication
 * encoding PAE(payloadType, payload) of the exact payload bytes, so nothing in the envelope can be
 * re-encoded or swapped without breaking it.
 */
export interface DsseSignature {
  keyid: string;
  sig: string;
}
export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the exact payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/** A public key the registry trusts, bound to the one authority allowed to sign with it. */
export interface TrustedKey {
  keyId: string;
  authority: AuthorityCode;
  publicKey: KeyObject;
  /**
   * The key's validity window (milliseconds since the epoch; either end open): an event whose signed `time` falls
   * outside it is quarantined (`key-not-yet-valid`, `key-expired`). A retired key keeps verifying what it signed
   * while it was valid (replay, /api/audit/verify).
   */
  notBefore?: number;
  notAfter?: number;
}

/** Why an event's signed time is outside its key's window, or undefined when it is inside. */
export function keyWindowViolation(key: Pick<TrustedKey, 'notBefore' | 'notAfter'>, signedAt: string): 'key-not-yet-valid' | 'key-expired' | undefined {
  const at = Date.parse(signedAt);
  if (key.notBefore !== undefined && !(at >= key.notBefore)) return 'key-not-yet-valid';
  if (key.notAfter !== undefined && !(at < key.notAfter)) return 'key-expired';
  return undefined;
}

export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'utf8'), type, Buffer.from(` ${payload.length} `, 'utf8'), payload]);
}

export function signDsse(payloadType: string, payload: Buffer, key: SigningKey): DsseEnvelope {
  const sig = sign(null, preAuthEncoding(payloadType, payload), key.privateKey);
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: key.keyId, sig: sig.toString('base64') }] };
}

export type DsseVerification =
  | { verified: true; keyId: string; authority: AuthorityCode; payload: Buffer }
  | { verified: false; keyId?: string; reason: 'no-signature' | 'unknown-key' | 'bad-signature'; payload: Buffer };

/** Verifies the signature that counts (claimedSigner's); reports why when it does not verify. */
export function verifyDsse(envelope: DsseEnvelope, trusted: ReadonlyMap<string, TrustedKey>): DsseVerification {
  const claimed = claimedSigner(envelope, trusted);
  if ('reason' in claimed) return { verified: false, keyId: claimed.keyId, reason: claimed.reason, payload: Buffer.from(envelope.payload, 'base64') };
  const { key, sig, payload } = claimed;
  if (!verify(null, preAuthEncoding(envelope.payloadType, payload), key.publicKey, Buffer.from(sig, 'base64'))) {
    return { verified: false, keyId: key.keyId, reason: 'bad-signature', payload };
  }
  return { verified: true, keyId: key.keyId, authority: key.authority, payload };
}

/**
 * The signature that counts: an envelope's first one whose key is trusted, NOT checked here. verifyDsse checks it; a
 * registry told not to verify (VERIFY_SIGNATURES=false) takes it as it is, still refusing an envelope that names no
 * trusted key, and records what it merged as unverified.
 */
export function claimedSigner(
  envelope: DsseEnvelope,
  trusted: ReadonlyMap<string, TrustedKey>,
): { keyId: string; authority: AuthorityCode; payload: Buffer; key: TrustedKey; sig: string } | { keyId?: string; reason: 'no-signature' | 'unknown-key' } {
  if (!envelope.signatures.length) return { reason: 'no-signature' };
  for (const signature of envelope.signatures) {
    const key = trusted.get(signature.keyid);
    if (key) return { keyId: key.keyId, authority: key.authority, payload: Buffer.from(envelope.payload, 'base64'), key, sig: signature.sig };
  }
  return { keyId: envelope.signatures[0].keyid, reason: 'unknown-key' };
}

/** A fresh Ed25519 key pair as base64 DER (PKCS#8 private, SPKI public): the form our config takes. */
export function generateSigningKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

/** Accepts PEM or base64 PKCS#8 DER. Throws with a clear message on anything else. */
export function parsePrivateKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN')
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 private key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Accepts PEM or base64 SPKI DER. */
export function parsePublicKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * Parses the registry's trust list: comma-separated `AUTHORITY:keyId:base64SpkiPublicKey` entries, each optionally
 * followed by a validity window `@notBefore/notAfter` (RFC 3339 times, either side may be empty:
 * `CN:gacc-2026:MCow…@2026-01-01T00:00:00Z/2027-01-01T00:00:00Z`, `…@/2027-01-01T00:00:00Z`). Entries without a
 * window (the earlier format) are valid at any time. Several keys per authority may be valid at once (rotation).
 */
export function parseTrustedKeys(spec: string): Map<string, TrustedKey> {
  const keys = new Map<string, TrustedKey>();
  for (const entry of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [keyPart, window, ...extra] = entry.split('@');
    const [authority, keyId, publicKey, ...rest] = keyPart.split(':');
    if (!isAuthorityCode(authority) || !keyId || !publicKey || rest.length || extra.length) {
      throw new Error(
        `trusted key entry "${entry.slice(0, 40)}" must be AUTHORITY:keyId:base64PublicKey[@notBefore/notAfter] with AUTHORITY one of CN, HK, MO`,
      );
    }
    if (keys.has(keyId)) throw new Error(`trusted key id "${keyId}" is listed twice`);
    keys.set(keyId, { keyId, authority, publicKey: parsePublicKey(publicKey), ...(window === undefined ? {} : parseWindow(keyId, window)) });
  }
  return keys;
}

function parseWindow(keyId: string, window: string): { notBefore?: number; notAfter?: number } {
  const parts = window.split('/');
  const times = parts.map((part) => (part.trim() === '' ? undefined : Date.parse(part.trim())));
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
  if (
    parts.length !== 2 ||
    parts.some((part) => part.trim() !== '' && !rfc3339.test(part.trim())) ||
    times.some((time) => time !== undefined && Number.isNaN(time))
  ) {
    throw new Error(`trusted key "${keyId}": its window must be @notBefore/notAfter, RFC 3339 times with an offset, either side empty`);
  }
  const [notBefore, notAfter] = times;
  if (notBefore !== undefined && notAfter !== undefined && notBefore >= notAfter) throw new Error(`trusted key "${keyId}": notBefore must be before notAfter`);
  return { ...(notBefore === undefined ? {} : { notBefore }), ...(notAfter === undefined ? {} : { notAfter }) };
}
