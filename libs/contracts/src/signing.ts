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
}

export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
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
  const key = text.includes('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * Parses the registry's trust list: comma-separated `AUTHORITY:keyId:base64SpkiPublicKey` entries.
 * Several keys per authority may be valid at once (rotation).
 */
export function parseTrustedKeys(spec: string): Map<string, TrustedKey> {
  const keys = new Map<string, TrustedKey>();
  for (const entry of spec.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [authority, keyId, publicKey, ...rest] = entry.split(':');
    if (!isAuthorityCode(authority) || !keyId || !publicKey || rest.length) {
      throw new Error(`trusted key entry "${entry.slice(0, 40)}" must be AUTHORITY:keyId:base64PublicKey with AUTHORITY one of CN, HK, MO`);
    }
    if (keys.has(keyId)) throw new Error(`trusted key id "${keyId}" is listed twice`);
    keys.set(keyId, { keyId, authority, publicKey: parsePublicKey(publicKey) });
  }
  return keys;
}
