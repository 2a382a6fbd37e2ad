/**
 * Loads the demo recordations through the three authority services' HTTP APIs, exactly as the
 * authorities' own systems would, then waits until the registry shows them. Safe to run again: every
 * write carries an Idempotency-Key derived from the data, so a rerun publishes nothing new.
 */
import { generateDataset, type LifecycleOperation } from '#datagen';
import type { AuthorityCode } from '#contracts';
import { createLogger } from '#platform';

const logger = createLogger('load-demo');
const urls: Record<AuthorityCode, string> = {
  CN: process.env.MAINLAND_URL ?? 'http://127.0.0.1:3001',
  HK: process.env.HONG_KONG_URL ?? 'http://127.0.0.1:3002',
  MO: process.env.MACAO_URL ?? 'http://127.0.0.1:3003',
};
const registryUrl = process.env.REGISTRY_URL ?? 'http://127.0.0.1:3000';
const tokens: Record<AuthorityCode, string | undefined> = {
  CN: process.env.PUBLISHER_TOKEN_CN,
  HK: process.env.PUBLISHER_TOKEN_HK,
  MO: process.env.PUBLISHER_TOKEN_MO,
};
const count = Number(process.env.DEMO_RECORDATIONS ?? 60);

const OPERATION_PATHS: Record<Exclude<LifecycleOperation['kind'], 'amend'>, string> = {
  renew: 'renewal',
  suspend: 'suspension',
  reinstate: 'reinstatement',
  cancel: 'cancellation',
  revoke: 'revocation',
};

async function send(authority: AuthorityCode, method: string, path: string, body: unknown, idempotencyKey: string): Promise<'ok' | 'exists'> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': idempotencyKey };
  const token = tokens[authority];
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${urls[authority]}${path}`, { method, headers, body: JSON.stringify(body) });
  if (response.ok) return 'ok';
  // Loaded by an earlier run (without the idempotency record, e.g. after a reset of it): leave it.
  if (response.status === 409) return 'exists';
  throw new Error(`${method} ${urls[authority]}${path} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
}

async function main(): Promise<void> {
  const dataset = generateDataset({ seed: 20240314, recordations: count });
  let created = 0;
  let existing = 0;
  for (const recordation of dataset.recordations) {
    const outcome = await send(recordation.authority, 'POST', '/recordations', recordation.body, `demo-create-${recordation.recordationNumber}`);
    if (outcome === 'ok') created++;
    else existing++;
  }
  let applied = 0;
  for (const [index, op] of dataset.operations.entries()) {
    const path = op.kind === 'amend' ? `/recordations/${op.recordationNumber}` : `/recordations/${op.recordationNumber}/${OPERATION_PATHS[op.kind]}`;
    const outcome = await send(op.authority, op.kind === 'amend' ? 'PATCH' : 'POST', path, op.body, `demo-op-${index}-${op.recordationNumber}-${op.kind}`);
    if (outcome === 'ok') applied++;
  }
  logger.info({ created, existing, lifecycleOperations: applied }, 'demo recordations submitted to the authority services');

  // The registry sees them through Kafka within seconds.
  const last = dataset.recordations[dataset.recordations.length - 1];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${registryUrl}/api/recordations/${last.authority}/${encodeURIComponent(last.recordationNumber)}`, {
      headers: { authorization: `Bearer ${process.env.AUDITOR_TOKEN ?? ''}` },
    }).catch(() => undefined);
    if (response?.ok) break;
    if (Date.now() > deadline) throw new Error(`the registry did not show ${last.recordationNumber} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  logger.info({ recordations: dataset.recordations.length }, 'the registry shows the demo recordations');
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'loading the demo data failed');
  process.exit(1);
});
