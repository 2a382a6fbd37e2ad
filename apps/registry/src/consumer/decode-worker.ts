import { createPublicKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeSignedEvent, type AuthorityCode, type TrustedKey } from '#contracts';
import type { DecodeRequest, DecodeResponse, DecodeWorkerData } from './decode-pool.js';

/** A decode worker (see DecodePool): verifies and validates messages exactly as the consumer's thread would. */
const { trustedKeys, verifySignatures } = workerData as DecodeWorkerData;
const trusted = new Map<string, TrustedKey>(
  trustedKeys.map((key) => [
    key.keyId,
    { keyId: key.keyId, authority: key.authority as AuthorityCode, publicKey: createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }) },
  ]),
);
parentPort!.on('message', (request: DecodeRequest) => {
  let response: DecodeResponse;
  try {
    const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    let at = 0;
    const decoded = request.lengths.map((length) => {
      if (length < 0) return decodeSignedEvent(null, trusted, request.topicAuthority, verifySignatures);
      const value = bytes.subarray(at, at + length);
      at += length;
      return decodeSignedEvent(value, trusted, request.topicAuthority, verifySignatures);
    });
    response = { id: request.id, decoded };
  } catch (error) {
    response = { id: request.id, error: (error as Error).message ?? String(error) };
  }
  parentPort!.postMessage(response);
});
