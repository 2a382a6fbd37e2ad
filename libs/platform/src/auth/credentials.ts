import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { AuthorityCode } from '#contracts';
import { OidcVerifier, type TokenOutcome } from './oidc.js';

export const ROLES = ['publisher', 'officer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who made a request: a role, and for publishers and officers the authority they act for. */
export interface Principal {
  role: Role;
  authority?: AuthorityCode;
  /** A name for logs and audit: never the secret. */
  name: string;
  /**
   * Who it is, stable across tokens: an OIDC token's `sub` (issue 21). Unset for the static development tokens,
   * whose `name` is their stable identity.
   */
  subject?: string;
}

/** Bearer tokens up to this length pass the header check; an OIDC verifier refuses longer ones than it allows. */
export const BEARER = /^Bearer ([\x21-\x7e]{1,16384})$/;

/** The refusal reason of a request that presents no credential at all. */
export const NO_CREDENTIAL = 'no bearer credential';

const VERIFIED = Symbol('recordation-exchange:verified');

interface StoredCredential {
  principal: Principal;
  sha256: Buffer;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * A configured credential: the secret itself, or `sha256:<hex>` of it so that a deployment's config holds no
 * usable secret. Either way only the hash is kept in memory.
 */
export function credentialHash(configured: string): Buffer {
  const match = /^sha256:([0-9a-f]{64})$/i.exec(configured.trim());
  return match ? Buffer.from(match[1], 'hex') : sha256(configured);
}

/** The bearer credentials an app accepts, held hashed and compared in constant time. */
export class CredentialStore {
  private readonly credentials: StoredCredential[] = [];
  private oidc?: OidcVerifier;
  private sessions?: (request: Request) => Promise<TokenOutcome | undefined>;

  add(principal: Principal, configured: string | undefined): this {
    if (configured) this.credentials.push({ principal, sha256: credentialHash(configured) });
    return this;
  }

  /** The principal a presented bearer token belongs to, or undefined. */
  authenticate(token: string): Principal | undefined {
    const presented = sha256(token);
    let found: Principal | undefined;
    // Compare against every credential so timing does not reveal which one matched.
    for (const credential of this.credentials) {
      if (timingSafeEqual(presented, credential.sha256) && !found) found = credential.principal;
    }
    return found;
  }

  /** Also accept JWT access tokens of these issuers (OIDC, issue 21). */
  useOidc(verifier: OidcVerifier | undefined): this {
    this.oidc = verifier;
    return this;
  }

  /** Requests without a bearer header may carry a signed-in page's session instead (the registry's officers' page). */
  useSessions(resolver: (request: Request) => Promise<TokenOutcome | undefined>): this {
    this.sessions = resolver;
    return this;
  }

  get oidcVerifier(): OidcVerifier | undefined {
    return this.oidc;
  }

  /**
   * The principal of a presented token: a static development credential (checked first, in constant time), else a
   * JWT of a configured issuer. The reason of a refusal is for the log only.
   */
  async verify(token: string): Promise<TokenOutcome> {
    const principal = this.authenticate(token);
    if (principal) return { principal };
    if (this.oidc && OidcVerifier.looksLikeJwt(token)) return this.oidc.verify(token);
    return { reason: this.oidc ? 'neither a configured credential nor a JWT' : 'not a configured credential' };
  }

  /**
   * A request's principal when it can be known at once (a static credential), `false` when it certainly has none
   * (no OIDC token, no session to look up), `undefined` when only verifyRequest can tell. Lets a caller refuse in
   * the same tick, before Node's parser reads on.
   */
  quickCheck(request: Request): Principal | false | undefined {
    const header = request.headers.authorization;
    if (header === undefined) return this.sessions ? undefined : false;
    const match = BEARER.exec(header);
    if (!match) return false;
    const principal = this.authenticate(match[1]);
    if (principal) return principal;
    return this.oidc && OidcVerifier.looksLikeJwt(match[1]) ? undefined : false;
  }

  /**
   * The outcome for a request's bearer header (or, without one, its page session), computed once per request (rate
   * limiter, large bodies, guard). Without either the reason is NO_CREDENTIAL.
   */
  verifyRequest(request: Request): Promise<TokenOutcome> {
    const memo = request as Request & { [VERIFIED]?: Promise<TokenOutcome> };
    memo[VERIFIED] ??= (async () => {
      const header = request.headers.authorization;
      if (header !== undefined) {
        const match = BEARER.exec(header);
        return match ? this.verify(match[1]) : { reason: NO_CREDENTIAL };
      }
      return (await this.sessions?.(request)) ?? { reason: NO_CREDENTIAL };
    })();
    return memo[VERIFIED];
  }

  get size(): number {
    return this.credentials.length + (this.oidc?.issuers.length ?? 0);
  }
}

/** What a route allows: roles, and whether a publisher or officer must act for a given authority. */
export interface AccessRule {
  roles: readonly Role[];
  /** For publishers: the authority whose service this is. */
  publisherAuthority?: AuthorityCode;
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

export function decideAccess(principal: Principal, rule: AccessRule): AccessDecision {
  if (!rule.roles.includes(principal.role)) {
    return { allowed: false, reason: `the ${principal.role} role may not use this endpoint (allowed: ${rule.roles.join(', ')})` };
  }
  if (principal.role === 'publisher' && rule.publisherAuthority && principal.authority !== rule.publisherAuthority) {
    return { allowed: false, reason: `a publisher for ${principal.authority} may not publish for ${rule.publisherAuthority}` };
  }
  return { allowed: true };
}
