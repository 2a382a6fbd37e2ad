/**
 * The Secrets (and the public-key ConfigMap) that deploy/k8s/ reads but does not hold: fresh Ed25519 signing keys,
 * database role passwords and each registry's metrics scrape credential, generated once per deployment.
 *
 *   npm run k8s:secrets -- --tokens-out k8s-tokens.env | kubectl apply -n recordation-exchange -f -
 *
 * stdout: the manifests (YAML). The metrics credentials go into the Secrets only as `sha256:<hex>`; the credentials
 * themselves, for the Prometheus that scrapes each registry, are written to the --tokens-out file (mode 0600, never
 * overwritten). No static bearer token of people or systems: the image runs in production mode, where publishers,
 * officers, auditors and admins sign in through their authority's identity provider (deploy/k8s/apps/oidc.yaml).
 * Kafka passwords are not here: Strimzi's User Operator generates them (Secret per KafkaUser).
 * Each authority's private key is in a Secret of its own (<app>-signing-key) that only its Deployment reads; the
 * registries get the public keys (ConfigMap trusted-keys).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { AUTHORITIES, generateSigningKeyPair, type AuthorityCode } from '#contracts';

/** Per jurisdiction: the authority's app, its database role, and the site's PostgreSQL cluster (deploy/k8s/postgres). */
export const K8S_SITES: Record<AuthorityCode, { app: string; role: string; database: string }> = {
  CN: { app: 'mainland', role: 'mainland', database: 'db-cn' },
  HK: { app: 'hong-kong', role: 'hong_kong', database: 'db-hk' },
  MO: { app: 'macao', role: 'macao', database: 'db-mo' },
};
export const K8S_DATABASE_NAME = 'recordation_exchange';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  type?: string;
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

export interface K8sSecrets {
  objects: K8sObject[];
  /** The bearer credentials themselves (NAME → value), for the systems that present them (the metrics scrapers). */
  tokens: Record<string, string>;
}

const randomSecret = () => randomBytes(32).toString('base64url');
const hashed = (token: string) => `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
const labels = { 'app.kubernetes.io/part-of': 'recordation-exchange' };

function secret(name: string, stringData: Record<string, string>, type = 'Opaque'): K8sObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, type, stringData };
}

/** A role's Secret as CloudNativePG wants it (basic-auth: username, password) plus the app's DATABASE_URL (uri). */
function databaseRole(cluster: string, app: string, role: string): K8sObject {
  const password = randomSecret();
  return secret(
    `${cluster}-${app}`,
    { username: role, password, uri: `postgresql://${role}:${password}@${cluster}-rw:5432/${K8S_DATABASE_NAME}` },
    'kubernetes.io/basic-auth',
  );
}

export function buildK8sSecrets(now = new Date()): K8sSecrets {
  const objects: K8sObject[] = [];
  const tokens: Record<string, string> = {};
  const trusted: string[] = [];
  const stamp = now.toISOString().slice(0, 10);
  for (const authority of AUTHORITIES) {
    const { app, role, database } = K8S_SITES[authority];
    const site = authority.toLowerCase();
    const pair = generateSigningKeyPair();
    const keyId = `${site}-${stamp}`;
    trusted.push(`${authority}:${keyId}:${pair.publicKey}`);
    objects.push(secret(`${app}-signing-key`, { 'key-id': keyId, 'private-key': pair.privateKey }));

    const metrics = randomSecret();
    tokens[`METRICS_TOKEN_REGISTRY_${authority}`] = metrics;
    objects.push(secret(`registry-${site}-credentials`, { 'metrics-token': hashed(metrics) }));

    objects.push(databaseRole(database, app, role), databaseRole(database, 'registry', 'registry'));
  }
  objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trusted-keys', labels }, data: { TRUSTED_KEYS: trusted.join(',') } });
  return { objects, tokens };
}

function main(args: string[]): void {
  const at = args.indexOf('--tokens-out');
  const tokensOut = at >= 0 ? args[at + 1] : undefined;
  if (!tokensOut) throw new Error('--tokens-out FILE is required: where to write the bearer credentials to hand out');
  if (existsSync(tokensOut)) throw new Error(`--tokens-out ${tokensOut} exists; refusing to overwrite credentials already handed out`);
  const { objects, tokens } = buildK8sSecrets();
  writeFileSync(
    tokensOut,
    `${Object.entries(tokens)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  process.stdout.write(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  process.stderr.write(`k8s-secrets: ${objects.length} objects on stdout; the metrics scrape credentials in ${tokensOut}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`k8s-secrets: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
