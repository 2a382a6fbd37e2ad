import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { AUTHORITIES, generateSigningKeyPair, type AuthorityCode } from '#contracts';
import type { ConfigError } from '#platform';
import { AUTHORITY_APP_DEFAULTS, loadAuthorityConfig } from '../../libs/authority/src/authority.config.js';
import { loadRegistryConfig } from '../../apps/registry/src/registry.config.js';
import { appVariables, imageEnvironment, readEnvExample, root } from './env-example.js';

/** docker-compose.yml cannot run here (no Docker engine), so this keeps it in step with the local scripts. */
interface Service {
  image?: string;
  build?: string;
  user?: string;
  ports?: string[];
  environment?: Record<string, unknown>;
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const keysScript = readFileSync(new URL('deploy/compose/keys.sh', root), 'utf8');
const initRoles = readFileSync(new URL('deploy/compose/init-roles.sh', root), 'utf8');

/** `give DIR "NAME=$VALUE" …` lines of deploy/compose/keys.sh: the variables each key directory's file holds. */
const keyFiles = new Map(
  [...keysScript.matchAll(/^give (\S+) (.+)$/gm)].map(([, dir, rest]) => [
    dir,
    [...rest.matchAll(/"([A-Z_]+)=\$([A-Z_]+)"/g)].map(([, name, from]) => ({ name, from })),
  ]),
);
/** A service's mounts: source → { target, readOnly }. */
function mounts(service: Service): Map<string, { target: string; readOnly: boolean }> {
  return new Map((service.volumes ?? []).map((v) => v.split(':')).map(([source, target, mode]) => [source, { target, readOnly: mode === 'ro' }]));
}
/** The key directory (of keys.sh) whose volume an app mounts at /keys. */
function keyDirectoryOf(app: string): string | undefined {
  const volume = [...mounts(compose.services[app])].find(([, m]) => m.target === '/keys')?.[0];
  return [...mounts(compose.services.keys)].find(([source]) => source === volume)?.[1].target.replace(/^\/keys\//, '');
}
const pom = readFileSync(new URL('deploy/kafka/pom.xml', root), 'utf8');
const dockerKafka = readFileSync(new URL('deploy/kafka/docker-kafka.sh', root), 'utf8');
const brokerTemplate = readFileSync(new URL('deploy/kafka/server.properties.template', root), 'utf8');

/** What keys.sh's `dev-keys.js` generates (SIGNING_KEY_ID_<code>, SIGNING_PRIVATE_KEY_<code>, TRUSTED_KEYS), freshly. */
const devKeys: Record<string, string> = (() => {
  const keys: Record<string, string> = {};
  const trusted: string[] = [];
  for (const code of AUTHORITIES) {
    const pair = generateSigningKeyPair();
    const keyId = `${code.toLowerCase()}-dev-2026-12-02`;
    Object.assign(keys, { [`SIGNING_KEY_ID_${code}`]: keyId, [`SIGNING_PRIVATE_KEY_${code}`]: pair.privateKey });
    trusted.push(`${code}:${keyId}:${pair.publicKey}`);
  }
  return { ...keys, TRUSTED_KEYS: trusted.join(',') };
})();

/**
 * The environment an app starts with under `docker compose up` (no .env, no shell variables): the image's ENV, the
 * variables of its key file (read by its command before `exec node`), then the service's environment with each
 * `${NAME:-default}` at its default.
 */
function startupEnv(app: string, environment = compose.services[app].environment ?? {}): Record<string, string> {
  const env: Record<string, string> = { ...imageEnvironment() };
  for (const { name, from } of keyFiles.get(keyDirectoryOf(app) ?? '') ?? []) env[name] = devKeys[from];
  for (const [name, value] of Object.entries(environment)) env[name] = String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
  return env;
}

/** The problems the app's start-up validation refuses it with (its config loader, the production checks), or []. */
function startupProblems(app: string, env: Record<string, string>): { variable: string; reason: string }[] {
  const code = (Object.keys(AUTHORITY_APP_DEFAULTS) as AuthorityCode[]).find((c) => AUTHORITY_APP_DEFAULTS[c].app === app);
  try {
    if (code) loadAuthorityConfig(code, env);
    else loadRegistryConfig(env);
    return [];
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') return (error as ConfigError).problems;
    throw error;
  }
}
const { sections, optional } = readEnvExample();
const APPS = ['registry', 'mainland', 'hong-kong', 'macao'] as const;

describe('docker-compose.yml matches .env.example and the local scripts', () => {
  it('validates against the Compose Specification schema (vendored in compose-schema/)', () => {
    const schema = JSON.parse(readFileSync(new URL('compose-schema/compose-spec.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false }).compile(schema);
    const check = (file: unknown) => (validate(file) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
    expect(check(compose)).toEqual([]);
    const typo = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    typo.services.registry.depends_on = { postgres: { condition: 'service_heathy' } };
    expect(check(typo).length).toBeGreaterThan(0);
  });

  it('runs Kafka at the version deploy/kafka/pom.xml fetches', () => {
    const version = /<kafka.version>([^<]+)<\/kafka.version>/.exec(pom)?.[1];
    expect(version).toBeDefined();
    expect(compose.services.kafka.image).toBe(`apache/kafka:${version}`);
  });

  it.each(APPS)('%s publishes the default port of its .env.example section', (app) => {
    const port = sections.get(app)?.get('PORT');
    expect(port).toMatch(/^\d+$/);
    expect(compose.services[app].ports).toContain(`127.0.0.1:${port}:${port}`);
    expect(String(compose.services[app].environment?.PORT)).toBe(port);
  });

  it.each(APPS)('%s reads only variables that .env.example lists, with the same schema and Kafka user', (app) => {
    const known = appVariables({ sections, optional }, app);
    const environment = compose.services[app].environment ?? {};
    for (const name of Object.keys(environment)) expect({ app, name, listed: known.has(name) }).toEqual({ app, name, listed: true });
    for (const name of ['DATABASE_SCHEMA', 'KAFKA_USERNAME']) {
      expect(String(environment[name])).toBe(sections.get(app)?.get(name));
    }
  });

  it.each(APPS)('%s gets every variable of its section, from the environment or the generated key file', (app) => {
    const environment = compose.services[app].environment ?? {};
    const command = (compose.services[app].command ?? []).join(' ');
    for (const name of sections.get(app)?.keys() ?? []) {
      if (optional.has(name)) continue;
      const fromKeyFile = command.includes('. /keys/keys.env') && (keyFiles.get(keyDirectoryOf(app) ?? '') ?? []).some((v) => v.name === name);
      const provided = name in environment || command.includes(`${name}=`) || fromKeyFile;
      expect({ app, name, provided }).toEqual({ app, name, provided: true });
    }
  });

  it.each(APPS)('%s reads a key file of its own, on a volume of its own, read-only: its own private key, or (registry) the public keys only', (app) => {
    const own = mounts(compose.services[app]);
    const keyVolumes = [...own].filter(([source]) => source.startsWith('keys'));
    expect(keyVolumes).toEqual([[`keys-${app}`, { target: '/keys', readOnly: true }]]);
    expect(keyDirectoryOf(app)).toBe(app);
    const names = (keyFiles.get(app) ?? []).map((v) => v.name).sort();
    if (app === 'registry') {
      expect(keyFiles.get(app)).toEqual([{ name: 'TRUSTED_KEYS', from: 'TRUSTED_KEYS' }]);
    } else {
      const code = String(compose.services[app].environment?.KAFKA_USERNAME).replace('authority-', '').toUpperCase();
      expect(names).toEqual(['SIGNING_KEY_ID', 'SIGNING_PRIVATE_KEY']);
      for (const { name, from } of keyFiles.get(app) ?? []) expect(from).toBe(`${name}_${code}`);
    }
    // no other service mounts it but the keys service
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== app && name !== 'keys') expect(mounts(service).has(`keys-${app}`)).toBe(false);
    }
  });

  it('writes the key files for the user the apps run as, readable by it only (the root-run keys service used to leave them 0600 root)', () => {
    const imageUser = /^USER (\S+)$/m.exec(dockerfile)?.[1];
    expect(imageUser).toBe('node');
    expect(compose.services.keys.user).toBe('root');
    expect(keysScript).toContain('owner="${KEYS_OWNER:-node:node}"');
    expect(keysScript).toMatch(/chmod 0400 "\$dir\/keys.env"/);
    for (const app of APPS) expect(compose.services[app].user).toBeUndefined(); // the image's user
  });

  it.each(APPS)('%s connects to PostgreSQL as its own role (password, no trust auth), which init-roles.sh makes owner of its schema', (app) => {
    const url = new URL(String(compose.services[app].environment?.DATABASE_URL));
    const role = url.username;
    const schema = String(compose.services[app].environment?.DATABASE_SCHEMA);
    expect(role).toBe(schema); // roles are named like their schemas
    const variable = /^\$\{(DATABASE_PASSWORD_[A-Z_]+):-[^}]+\}$/.exec(decodeURIComponent(url.password))?.[1];
    expect(variable).toBeDefined();
    expect(compose.services.postgres.environment?.[String(variable)]).toBe(`\${${variable}:-${/:-([^}]+)\}/.exec(decodeURIComponent(url.password))?.[1]}}`);
    expect(initRoles).toContain(`CREATE ROLE ${role} LOGIN PASSWORD :'${role}';`);
    expect(initRoles).toContain(`-v ${role}="$${variable}"`);
    expect(initRoles).toContain(`CREATE SCHEMA ${schema} AUTHORIZATION ${role};`);
    expect(url.pathname).toBe(`/${String(compose.services.postgres.environment?.POSTGRES_DB)}`);
  });

  it('runs PostgreSQL with password authentication and the role set-up script', () => {
    const postgres = compose.services.postgres;
    expect(postgres.environment?.POSTGRES_HOST_AUTH_METHOD).toBeUndefined();
    expect(String(postgres.environment?.POSTGRES_PASSWORD)).toMatch(/^\$\{POSTGRES_PASSWORD:-.+\}$/);
    expect(mounts(postgres).get('./deploy/compose/init-roles.sh')?.target).toMatch(/^\/docker-entrypoint-initdb\.d\/.+\.sh$/);
  });

  it('keeps PostgreSQL and Kafka data, and the keys, in named volumes', () => {
    expect(mounts(compose.services.postgres).get('postgres-data')?.target).toBe('/var/lib/postgresql/data');
    expect(mounts(compose.services.kafka).get('kafka-data')?.target).toBe('/var/lib/kafka/data');
    const named = Object.values(compose.services).flatMap((service) => [...mounts(service).keys()].filter((source) => !source.startsWith('.')));
    expect([...new Set(named)].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it.each(APPS)('%s starts once PostgreSQL and Kafka are healthy and the topics and keys exist', (app) => {
    expect(compose.services[app].depends_on).toEqual({
      provision: { condition: 'service_completed_successfully' },
      keys: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
    });
  });

  it('has a health check for every service something waits on as healthy: its own, or the image HEALTHCHECK on /health/ready', () => {
    const healthcheck = /^HEALTHCHECK .*\\\n\s*CMD (.*)$/m.exec(dockerfile)?.[1] ?? '';
    expect(healthcheck).toContain('/health/ready');
    expect(healthcheck).toContain('process.env.PORT');
    const awaited = new Set(
      Object.values(compose.services).flatMap((s) =>
        Object.entries(s.depends_on ?? {})
          .filter(([, d]) => d.condition === 'service_healthy')
          .map(([name]) => name),
      ),
    );
    for (const name of awaited) {
      const service = compose.services[name];
      expect({ name, checked: Boolean(service.healthcheck?.test?.length) || service.build === '.' }).toEqual({ name, checked: true });
    }
  });

  it.each(APPS)('%s passes its start-up validation with the environment compose gives it, in the mode it runs in', (app) => {
    const env = startupEnv(app);
    expect(startupProblems(app, env)).toEqual([]);
    // the demo's development credentials are accepted only because the service says so over the image's production mode
    expect({ app, NODE_ENV: env.NODE_ENV }).toEqual({ app, NODE_ENV: 'development' });
  });

  it("would be refused at start-up in the image's production mode (the check can fail)", () => {
    const { NODE_ENV: _mode, ...environment } = compose.services.registry.environment ?? {};
    const refused = startupProblems('registry', startupEnv('registry', environment)).map((p) => p.variable);
    expect(refused).toEqual(expect.arrayContaining(['OFFICER_TOKEN_CN', 'KAFKA_PASSWORD', 'DATABASE_URL', 'OIDC_ISSUER_CN', 'TRUSTED_KEYS']));
  });

  it('renders the broker configuration whole (every @NAME@ of the template), with the client listener plaintext as the apps expect', () => {
    const tokens = (text: string) => new Set([...text.matchAll(/@([A-Z_]+)@/g)].map(([, name]) => name).filter((name) => name !== 'NAME'));
    const replaced = new Set([...dockerKafka.matchAll(/s#@([A-Z_]+)@#/g)].map(([, name]) => name));
    expect([...tokens(brokerTemplate)].filter((name) => !replaced.has(name))).toEqual([]);
    expect(dockerKafka).toContain('s#@CLIENT_PROTOCOL@#SASL_PLAINTEXT#g');
    for (const app of APPS) expect({ app, KAFKA_TLS: startupEnv(app).KAFKA_TLS }).toEqual({ app, KAFKA_TLS: undefined });
  });
});
