import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AUTHORITIES, type AuthorityCode } from '#contracts';
import { ROLES, type Principal, type Role } from './credentials.js';

/** One authority's identity provider: tokens it signs act for that authority, whatever they claim. */
export interface OidcIssuer {
  authority: AuthorityCode;
  /** The issuer identifier, exactly as the provider writes it in `iss` (e.g. http://127.0.0.1:3080/realms/hk). */
  issuer: string;
}

export interface OidcOptions {
  issuers: readonly OidcIssuer[];
  /** The `aud` every accepted token must carry (the resource these apps are). */
  audience: string;
  /** Where the roles are: a claim name or a dotted path (`roles`, `realm_access.roles`). */
  rolesClaim: string;
  clockToleranceSeconds: number;
  /** Longer tokens are refused before they are parsed. */
  maxTokenLength: number;
}

/** The asymmetric signatures accepted: never `none`, never an HMAC (which a public key could be made to forge). */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];

export type TokenOutcome = { principal: Principal } | { reason: string };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Reads a claim by name or dotted path. */
function claimAt(claims: JWTPayload, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function rolesOf(claims: JWTPayload, rolesClaim: string): unknown {
  const configured = claimAt(claims, rolesClaim);
  // Keycloak keeps realm roles under realm_access.roles unless a mapper copies them to a claim of their own.
  return configured === undefined && rolesClaim === 'roles' ? claimAt(claims, 'realm_access.roles') : configured;
}

/**
 * The principal a verified token's claims stand for. The authority is the issuer's, never the token's word (an HK
 * issuer cannot make a CN publisher); the role is the one role of ours the roles claim lists (none or several: refused,
 * so a token never acts with more than it was issued for); the subject is `sub`.
 */
export function principalFromClaims(claims: JWTPayload, issuer: OidcIssuer, rolesClaim: string): TokenOutcome {
  if (typeof claims.sub !== 'string' || claims.sub === '') return { reason: 'the token has no subject (sub)' };
  const listed = rolesOf(claims, rolesClaim);
  const names = Array.isArray(listed) ? listed : typeof listed === 'string' ? listed.split(' ') : [];
  const roles = [...new Set(names.filter((name): name is Role => typeof name === 'string' && (ROLES as readonly string[]).includes(name)))];
  if (roles.length === 0) return { reason: `the token's ${rolesClaim} claim lists none of the roles ${ROLES.join(', ')}` };
  if (roles.length > 1) return { reason: `the token's ${rolesClaim} claim lists several roles (${roles.join(', ')}); one token acts in one role` };
  const claimed = claims.authority;
  if (claimed !== undefined && claimed !== issuer.authority) {
    return { reason: `the token claims authority ${JSON.stringify(claimed).slice(0, 50)} but was issued by ${issuer.authority}'s provider` };
  }
  const who = [claims.preferred_username, claims.client_id, claims.azp, claims.sub].find((value) => typeof value === 'string' && value !== '') as string;
  return { principal: { role: roles[0], authority: issuer.authority, subject: claims.sub, name: `${issuer.authority.toLowerCase()}:${who}` } };
}

/** Why a token was refused, for the log only (the response never says). */
export function refusalReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'not yet valid (nbf)';
    if (error.claim === 'iat') return 'issued in the future (iat)';
    return `claim ${error.claim} ${error.reason === 'check_failed' ? 'does not match' : error.reason}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'signature algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'signed with a key the issuer does not publish (unknown kid)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWKSTimeout) return "the issuer's keys could not be fetched in time";
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return `the issuer's keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Verifies JWT access tokens of the configured issuers (jose): signature against the issuer's JWKS (found through its
 * discovery document, fetched once and cached; an unknown `kid` refetches it, at most every 30 s, so rotation needs no
 * restart), issuer, audience, expiry and not-before with a small clock tolerance.
 */
export class OidcVerifier {
  private readonly byIssuer = new Map<string, { issuer: OidcIssuer; keys?: Promise<JWTVerifyGetKey> }>();

  constructor(private readonly options: OidcOptions) {
    for (const issuer of options.issuers) this.byIssuer.set(issuer.issuer, { issuer });
  }

  get issuers(): readonly OidcIssuer[] {
    return this.options.issuers;
  }

  /** True for what looks like a JWT (three base64url parts): static development tokens never do. */
  static looksLikeJwt(token: string): boolean {
    return JWT_SHAPE.test(token);
  }

  async verify(token: string): Promise<TokenOutcome> {
    if (token.length > this.options.maxTokenLength) return { reason: `oversized (${token.length} characters, at most ${this.options.maxTokenLength})` };
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return { reason: 'not a JWT' };
    }
    const entry = typeof unverified.iss === 'string' ? this.byIssuer.get(unverified.iss) : undefined;
    if (!entry) return { reason: `issuer ${JSON.stringify(unverified.iss ?? null).slice(0, 200)} is not configured` };
    try {
      const { payload } = await jwtVerify(token, await this.keysOf(entry), {
        issuer: entry.issuer.issuer,
        audience: this.options.audience,
        algorithms: OIDC_ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      });
      return principalFromClaims(payload, entry.issuer, this.options.rolesClaim);
    } catch (error) {
      return { reason: refusalReason(error) };
    }
  }

  /** The issuer's key set, from its discovery document; a failed discovery is retried by the next token. */
  private keysOf(entry: { issuer: OidcIssuer; keys?: Promise<JWTVerifyGetKey> }): Promise<JWTVerifyGetKey> {
    entry.keys ??= discoverKeys(entry.issuer.issuer).catch((error: unknown) => {
      entry.keys = undefined;
      throw error;
    });
    return entry.keys;
  }
}

async function discoverKeys(issuer: string): Promise<JWTVerifyGetKey> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  const metadata = (await response.json()) as { issuer?: string; jwks_uri?: string };
  if (metadata.issuer !== issuer) throw new Error(`discovery names issuer ${metadata.issuer}, not ${issuer}`);
  if (!metadata.jwks_uri) throw new Error('discovery names no jwks_uri');
  return createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 });
}

/** The issuers an app's config names (OIDC_ISSUER_CN/_HK/_MO). */
export function configuredIssuers(config: Partial<Record<`OIDC_ISSUER_${AuthorityCode}`, string>>): OidcIssuer[] {
  return AUTHORITIES.flatMap((authority) => {
    const issuer = config[`OIDC_ISSUER_${authority}`];
    return issuer ? [{ authority, issuer }] : [];
  });
}

/** The verifier an app's config asks for, or undefined when it names no issuer (development with static tokens only). */
export function oidcVerifierFor(
  config: Partial<Record<`OIDC_ISSUER_${AuthorityCode}`, string>> & {
    OIDC_AUDIENCE: string;
    OIDC_ROLES_CLAIM: string;
    OIDC_CLOCK_TOLERANCE_SECONDS: number;
    OIDC_MAX_TOKEN_LENGTH: number;
  },
): OidcVerifier | undefined {
  const issuers = configuredIssuers(config);
  if (issuers.length === 0) return undefined;
  return new OidcVerifier({
    issuers,
    audience: config.OIDC_AUDIENCE,
    rolesClaim: config.OIDC_ROLES_CLAIM,
    clockToleranceSeconds: config.OIDC_CLOCK_TOLERANCE_SECONDS,
    maxTokenLength: config.OIDC_MAX_TOKEN_LENGTH,
  });
}
