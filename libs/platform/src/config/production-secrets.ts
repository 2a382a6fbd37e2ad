import { createHash } from 'node:crypto';

/**
 * What an app refuses in production mode (`NODE_ENV=production`, set by the Dockerfile): the development defaults
 * of .env.example and the test suites, and credentials too short to resist guessing. Each problem names the
 * variable; no value is ever printed.
 */
export const MIN_PRODUCTION_SECRET_LENGTH = 32;

/** Static bearer tokens of people and systems: the development mode only; production signs in through OIDC (issue 21). */
export const STATIC_TOKEN_VARIABLES = [
  'PUBLISHER_TOKEN_CN',
  'PUBLISHER_TOKEN_HK',
  'PUBLISHER_TOKEN_MO',
  'OFFICER_TOKEN_CN',
  'OFFICER_TOKEN_HK',
  'OFFICER_TOKEN_MO',
  'AUDITOR_TOKEN',
  'ADMIN_TOKEN',
] as const;

/** Every credential the apps read: bearer tokens, the metrics token, the Kafka password. */
export const CREDENTIAL_VARIABLES = [...STATIC_TOKEN_VARIABLES, 'METRICS_TOKEN', 'KAFKA_PASSWORD'] as const;

/** The published development values (.env.example, scripts/start.sh, the test systems). */
export const DEVELOPMENT_SECRETS: readonly string[] = [
  'dev-publisher-cn',
  'dev-publisher-hk',
  'dev-publisher-mo',
  'dev-officer-cn',
  'dev-officer-hk',
  'dev-officer-mo',
  'dev-auditor',
  'dev-admin',
  'dev-metrics',
  'test-publisher-cn',
  'test-publisher-hk',
  'test-publisher-mo',
  'test-officer-cn',
  'test-officer-hk',
  'test-officer-mo',
  'test-auditor',
  'test-admin',
  'admin-dev-secret',
  'cn-dev-secret',
  'hk-dev-secret',
  'mo-dev-secret',
  'registry-dev-secret',
  'mainland-dev-secret',
  'hong-kong-dev-secret',
  'macao-dev-secret',
  'postgres',
];

const DEVELOPMENT_HASHES = new Set(DEVELOPMENT_SECRETS.map((secret) => createHash('sha256').update(secret, 'utf8').digest('hex')));

/** Key ids of the development and test signing keys (scripts/dev-keys.ts, libs/testing). */
const DEVELOPMENT_KEY_ID = /^(cn|hk|mo)-(dev|test)-/i;

export const OIDC_ISSUER_VARIABLES = ['OIDC_ISSUER_CN', 'OIDC_ISSUER_HK', 'OIDC_ISSUER_MO'] as const;

export interface ProductionProblem {
  variable: string;
  reason: string;
}

function credentialProblem(value: string): string | undefined {
  const hashed = /^sha256:([0-9a-f]{64})$/i.exec(value.trim());
  if (hashed) return DEVELOPMENT_HASHES.has(hashed[1].toLowerCase()) ? 'is the hash of a development default; production needs a real secret' : undefined;
  if (DEVELOPMENT_SECRETS.includes(value)) return 'is a development default; production needs a real secret';
  if (value.length < MIN_PRODUCTION_SECRET_LENGTH) return `is shorter than ${MIN_PRODUCTION_SECRET_LENGTH} characters; production needs a longer secret`;
  return undefined;
}

/**
 * The problems of a loaded config in production mode: only variables the config holds are checked (an app's
 * optional credentials it was not given are not). DATABASE_URL must carry a password of its own role.
 */
export function productionProblems(config: Record<string, unknown>): ProductionProblem[] {
  const problems: ProductionProblem[] = [];
  for (const variable of CREDENTIAL_VARIABLES) {
    const value = config[variable];
    if (typeof value !== 'string' || value === '') continue;
    const reason = credentialProblem(value);
    if (reason) problems.push({ variable, reason });
  }
  // An app's config that knows OIDC (every app's) must use it: static tokens are the development mode.
  if ('OIDC_AUDIENCE' in config) {
    for (const variable of STATIC_TOKEN_VARIABLES) {
      if (typeof config[variable] === 'string' && config[variable] !== '' && !problems.some((problem) => problem.variable === variable)) {
        problems.push({ variable, reason: 'is a static bearer token, the development mode; production accepts only OIDC access tokens (OIDC_ISSUER_*)' });
      }
    }
    for (const variable of OIDC_ISSUER_VARIABLES) {
      const issuer = config[variable];
      if (typeof issuer !== 'string' || issuer === '')
        problems.push({ variable, reason: "is not set (production signs people and systems in through each authority's provider)" });
      else if (!issuer.startsWith('https://')) problems.push({ variable, reason: 'must be an https:// issuer in production' });
    }
  }
  if (typeof config.DATABASE_URL === 'string') {
    let password = '';
    let user = '';
    try {
      const url = new URL(config.DATABASE_URL);
      password = decodeURIComponent(url.password);
      user = decodeURIComponent(url.username);
    } catch {
      // The URL's format is the config class's to report.
    }
    if (user === '' || user === 'postgres') problems.push({ variable: 'DATABASE_URL', reason: "must name the app's own role, not the superuser (production)" });
    else if (!password) problems.push({ variable: 'DATABASE_URL', reason: "has no password; production needs the app's role password" });
    else {
      const reason = credentialProblem(password);
      if (reason) problems.push({ variable: 'DATABASE_URL', reason: `password ${reason}` });
    }
  }
  if (typeof config.SIGNING_KEY_ID === 'string' && DEVELOPMENT_KEY_ID.test(config.SIGNING_KEY_ID)) {
    problems.push({ variable: 'SIGNING_KEY_ID', reason: "names a development signing key; production signs with the authority's own key" });
  }
  if (typeof config.TRUSTED_KEYS === 'string' && config.TRUSTED_KEYS.split(',').some((entry) => DEVELOPMENT_KEY_ID.test(entry.split(':')[1]?.trim() ?? ''))) {
    problems.push({ variable: 'TRUSTED_KEYS', reason: 'trusts a development signing key' });
  }
  if (config.VERIFY_SIGNATURES === false) {
    problems.push({ variable: 'VERIFY_SIGNATURES', reason: 'must not be false in production: events would be merged on the word of a key id alone' });
  }
  return problems;
}

/**
 * Kafka TLS settings that cannot work together (checked in every mode): a client certificate without its key or the
 * reverse, files given while KAFKA_TLS is off; in production, TLS needs our CA (KAFKA_CA_FILE): the brokers'
 * certificates are signed by the deployment's own CA (Strimzi's cluster CA, kafka.sh's development CA), not a public one.
 */
export function kafkaTlsProblems(config: Record<string, unknown>, production: boolean): ProductionProblem[] {
  if (!('KAFKA_TLS' in config)) return [];
  const problems: ProductionProblem[] = [];
  const set = (name: string) => typeof config[name] === 'string' && config[name] !== '';
  if (set('KAFKA_CLIENT_CERT_FILE') && !set('KAFKA_CLIENT_KEY_FILE'))
    problems.push({ variable: 'KAFKA_CLIENT_KEY_FILE', reason: 'is not set: KAFKA_CLIENT_CERT_FILE needs its private key' });
  if (set('KAFKA_CLIENT_KEY_FILE') && !set('KAFKA_CLIENT_CERT_FILE'))
    problems.push({ variable: 'KAFKA_CLIENT_CERT_FILE', reason: 'is not set: KAFKA_CLIENT_KEY_FILE needs its certificate' });
  // A config class that does not declare KAFKA_TLS (the provisioning CLI's) still holds the raw variable.
  if (config.KAFKA_TLS !== true && config.KAFKA_TLS !== 'true') {
    for (const name of ['KAFKA_CA_FILE', 'KAFKA_CLIENT_CERT_FILE', 'KAFKA_CLIENT_KEY_FILE'])
      if (set(name)) problems.push({ variable: name, reason: 'is set but KAFKA_TLS is not true: the file would be ignored and the link would be plaintext' });
  } else if (production && !set('KAFKA_CA_FILE')) {
    problems.push({ variable: 'KAFKA_CA_FILE', reason: "must be set when KAFKA_TLS=true in production: the CA that signed the brokers' certificates" });
  }
  return problems;
}

export function isProduction(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV === 'production';
}
