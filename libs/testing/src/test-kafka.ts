import { generateSigningKeyPair, parsePrivateKey, type AuthorityCode, type SigningKey } from '#contracts';

/** The local broker's address and SCRAM principals (deploy/kafka/kafka.sh creates them with these dev passwords). */
export const TEST_KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export const TEST_KAFKA_PRINCIPALS = {
  admin: { username: 'admin', password: process.env.KAFKA_PASSWORD_ADMIN ?? 'admin-dev-secret' },
  CN: { username: 'authority-cn', password: process.env.KAFKA_PASSWORD_CN ?? 'cn-dev-secret' },
  HK: { username: 'authority-hk', password: process.env.KAFKA_PASSWORD_HK ?? 'hk-dev-secret' },
  MO: { username: 'authority-mo', password: process.env.KAFKA_PASSWORD_MO ?? 'mo-dev-secret' },
  registry: { username: 'registry', password: process.env.KAFKA_PASSWORD_REGISTRY ?? 'registry-dev-secret' },
} as const;

export interface TestSigningKeys {
  /** Per authority: the values of SIGNING_KEY_ID and SIGNING_PRIVATE_KEY. */
  signers: Record<AuthorityCode, { keyId: string; privateKey: string }>;
  /** The value of the registry's TRUSTED_KEYS. */
  trustedKeys: string;
}

/** Fresh Ed25519 keys for the three authorities, as the apps' config takes them. */
export function createTestSigningKeys(suffix = Date.now().toString(36)): TestSigningKeys {
  const signers = {} as TestSigningKeys['signers'];
  const trusted: string[] = [];
  for (const authority of ['CN', 'HK', 'MO'] as const) {
    const pair = generateSigningKeyPair();
    const keyId = `${authority.toLowerCase()}-test-${suffix}`;
    signers[authority] = { keyId, privateKey: pair.privateKey };
    trusted.push(`${authority}:${keyId}:${pair.publicKey}`);
  }
  return { signers, trustedKeys: trusted.join(',') };
}

/** The test keys as the signing code takes them (what each authority app parses from its environment). */
export function signingKeysOf(keys: TestSigningKeys): Record<AuthorityCode, SigningKey> {
  const out = {} as Record<AuthorityCode, SigningKey>;
  for (const authority of ['CN', 'HK', 'MO'] as const)
    out[authority] = { keyId: keys.signers[authority].keyId, privateKey: parsePrivateKey(keys.signers[authority].privateKey) };
  return out;
}
