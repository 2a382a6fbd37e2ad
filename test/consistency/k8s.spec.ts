/* eslint-disable @typescript-eslint/no-explicit-any -- the manifests are parsed YAML of many kinds, walked generically; the tests schema-check each kind themselves */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { Ajv, type ValidateFunction } from 'ajv';
import kafkajs from 'kafkajs';
import { parseAllDocuments, parse } from 'yaml';
import { AUTHORITIES, TOPICS, parsePrivateKey, parseTrustedKeys, signDsse, verifyDsse, type AuthorityCode } from '#contracts';
import { KAFKA_PRINCIPALS, REGISTRY_GROUP_PREFIX, recordationAcls, recordationTopicSpecs } from '../../libs/platform/src/kafka/kafka-provisioning.js';
import { AUTHORITY_APP_DEFAULTS, AuthorityConfig, loadAuthorityConfig } from '../../libs/authority/src/authority.config.js';
import { RegistryConfig, loadRegistryConfig } from '../../apps/registry/src/registry.config.js';
import { buildK8sSecrets, type K8sObject } from '../../scripts/k8s-secrets.js';
import { ConfigError, OIDC_ISSUER_VARIABLES, STATIC_TOKEN_VARIABLES } from '#platform';
import { appVariables, imageEnvironment, readEnvExample, root } from './env-example.js';

/**
 * deploy/k8s/ cannot be applied here (no cluster): this validates every object against its schema (Kubernetes' own
 * kinds through kubernetes-models: types, required fields, enums and formats, but NOT unknown fields, which its
 * validators let through; Strimzi's and CloudNativePG's CRD schemas vendored in k8s-schemas/, unknown fields refused;
 * CEL rules of the CRDs are not evaluated) and keeps the manifests consistent with the code: the config classes' variables, .env.example, ports,
 * topics, ACLs, database roles and the secrets scripts/k8s-secrets.ts generates.
 */
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  [key: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}

const k8s = new URL('deploy/k8s/', root);
const kustomization = parse(readFileSync(new URL('kustomization.yaml', k8s), 'utf8')) as {
  namespace: string;
  resources: string[];
  images: { name: string; newTag: string }[];
};
const manifests: Obj[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, k8s), 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc.toJS() as Obj;
  }),
);
const generated = buildK8sSecrets(new Date('2026-01-01T00:00:00Z'));
const pom = readFileSync(new URL('deploy/kafka/pom.xml', root), 'utf8');
const kafkaVersion = /<kafka.version>([^<]+)<\/kafka.version>/.exec(pom)?.[1];
const envExample = readEnvExample();

const all = (kind: string) => manifests.filter((o) => o.kind === kind);
const one = (kind: string, name: string) => {
  const found = manifests.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};
const container = (deployment: Obj) => deployment.spec.template.spec.containers[0];
const envOf = (deployment: Obj): EnvVar[] => container(deployment).env;
const envValue = (deployment: Obj, name: string) => envOf(deployment).find((e) => e.name === name)?.value;
const jurisdictionKey = one('Kafka', 'recordation').spec.kafka.rack.topologyKey as string;
/** The jurisdiction a pod spec is pinned to by required node affinity. */
function pinnedTo(podSpec: any): string[] {
  const terms = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.flatMap((t: any) => t.matchExpressions.filter((m: any) => m.key === jurisdictionKey && m.operator === 'In').flatMap((m: any) => m.values));
}

/** Stands in for the file the kubelet mounts from Strimzi's cluster CA Secret (the config checks it is readable). */
const MOUNTED_CA = join(mkdtempSync(join(tmpdir(), 'rx-k8s-ca-')), 'ca.crt');
writeFileSync(MOUNTED_CA, '-----BEGIN CERTIFICATE-----\nstrimzi cluster CA\n-----END CERTIFICATE-----\n');

/** Resolves a Deployment's environment as the kubelet would, from the generated Secrets and ConfigMap. */
function resolvedEnv(deployment: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of envOf(deployment)) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (!ref) {
      env[variable.name] = String(variable.value);
      continue;
    }
    if (variable.valueFrom?.secretKeyRef && manifests.some((o) => o.kind === 'KafkaUser' && o.metadata.name === ref.name)) {
      env[variable.name] = `strimzi-generated-password-of-${ref.name}`; // Strimzi's User Operator writes it
      continue;
    }
    const kind = variable.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
    // From npm run k8s:secrets, or a ConfigMap of deploy/k8s itself (oidc).
    const source = [...generated.objects, ...(manifests as K8sObject[])].find((o) => o.kind === kind && o.metadata.name === ref.name);
    const value = (source?.stringData ?? source?.data)?.[ref.key];
    if (value === undefined)
      throw new Error(`${deployment.metadata.name}: ${variable.name} refers to ${kind} ${ref.name} key ${ref.key}, which nothing provides`);
    env[variable.name] = value;
  }
  if (env.KAFKA_CA_FILE) env.KAFKA_CA_FILE = MOUNTED_CA;
  return env;
}

/** What the app's start-up validation sees: the image's environment (NODE_ENV=production) under the Deployment's. */
const startupEnv = (deployment: Obj): Record<string, string> => ({ ...imageEnvironment(), ...resolvedEnv(deployment) });

/** The problems start-up would refuse the app with (loadConfig, the production checks, the app's own), or []. */
function startupProblems(load: () => unknown): { variable: string; reason: string }[] {
  try {
    load();
    return [];
  } catch (error) {
    // by name: the apps' configs reach ConfigError through #platform
    if (error instanceof Error && error.name === 'ConfigError') return (error as ConfigError).problems;
    throw error;
  }
}

/** Every variable a config class declares (class-validator metadata, inherited ones included). */
function declaredVariables(cls: new () => object): Set<string> {
  return new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(cls, '', true, false)
      .map((m) => m.propertyName),
  );
}

/**
 * Variables agreed for issue 17 (items 1–5, another branch): the registry's site and Kafka rack. The manifests set
 * them already; until RegistryConfig and .env.example declare them they are accepted by name, after that they are
 * checked like every other variable (and loadRegistryConfig validates their values).
 */
const AGREED_REGISTRY_VARIABLES = ['REGISTRY_SITE', 'KAFKA_RACK'];

// ---------------------------------------------------------------------------------------------------------------
// Schema validation

/** Structural CRD schemas prune unknown fields silently; refuse them instead, as `kubectl --validate=strict` does. */
function strict(schema: any): any {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [key, value] of Object.entries(schema))
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strict(v)])) : strict(value);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

const schemaDir = new URL('k8s-schemas/', import.meta.url);
// optimize: false — code generation for the large Strimzi and CNPG schemas took ~15 s on a busy machine, ~3 s without it
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { optimize: false } });
const crdValidators = new Map<string, ValidateFunction>();
for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) {
  const { apiVersion, kind, schema } = JSON.parse(readFileSync(new URL(file, schemaDir), 'utf8'));
  crdValidators.set(`${apiVersion}/${kind}`, ajv.compile(strict(schema)));
}

/** Kubernetes' own kinds through kubernetes-models (types, required fields, enums, formats). */
async function validateBuiltIn(object: Obj): Promise<void> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const module = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`);
  new module[object.kind](object).validate();
}

async function validationErrors(object: Obj): Promise<string[]> {
  const validator = crdValidators.get(`${object.apiVersion}/${object.kind}`);
  if (validator) return validator(object) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  if (object.apiVersion.includes('.') && !object.apiVersion.startsWith('apps/') && !object.apiVersion.includes('k8s.io'))
    return [`no schema vendored for ${object.apiVersion} ${object.kind}`];
  try {
    await validateBuiltIn(object);
    return [];
  } catch (error) {
    return [String(error instanceof Error ? error.message : error)];
  }
}

describe('deploy/k8s: every object validates against its schema', () => {
  const objects = [...manifests.map((o) => ['deploy/k8s', o] as const), ...generated.objects.map((o) => ['k8s-secrets', o as unknown as Obj] as const)];
  it.each(objects.map(([from, o]) => [`${from} ${o.kind} ${o.metadata.name}`, o] as const))('%s', async (_name, object) => {
    expect(await validationErrors(object)).toEqual([]);
  });

  it('refuses what is wrong (the validation can fail)', async () => {
    const kafka = structuredClone(one('Kafka', 'recordation'));
    kafka.spec.kafka.listners = kafka.spec.kafka.listeners;
    const topic = structuredClone(one('KafkaTopic', TOPICS.CN));
    topic.spec.partitions = 'six';
    const deployment = structuredClone(one('Deployment', 'mainland'));
    container(deployment).ports[0].containerPort = 'http';
    for (const wrong of [kafka, topic, deployment]) expect((await validationErrors(wrong)).length).toBeGreaterThan(0);
  });

  it('lists every manifest file of deploy/k8s in kustomization.yaml', () => {
    const files = readdirSync(k8s, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(files.sort()).toEqual([...kustomization.resources].sort());
  });

  it('names one namespace, and the namespace enforces the restricted pod security standard', () => {
    const namespace = one('Namespace', kustomization.namespace);
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const object of manifests) expect(object.metadata.namespace).toBeUndefined(); // kustomize sets it
  });
});

describe('deploy/k8s: Kafka through Strimzi matches the local broker and provisioning', () => {
  const kafka = one('Kafka', 'recordation');
  const strimzi = parse(readFileSync(new URL('strimzi.yaml', schemaDir), 'utf8')) as {
    supportedKafkaVersions: string[];
    forbiddenConfigPrefixes: string[];
    forbiddenConfigExceptions: string[];
  };

  it('runs the Kafka version deploy/kafka/pom.xml fetches, which the vendored Strimzi release supports', () => {
    expect(kafka.spec.kafka.version).toBe(kafkaVersion);
    expect(strimzi.supportedKafkaVersions).toContain(kafkaVersion);
  });

  it('sets no broker option Strimzi refuses (it sets listeners, SASL, the authorizer, node ids … itself)', () => {
    const refused = Object.keys(kafka.spec.kafka.config).filter(
      (key) => strimzi.forbiddenConfigPrefixes.some((prefix) => key.startsWith(prefix)) && !strimzi.forbiddenConfigExceptions.includes(key),
    );
    expect(refused).toEqual([]);
  });

  it('has three combined broker+controller pools, one per jurisdiction, with rack awareness on the jurisdiction label', () => {
    const pools = all('KafkaNodePool');
    expect(pools.map((p) => [p.metadata.labels?.['strimzi.io/cluster'], p.spec.replicas, [...p.spec.roles].sort()])).toEqual(
      AUTHORITIES.map(() => ['recordation', 1, ['broker', 'controller']]),
    );
    expect(pools.flatMap((p) => pinnedTo(p.spec.template?.pod)).sort()).toEqual([...AUTHORITIES].sort());
    expect(kafka.spec.kafka.rack.topologyKey).toBe(jurisdictionKey);
  });

  it('replicates every write to 3, accepts it with 2 in sync, never elects an unclean leader, lets consumers fetch from their rack', () => {
    expect(kafka.spec.kafka.config).toMatchObject({
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'unclean.leader.election.enable': false,
      'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
      'auto.create.topics.enable': false,
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
    });
  });

  it('authenticates every listener with SCRAM-SHA-512 and authorizes with ACLs', () => {
    expect(kafka.spec.kafka.listeners.length).toBeGreaterThan(0);
    for (const listener of kafka.spec.kafka.listeners) expect(listener.authentication).toEqual({ type: 'scram-sha-512' });
    expect(kafka.spec.kafka.authorization.type).toBe('simple');
    expect(kafka.spec.entityOperator).toMatchObject({ topicOperator: {}, userOperator: {} });
  });

  it('declares the topics provisionKafka creates: names, partitions, max.message.bytes; 3 replicas, min ISR 2', () => {
    const declared = all('KafkaTopic').map((t) => ({
      topic: t.spec.topicName ?? t.metadata.name,
      numPartitions: t.spec.partitions,
      maxMessageBytes: t.spec.config['max.message.bytes'],
    }));
    expect(declared).toEqual(recordationTopicSpecs());
    for (const topic of all('KafkaTopic')) {
      expect([topic.metadata.labels?.['strimzi.io/cluster'], topic.spec.replicas, topic.spec.config['min.insync.replicas']]).toEqual(['recordation', 3, 2]);
    }
  });

  it('keeps every event of the authority topics (the log a registry is rebuilt from)', () => {
    for (const topic of [TOPICS.CN, TOPICS.HK, TOPICS.MO]) {
      expect(one('KafkaTopic', topic).spec.config).toMatchObject({ 'retention.ms': -1, 'retention.bytes': -1 });
    }
  });

  it('grants each KafkaUser exactly the ACLs recordationAcls() grants today', () => {
    // kafkajs' ACL constants → Strimzi's names
    const { AclOperationTypes: op, AclResourceTypes: res, ResourcePatternTypes: pattern } = kafkajs;
    const operations: Record<number, string> = { [op.ALL]: 'All', [op.READ]: 'Read', [op.WRITE]: 'Write', [op.DESCRIBE]: 'Describe', [op.CREATE]: 'Create' };
    const resources: Record<number, string> = {
      [res.TOPIC]: 'topic',
      [res.GROUP]: 'group',
      [res.CLUSTER]: 'cluster',
      [res.TRANSACTIONAL_ID]: 'transactionalId',
    };
    const patterns: Record<number, string> = { [pattern.LITERAL]: 'literal', [pattern.PREFIXED]: 'prefix' };
    const expected = recordationAcls()
      .map((a) => `${a.principal}|${resources[a.resourceType]}|${a.resourceName}|${patterns[a.resourcePatternType]}|${operations[a.operation]}`)
      .sort();
    const declared = all('KafkaUser')
      .flatMap((u) =>
        u.spec.authorization.acls.flatMap((acl: any) =>
          acl.operations.map(
            (op: string) => `User:${u.metadata.name}|${acl.resource.type}|${acl.resource.name}|${acl.resource.patternType ?? 'literal'}|${op}`,
          ),
        ),
      )
      .sort();
    expect(declared).toEqual(expected);
    for (const user of all('KafkaUser')) {
      expect(user.spec.authentication.type).toBe('scram-sha-512');
      expect((user.spec.authorization.acls as any[]).every((acl) => (acl.type ?? 'allow') === 'allow' && (acl.host ?? '*') === '*')).toBe(true);
    }
    const { ADMIN: _admin, ...principals } = KAFKA_PRINCIPALS;
    expect(
      all('KafkaUser')
        .map((u) => u.metadata.name)
        .sort(),
    ).toEqual(Object.values(principals).sort());
  });
});

describe('deploy/k8s: the apps', () => {
  const authorities = AUTHORITIES.map((code) => [code, one('Deployment', AUTHORITY_APP_DEFAULTS[code].app)] as const);
  const registries = AUTHORITIES.map((code) => [code, one('Deployment', `registry-${code.toLowerCase()}`)] as const);
  const deployments = all('Deployment');
  const knownRegistry = appVariables(envExample, 'registry');
  const registryVariables = declaredVariables(RegistryConfig);
  const authorityVariables = declaredVariables(AuthorityConfig);

  it('has one Deployment per authority and one registry per site, nothing else', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([...authorities, ...registries].map(([, d]) => d.metadata.name).sort());
  });

  it.each(AUTHORITIES)('%s authority: sets only variables AuthorityConfig reads and .env.example lists, and its config loads', (code) => {
    const deployment = one('Deployment', AUTHORITY_APP_DEFAULTS[code].app);
    const known = appVariables(envExample, AUTHORITY_APP_DEFAULTS[code].app);
    for (const { name } of envOf(deployment)) {
      expect({ name, declared: authorityVariables.has(name), listed: known.has(name) }).toEqual({ name, declared: true, listed: true });
    }
    // as start-up would: the image's production mode, the production checks, the authority's own
    const env = startupEnv(deployment);
    expect(env.NODE_ENV).toBe('production');
    expect(startupProblems(() => loadAuthorityConfig(code, env))).toEqual([]);
    const config = loadAuthorityConfig(code, env);
    expect([config.DATABASE_SCHEMA, config.KAFKA_USERNAME, String(config.PORT)]).toEqual([
      AUTHORITY_APP_DEFAULTS[code].DATABASE_SCHEMA,
      AUTHORITY_APP_DEFAULTS[code].KAFKA_USERNAME,
      envExample.sections.get(AUTHORITY_APP_DEFAULTS[code].app)?.get('PORT'),
    ]);
    expect(pinnedTo(deployment.spec.template.spec)).toEqual([code]);
  });

  it.each(AUTHORITIES)('registry %s: sets only variables RegistryConfig reads and .env.example lists, and its config loads', (code) => {
    const deployment = one('Deployment', `registry-${code.toLowerCase()}`);
    for (const { name } of envOf(deployment)) {
      const pending = AGREED_REGISTRY_VARIABLES.includes(name) && !registryVariables.has(name) && !knownRegistry.has(name);
      expect({ name, declared: pending || registryVariables.has(name), listed: pending || knownRegistry.has(name) }).toEqual({
        name,
        declared: true,
        listed: true,
      });
    }
    const env = startupEnv(deployment);
    expect(env.NODE_ENV).toBe('production');
    expect(startupProblems(() => loadRegistryConfig(env))).toEqual([]);
    const config = loadRegistryConfig(env);
    expect(String(config.PORT)).toBe(envExample.sections.get('registry')?.get('PORT'));
    expect(pinnedTo(deployment.spec.template.spec)).toEqual([code]);
  });

  it('gives each site its own REGISTRY_SITE, Kafka rack (a broker rack), schema and consumer group', () => {
    const sites = registries.map(([code, d]) => ({
      site: envValue(d, 'REGISTRY_SITE'),
      rack: envValue(d, 'KAFKA_RACK'),
      schema: envValue(d, 'DATABASE_SCHEMA'),
      group: envValue(d, 'KAFKA_CONSUMER_GROUP'),
      code,
    }));
    expect(sites).toEqual(
      AUTHORITIES.map((code) => ({ site: code, rack: code, schema: `registry_${code.toLowerCase()}`, group: `registry-${code.toLowerCase()}`, code })),
    );
    for (const { group } of sites) expect(group?.startsWith(REGISTRY_GROUP_PREFIX)).toBe(true);
  });

  it('connects every app to the Kafka bootstrap service of the Strimzi cluster, as the KafkaUser whose password it reads', () => {
    const listener = one('Kafka', 'recordation').spec.kafka.listeners[0];
    for (const deployment of deployments) {
      expect(envValue(deployment, 'KAFKA_BROKERS')).toBe(`recordation-kafka-bootstrap:${listener.port}`);
      const username = envValue(deployment, 'KAFKA_USERNAME');
      const password = envOf(deployment).find((e) => e.name === 'KAFKA_PASSWORD')?.valueFrom?.secretKeyRef;
      expect(password).toEqual({ name: username, key: 'password' });
      one('KafkaUser', String(username));
    }
  });

  it("talks TLS to Kafka (issue 22): every listener is TLS, every app trusts Strimzi's cluster CA from its Secret", () => {
    const kafka = one('Kafka', 'recordation');
    for (const listener of kafka.spec.kafka.listeners) expect(listener.tls).toBe(true);
    for (const deployment of deployments) {
      expect(envValue(deployment, 'KAFKA_TLS')).toBe('true');
      const caFile = String(envValue(deployment, 'KAFKA_CA_FILE'));
      const podSpec = deployment.spec.template.spec;
      const mount = podSpec.containers[0].volumeMounts.find((m: any) => caFile.startsWith(`${m.mountPath}/`));
      expect(mount).toMatchObject({ readOnly: true });
      const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
      // Strimzi names the cluster CA's certificate Secret <cluster>-cluster-ca-cert, key ca.crt.
      expect(volume.secret).toEqual({
        secretName: `${kafka.metadata.name}-cluster-ca-cert`,
        items: [{ key: 'ca.crt', path: caFile.slice(mount.mountPath.length + 1) }],
      });
    }
  });

  it('gives each authority pod only its own private key, which matches the public key the registries trust; registries get no private key', () => {
    const signingSecrets = generated.objects.filter((o) => o.stringData?.['private-key']).map((o) => o.metadata.name);
    const referenced = (d: Obj) => envOf(d).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
    for (const [code, deployment] of authorities) {
      expect([...new Set(referenced(deployment).filter((name) => signingSecrets.includes(name)))]).toEqual([`${AUTHORITY_APP_DEFAULTS[code].app}-signing-key`]);
      const env = resolvedEnv(deployment);
      const trusted = parseTrustedKeys(resolvedEnv(registries[0][1]).TRUSTED_KEYS);
      const envelope = signDsse('application/json', Buffer.from('{}'), { keyId: env.SIGNING_KEY_ID, privateKey: parsePrivateKey(env.SIGNING_PRIVATE_KEY) });
      expect(verifyDsse(envelope, trusted)).toMatchObject({ verified: true, authority: code });
    }
    for (const [, deployment] of registries) {
      expect(referenced(deployment).filter((name) => signingSecrets.includes(name))).toEqual([]);
      expect(envOf(deployment).some((e) => e.name.startsWith('SIGNING_'))).toBe(false);
      // the trust list holds public keys only
      for (const key of parseTrustedKeys(resolvedEnv(deployment).TRUSTED_KEYS).values()) expect(key.publicKey.type).toBe('public');
    }
  });

  it('sets no static bearer token (production refuses them); every app reads the three https issuers and the audience from ConfigMap oidc', () => {
    const oidc = one('ConfigMap', 'oidc');
    for (const deployment of deployments) {
      const names = envOf(deployment).map((e) => e.name);
      expect(names.filter((n) => (STATIC_TOKEN_VARIABLES as readonly string[]).includes(n))).toEqual([]);
      for (const name of [...OIDC_ISSUER_VARIABLES, 'OIDC_AUDIENCE'])
        expect(envOf(deployment).find((e) => e.name === name)?.valueFrom?.configMapKeyRef).toEqual({ name: 'oidc', key: name });
    }
    const data = oidc.data as Record<string, unknown>;
    for (const name of OIDC_ISSUER_VARIABLES) expect(String(data[name])).toMatch(/^https:\/\//);
  });

  it('would refuse to start (the start-up check can fail) with a static token, an http issuer, or no METRICS_TOKEN', () => {
    const [, registry] = registries[0];
    const [code, authority] = authorities[0];
    const strongHash = `sha256:${'ab'.repeat(32)}`;
    const refused = (load: () => unknown) => startupProblems(load).map((p) => p.variable);
    expect(refused(() => loadRegistryConfig({ ...startupEnv(registry), OFFICER_TOKEN_CN: strongHash }))).toEqual(['OFFICER_TOKEN_CN']);
    expect(refused(() => loadRegistryConfig({ ...startupEnv(registry), OIDC_ISSUER_HK: 'http://idp.internal/realms/hk' }))).toEqual(['OIDC_ISSUER_HK']);
    const { METRICS_TOKEN: _metrics, ...noMetrics } = startupEnv(registry);
    expect(refused(() => loadRegistryConfig(noMetrics))).toEqual(['METRICS_TOKEN']);
    expect(refused(() => loadAuthorityConfig(code, { ...startupEnv(authority), [`PUBLISHER_TOKEN_${code}`]: strongHash }))).toEqual([
      `PUBLISHER_TOKEN_${code}`,
    ]);
    const { KAFKA_CA_FILE: _ca, ...noCa } = startupEnv(authority);
    expect(refused(() => loadAuthorityConfig(code, noCa))).toEqual(['KAFKA_CA_FILE']);
  });

  it('stores bearer credentials only as sha256 hashes', () => {
    for (const secret of generated.objects.filter((o) => o.metadata.name.endsWith('-credentials'))) {
      for (const value of Object.values(secret.stringData ?? {})) expect(value).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it("connects each app to its own jurisdiction's PostgreSQL cluster as a role that owns its schema there", () => {
    for (const deployment of deployments) {
      const [site] = pinnedTo(deployment.spec.template.spec);
      const cluster = one('Cluster', `db-${site.toLowerCase()}`);
      const ref = envOf(deployment).find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;
      const secret = generated.objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref?.name) as K8sObject;
      const url = new URL(resolvedEnv(deployment).DATABASE_URL);
      const role = decodeURIComponent(url.username);
      expect([url.hostname, url.port, url.pathname]).toEqual([`${cluster.metadata.name}-rw`, '5432', `/${cluster.spec.bootstrap.initdb.database}`]);
      expect(secret.type).toBe('kubernetes.io/basic-auth');
      expect(secret.stringData?.username).toBe(role);
      const managed = (cluster.spec.managed.roles as any[]).find((r) => r.name === role);
      expect(managed).toMatchObject({ login: true, superuser: false, passwordSecret: { name: ref?.name } });
      const schema = envValue(deployment, 'DATABASE_SCHEMA');
      expect(cluster.spec.bootstrap.initdb.postInitApplicationSQL).toContain(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
      expect(
        pinnedTo({
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: jurisdictionKey, operator: 'In', values: [cluster.spec.affinity.nodeSelector[jurisdictionKey]] }] },
                ],
              },
            },
          },
        }),
      ).toEqual([site]);
    }
    for (const cluster of all('Cluster')) expect(cluster.spec.instances).toBeGreaterThanOrEqual(2);
  });

  it('uses the agreed database role names (mainland, hong_kong, macao, registry)', () => {
    const roles = new Set(all('Cluster').flatMap((c) => (c.spec.managed.roles as any[]).map((r) => r.name)));
    expect([...roles].sort()).toEqual(['hong_kong', 'macao', 'mainland', 'registry']);
  });

  it('probes /health (liveness, start-up) and /health/ready (readiness) on the port the app listens on; a Service in front of it', () => {
    for (const deployment of deployments) {
      const c = container(deployment);
      const port = Number(envValue(deployment, 'PORT'));
      expect(c.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
      expect([c.livenessProbe.httpGet, c.startupProbe.httpGet, c.readinessProbe.httpGet]).toEqual([
        { path: '/health', port: 'http' },
        { path: '/health', port: 'http' },
        { path: '/health/ready', port: 'http' },
      ]);
      expect(envValue(deployment, 'HOST')).toBe('0.0.0.0');
      const service = one('Service', deployment.metadata.name);
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      expect(service.spec.ports).toEqual([{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }]);
      expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    }
  });

  it('keeps one pod of every multi-replica Deployment up through voluntary disruptions, and spreads its pods over nodes', () => {
    for (const deployment of deployments.filter((d) => d.spec.replicas > 1)) {
      const budget = one('PodDisruptionBudget', deployment.metadata.name);
      expect(budget.spec).toEqual({ minAvailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
      const spread = deployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
      expect(spread).toEqual({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: deployment.spec.selector.matchLabels } });
    }
    expect(all('PodDisruptionBudget').length).toBe(deployments.filter((d) => d.spec.replicas > 1).length);
  });

  it('runs every container non-root, read-only, without privileges, with resource requests and limits', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('runs the image the Dockerfile builds, tagged with the package version, with the entry point of each app', () => {
    const version = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version;
    expect(kustomization.images).toEqual([{ name: 'recordation-exchange', newTag: version }]);
    for (const deployment of deployments) {
      const c = container(deployment);
      expect(c.image).toBe(`recordation-exchange:${version}`);
      const app = deployment.spec.template.metadata.labels['app.kubernetes.io/component'] === 'registry' ? 'registry' : deployment.metadata.name;
      expect(c.command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
    }
  });
});

describe('scripts/k8s-secrets.ts', () => {
  let first: ReturnType<typeof buildK8sSecrets>;
  beforeAll(() => {
    first = buildK8sSecrets();
  });

  it('generates fresh keys and credentials on every run', () => {
    const second = buildK8sSecrets();
    expect(second.tokens.METRICS_TOKEN_REGISTRY_HK).not.toBe(first.tokens.METRICS_TOKEN_REGISTRY_HK);
    const key = (s: typeof first) => s.objects.find((o) => o.metadata.name === 'mainland-signing-key')?.stringData?.['private-key'];
    expect(key(second)).not.toBe(key(first));
  });

  it("hands out only each registry's metrics scrape credential: people and systems sign in through OIDC", () => {
    expect(Object.keys(first.tokens).sort()).toEqual(AUTHORITIES.map((c: AuthorityCode) => `METRICS_TOKEN_REGISTRY_${c}`).sort());
  });
});
