import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import express, { type Request, type Response, type Router } from 'express';
import * as client from 'openid-client';
import { isAuthorityCode, type AuthorityCode } from '#contracts';
import type { OidcVerifier, Principal, TokenOutcome } from '#platform';

export const SESSION_COOKIE = 'rx_session';
/** Nest token of `{ signIn?: OfficerSignIn }`: always provided, empty without OIDC issuers. */
export const OFFICER_SIGN_IN = Symbol('OFFICER_SIGN_IN');
const LOGIN_COOKIE = 'rx_login';
/** Cookie-authenticated calls that change something must carry this header (a cross-site form cannot set it). */
export const PAGE_HEADER = 'x-requested-with';
const MAX_SESSIONS = 10_000;
const MAX_PENDING = 10_000;
const PENDING_MS = 10 * 60_000;
const IDLE_MS = 30 * 60_000;
/** An access token this close to its expiry is refreshed before it is used. */
const REFRESH_AHEAD_MS = 30_000;

interface Pending {
  authority: AuthorityCode;
  codeVerifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
  created: number;
}

interface Session {
  authority: AuthorityCode;
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  expiresAt: number;
  lastUsed: number;
  principal: Principal;
  refreshing?: Promise<boolean>;
}

function cookies(request: Request): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) found.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return found;
}

/** Drops the oldest entries of a Map kept in insertion order beyond `max`. */
function bound<T>(map: Map<string, T>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) break;
    map.delete(key);
  }
}

/**
 * The officers' page signs in through its authority's provider (issue 21, item 3), with the registry as a small
 * back end for the page: authorization code + PKCE (S256) with state and nonce, the code exchanged here, the tokens kept
 * here in memory under a random session id that the browser holds only as an HttpOnly, SameSite=Strict cookie — no
 * token ever reaches the page, a URL or storage. Each use verifies the access token exactly as a bearer token is
 * verified (issuer-bound authority, audience, expiry) and refreshes it with the refresh token shortly before it
 * expires. Sessions live in this process (several registry instances need sticky sessions).
 */
export class OfficerSignIn {
  private readonly logger = new Logger('OfficerSignIn');
  private readonly configs = new Map<AuthorityCode, Promise<client.Configuration>>();
  private readonly pending = new Map<string, Pending>();
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly verifier: OidcVerifier,
    private readonly clientId: string,
  ) {}

  get authorities(): AuthorityCode[] {
    return this.verifier.issuers.map((issuer) => issuer.authority);
  }

  private configuration(authority: AuthorityCode): Promise<client.Configuration> {
    const issuer = this.verifier.issuers.find((candidate) => candidate.authority === authority)!;
    let found = this.configs.get(authority);
    if (!found) {
      const url = new URL(issuer.issuer);
      found = client.discovery(
        url,
        this.clientId,
        undefined,
        client.None(),
        url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      found.catch(() => this.configs.delete(authority));
      this.configs.set(authority, found);
    }
    return found;
  }

  /** The principal of a request's session cookie, or undefined when it has none (then the bearer rules apply). */
  async resolve(request: Request): Promise<TokenOutcome | undefined> {
    const id = cookies(request).get(SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return { reason: 'unknown or ended session' };
    if (!['GET', 'HEAD'].includes(request.method) && !request.headers[PAGE_HEADER]) {
      return { reason: `a session-cookie request that changes something must carry ${PAGE_HEADER}` };
    }
    if (Date.now() - session.lastUsed > IDLE_MS) {
      this.sessions.delete(id);
      return { reason: 'session idle too long' };
    }
    if (session.expiresAt - Date.now() < REFRESH_AHEAD_MS && !(await this.refresh(id, session))) {
      return { reason: 'session could not be refreshed' };
    }
    const outcome = await this.verifier.verify(session.accessToken);
    if ('principal' in outcome) session.lastUsed = Date.now();
    else this.sessions.delete(id);
    return outcome;
  }

  private refresh(id: string, session: Session): Promise<boolean> {
    session.refreshing ??= (async () => {
      if (!session.refreshToken) return false;
      try {
        const tokens = await client.refreshTokenGrant(await this.configuration(session.authority), session.refreshToken);
        session.accessToken = tokens.access_token;
        session.refreshToken = tokens.refresh_token ?? session.refreshToken;
        session.expiresAt = Date.now() + (tokens.expiresIn() ?? 60) * 1000;
        return true;
      } catch (error) {
        this.logger.warn({ authority: session.authority, err: error instanceof Error ? error.message : String(error) }, 'session refresh failed');
        this.sessions.delete(id);
        return false;
      } finally {
        session.refreshing = undefined;
      }
    })();
    return session.refreshing;
  }

  router(): Router {
    const router = express.Router();
    router.get('/auth/providers', (_request, response) => {
      response.json({ authorities: this.authorities });
    });
    router.get('/auth/login', (request, response) => void this.login(request, response));
    router.get('/auth/callback', (request, response) => void this.callback(request, response));
    router.get('/auth/session', (request, response) => void this.describe(request, response));
    router.post('/auth/logout', (request, response) => void this.logout(request, response));
    return router;
  }

  private fail(response: Response, status: number, message: string): void {
    response.status(status).json({ statusCode: status, error: status === 400 ? 'Bad Request' : 'Unauthorized', message });
  }

  private async login(request: Request, response: Response): Promise<void> {
    const authority = request.query.authority;
    if (!isAuthorityCode(authority) || !this.authorities.includes(authority)) {
      return this.fail(response, 400, `authority must be one of ${this.authorities.join(', ')}`);
    }
    try {
      const config = await this.configuration(authority);
      const pending: Pending = {
        authority,
        codeVerifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
        redirectUri: `${request.protocol}://${request.get('host')}/auth/callback`,
        created: Date.now(),
      };
      const id = randomBytes(24).toString('base64url');
      this.pending.set(id, pending);
      bound(this.pending, MAX_PENDING);
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: pending.redirectUri,
        scope: 'openid profile',
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      // Lax: the provider's redirect back is a top-level navigation from another site.
      response.cookie(LOGIN_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: request.secure, path: '/auth', maxAge: PENDING_MS });
      response.redirect(302, url.href);
    } catch (error) {
      this.logger.error({ authority, err: error instanceof Error ? error.message : String(error) }, 'sign-in could not start');
      this.fail(response, 503, `${authority}'s identity provider cannot be reached`);
    }
  }

  private async callback(request: Request, response: Response): Promise<void> {
    const id = cookies(request).get(LOGIN_COOKIE);
    const pending = id ? this.pending.get(id) : undefined;
    if (id) this.pending.delete(id);
    response.clearCookie(LOGIN_COOKIE, { path: '/auth' });
    if (!pending || Date.now() - pending.created > PENDING_MS) return this.fail(response, 400, 'no sign-in in progress (start again)');
    try {
      const config = await this.configuration(pending.authority);
      const current = new URL(`${pending.redirectUri}?${new URLSearchParams(request.query as Record<string, string>).toString()}`);
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const outcome = await this.verifier.verify(tokens.access_token);
      if (!('principal' in outcome)) throw new Error(`access token refused: ${outcome.reason}`);
      if (outcome.principal.role === 'publisher') throw new Error('a publisher account has nothing to look up');
      const sessionId = randomBytes(32).toString('base64url');
      this.sessions.set(sessionId, {
        authority: pending.authority,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        idToken: tokens.id_token,
        expiresAt: Date.now() + (tokens.expiresIn() ?? 60) * 1000,
        lastUsed: Date.now(),
        principal: outcome.principal,
      });
      bound(this.sessions, MAX_SESSIONS);
      this.logger.log({ authority: pending.authority, subject: outcome.principal.subject, name: outcome.principal.name }, 'officer signed in');
      response.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/' });
      response.redirect(302, '/');
    } catch (error) {
      this.logger.warn({ authority: pending.authority, err: error instanceof Error ? error.message : String(error) }, 'sign-in failed');
      this.fail(response, 401, 'sign-in failed');
    }
  }

  /** Who is signed in (and a silent refresh when the token is about to expire). */
  private async describe(request: Request, response: Response): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    const outcome = await this.resolve(request);
    if (!outcome || !('principal' in outcome)) {
      response.json({ signedIn: false, authorities: this.authorities });
      return;
    }
    const session = this.sessions.get(cookies(request).get(SESSION_COOKIE)!);
    const { name, role, authority, subject } = outcome.principal;
    response.json({ signedIn: true, authorities: this.authorities, name, role, authority, subject, expiresAt: new Date(session!.expiresAt).toISOString() });
  }

  /** Ends the session here; the answer names the provider's end-session URL for the page to visit. */
  private async logout(request: Request, response: Response): Promise<void> {
    if (!request.headers[PAGE_HEADER]) return this.fail(response, 400, `${PAGE_HEADER} is required`);
    const id = cookies(request).get(SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (id) this.sessions.delete(id);
    response.clearCookie(SESSION_COOKIE, { path: '/' });
    let endSessionUrl: string | undefined;
    if (session) {
      try {
        const config = await this.configuration(session.authority);
        if (session.refreshToken) await client.tokenRevocation(config, session.refreshToken).catch(() => undefined);
        endSessionUrl = client.buildEndSessionUrl(config, { client_id: this.clientId, ...(session.idToken ? { id_token_hint: session.idToken } : {}) }).href;
      } catch {
        // The local session is gone either way.
      }
    }
    response.json({ signedIn: false, endSessionUrl });
  }
}
