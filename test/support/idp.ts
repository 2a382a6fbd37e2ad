import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
