import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import type { AuthorityCode } from '#contracts';

/** The demo logins and machine clients of deploy/idp/realms (the same for Keycloak). */
export const IDP_USERS = {
  officer: { CN: ['officer.wang', 'officer-cn-demo'], HK: ['officer.chan', 'officer-hk-demo'], MO: ['officer.leong', 'officer-mo-demo'] },
} as const;

export interface SigningJwk {
  kty: string;
  kid: string;
  alg: string;
  use: string;
  [member: string]: unknown;
}

/**
 * The real identity provider of `npm start` (deploy/idp/idp.mjs: oidc-provider, one issuer per authority), started as
 * its own process on a free port. Its signing keys are made here, so hostile-token tests can sign with the issuer's
 * own key (expired, not yet valid, wrong audience) as well as with keys it does not publish.
 */
export class TestIdp {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly keys: Record<'cn' | 'hk' | 'mo', SigningJwk>,
  ) {}

  static async start(): Promise<TestIdp> {
    const dir = mkdtempSync(join(tmpdir(), 'rx-idp-'));
    const keys = Object.fromEntries(
      (['cn', 'hk', 'mo'] as const).map((realm) => [
        realm,
        { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: `${realm}-test-key`, use: 'sig', alg: 'RS256' },
      ]),
    ) as Record<'cn' | 'hk' | 'mo', SigningJwk>;
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
    const child = spawn(process.execPath, ['deploy/idp/idp.mjs'], {
      env: { ...process.env, IDP_PORT: '0', IDP_HOST: '127.0.0.1', IDP_SIGNING_KEYS_FILE: join(dir, 'keys.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the identity provider did not start within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`the identity provider exited (${code})`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'identity provider listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
    });
    return new TestIdp(url, child, dir, keys);
  }

  issuer(authority: AuthorityCode): string {
    return `${this.url}/realms/${authority.toLowerCase()}`;
  }

  /** OIDC_ISSUER_CN/_HK/_MO for an app's environment. */
  env(): NodeJS.ProcessEnv {
    return { OIDC_ISSUER_CN: this.issuer('CN'), OIDC_ISSUER_HK: this.issuer('HK'), OIDC_ISSUER_MO: this.issuer('MO') };
  }

  /** An access token of a machine client (client-credentials grant). */
  async clientToken(authority: AuthorityCode, client: 'recordation-system' | 'risk-engine'): Promise<string> {
    const id = `${authority.toLowerCase()}-${client}`;
    const response = await fetch(`${this.issuer(authority)}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${id}-dev-secret`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = (await response.json()) as { access_token?: string };
    if (!response.ok || !body.access_token) throw new Error(`no token for ${id}: ${response.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const now = () => Math.floor(Date.now() / 1000);
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const validClaims = (idp: TestIdp): JWTPayload => ({
  iss: idp.issuer('HK'),
  aud: 'recordation-exchange',
  sub: 'hostile',
  roles: ['officer'],
  iat: now(),
  exp: now() + 300,
});

/** A token signed with the HK issuer's own key: only the claims are wrong. */
export async function hkSigned(idp: TestIdp, claims: JWTPayload): Promise<string> {
  return new SignJWT({ ...validClaims(idp), ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: idp.keys.hk.kid })
    .sign(await importJWK(idp.keys.hk, 'RS256'));
}

/** Every kind of bad access token of issue 21, with the reason the apps log for it. Each must be answered 401. */
export const HOSTILE_TOKEN_KINDS: { label: string; reason: RegExp; make: (idp: TestIdp) => Promise<string> }[] = [
  { label: 'expired', reason: /expired/, make: (idp) => hkSigned(idp, { iat: now() - 900, exp: now() - 600 }) },
  { label: 'not yet valid', reason: /not yet valid/, make: (idp) => hkSigned(idp, { nbf: now() + 600 }) },
  { label: 'wrong audience', reason: /claim aud/, make: (idp) => hkSigned(idp, { aud: 'another-api' }) },
  { label: 'wrong issuer (not configured)', reason: /is not configured/, make: (idp) => hkSigned(idp, { iss: 'http://127.0.0.1:1/realms/hk' }) },
  { label: 'wrong issuer (CN issuer, HK key)', reason: /unknown kid/, make: (idp) => hkSigned(idp, { iss: idp.issuer('CN') }) },
  { label: 'alg none', reason: /algorithm not allowed/, make: (idp) => Promise.resolve(`${part({ alg: 'none', typ: 'JWT' })}.${part(validClaims(idp))}.`) },
  {
    label: 'HS256 signed with the public key',
    reason: /algorithm not allowed/,
    make: (idp) => {
      const publicPem = createPublicKey({ key: idp.keys.hk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
      const input = `${part({ alg: 'HS256', typ: 'JWT', kid: idp.keys.hk.kid })}.${part(validClaims(idp))}`;
      return Promise.resolve(`${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`);
    },
  },
  {
    label: 'unknown kid',
    reason: /unknown kid/,
    make: (idp) =>
      new SignJWT(validClaims(idp))
        .setProtectedHeader({ alg: 'RS256', kid: 'hk-not-published' })
        .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
  },
  {
    label: 'tampered signature',
    reason: /signature does not verify/,
    make: async (idp) => {
      const [header, payload, signature] = (await idp.clientToken('HK', 'risk-engine')).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload;
      return `${header}.${part({ ...claims, roles: ['admin'] })}.${signature}`;
    },
  },
  { label: 'oversized', reason: /oversized/, make: (idp) => hkSigned(idp, { padding: 'x'.repeat(9000) }) },
];
