import { parentPort, workerData } from 'node:worker_threads';
import { parseTrustedKeys, verifyDsse, type DsseEnvelope } from '#contracts';

/** Benchmark worker: verifies the Ed25519 signatures of a share of the events, reports how many passed. */
const { values, trustedKeys } = workerData as { values: Uint8Array[]; trustedKeys: string };
const trusted = parseTrustedKeys(trustedKeys);
let ok = 0;
for (const value of values) {
  if (verifyDsse(JSON.parse(Buffer.from(value).toString('utf8')) as DsseEnvelope, trusted).verified) ok++;
}
parentPort?.postMessage(ok);
