/**
 * Loads the demo recordations through the three authority services' HTTP APIs, exactly as the
 * authorities' own systems would, then waits until the registry shows them. Safe to run again: every
 * write carries an Idempotency-Key derived from the data, so a rerun publishes nothing new.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
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
  await loadFigurativeMarks();

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

/** A logo drawn for the demo (SVG rendered by sharp here; the services only ever accept PNG, JPEG or WebP). */
function logoSvg(colour: string, letter: string, shape: 'sun' | 'wave'): Buffer {
  const figure =
    shape === 'sun'
      ? `<circle cx="200" cy="150" r="70" fill="${colour}"/>${Array.from({ length: 12 }, (_, i) => `<rect x="195" y="20" width="10" height="45" fill="${colour}" transform="rotate(${i * 30} 200 150)"/>`).join('')}`
      : `<path d="M20 200 Q 110 60 200 200 T 380 200" stroke="${colour}" stroke-width="28" fill="none"/><rect x="40" y="230" width="320" height="24" fill="${colour}"/>`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#ffffff"/>${figure}` +
      `<text x="200" y="${shape === 'sun' ? 172 : 130}" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="64" fill="#ffffff" stroke="${colour}" stroke-width="2">${letter}</text></svg>`,
  );
}

/**
 * A few figurative marks with pictures: one logo recorded by all three authorities (PNG, a JPEG copy, a WebP copy;
 * Macao's for another holder, so the mark shows a conflict) and one recorded by Hong Kong alone. The logo is also
 * written to .local/demo-logo.png for trying the search by picture.
 */
async function loadFigurativeMarks(): Promise<void> {
  const sun = await sharp(logoSvg('#c62828', 'S', 'sun'))
    .png()
    .toBuffer();
  const wave = await sharp(logoSvg('#1565c0', 'W', 'wave'))
    .png()
    .toBuffer();
  mkdirSync('.local', { recursive: true });
  writeFileSync('.local/demo-logo.png', await sharp(sun).resize(240).jpeg({ quality: 60 }).toBuffer());
  const today = new Date().toISOString().slice(0, 10);
  const until = `${Number(today.slice(0, 4)) + 5}${today.slice(4)}`.replace(/-02-29$/, '-02-28');
  const body = (authority: AuthorityCode, text: string, holder: string, picture: Buffer, office: string) => ({
    ipType: 'trademark',
    mark: { text, script: 'Latn', type: 'figurative', representation: { data: picture.toString('base64') } },
    niceClasses: [25, 18],
    goods: 'Clothing, footwear, handbags',
    rightsHolder: { name: holder, country: authority === 'MO' ? 'PT' : 'FR' },
    trademarkRegistration: { office, number: `FIG-${authority}-${text.length}${picture.length % 1000}` },
    validFrom: today,
    ...(authority === 'CN' ? {} : { validUntil: until }),
  });
  const marks: [AuthorityCode, ReturnType<typeof body>][] = [
    ['CN', body('CN', 'Soleil Rouge', 'Maison Soleil SA', sun, 'WIPO')],
    ['HK', body('HK', 'Red Sun Crest', 'Maison Soleil SA', await sharp(sun).resize(300).jpeg({ quality: 70 }).toBuffer(), 'WIPO')],
    ['MO', body('MO', 'Sol Vermelho', 'Sol Vermelho Lda', await sharp(sun).webp({ quality: 80 }).toBuffer(), 'WIPO')],
    ['HK', body('HK', 'Blue Wave', 'Onda Azul Ltd', wave, 'WIPO')],
  ];
  for (const [index, [authority, mark]] of marks.entries()) await send(authority, 'POST', '/recordations', mark, `demo-figurative-${index}`);
  logger.info({ figurative: marks.length, tryIt: '.local/demo-logo.png' }, 'figurative demo marks with pictures submitted');
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'loading the demo data failed');
  process.exit(1);
});
