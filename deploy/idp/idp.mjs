// The local identity provider of `npm start` and the tests (issue 21): one OpenID Connect issuer per authority,
// served by oidc-provider (OpenID Certified) in one small process, at Keycloak's paths (/realms/<realm>). Each issuer's
// people, roles and clients come from the same realm files Keycloak imports (deploy/idp/realms/*-realm.json): demo
// officers, an auditor and an admin with passwords; the officers' page as a public client (authorization code + PKCE);
// each authority's recordation system and risk engine as confidential clients (client credentials).
// Access tokens are JWTs for the audience `recordation-exchange`, carrying `roles` (the realm roles of the user or of
// the client's service account). Development only: the signing keys are made at start and live in memory.
//
//   node deploy/idp/idp.mjs   IDP_PORT (3080; 0 picks one), IDP_HOST (127.0.0.1), IDP_PUBLIC_URL, IDP_REALMS_DIR, IDP_SIGNING_KEYS_FILE
import express from 'express';
import { generateKeyPairSync, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.IDP_PORT ?? 3080);
const host = process.env.IDP_HOST ?? '127.0.0.1';
let publicUrl = process.env.IDP_PUBLIC_URL?.replace(/\/$/, '');
const realmsDir = process.env.IDP_REALMS_DIR ?? join(here, 'realms');
const accessTokenTtl = Number(process.env.IDP_ACCESS_TOKEN_TTL ?? 300);
// Signing keys to use instead of fresh ones: {"<realm>": <private JWK with kid>} (tests sign hostile tokens with them).
const configuredKeys = process.env.IDP_SIGNING_KEYS_FILE ? JSON.parse(readFileSync(process.env.IDP_SIGNING_KEYS_FILE, 'utf8')) : {};
const AUDIENCE = 'recordation-exchange';
const RESOURCE = 'urn:recordation-exchange';
const OUR_ROLES = new Set(['officer', 'auditor', 'admin', 'publisher']);

const log = (level, msg, extra = {}) => process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'idp', msg, ...extra })}\n`);
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();

function loadRealm(file) {
  const realm = JSON.parse(readFileSync(join(realmsDir, file), 'utf8'));
  const users = new Map();
  const serviceAccounts = new Map();
  for (const user of realm.users ?? []) {
    const roles = (user.realmRoles ?? []).filter((role) => OUR_ROLES.has(role));
    if (user.serviceAccountClientId) serviceAccounts.set(user.serviceAccountClientId, roles);
    else {
      const password = (user.credentials ?? []).find((credential) => credential.type === 'password')?.value;
      users.set(user.username, { ...user, id: user.id ?? user.username, roles, password: password && sha256(password) });
    }
  }
  const clients = (realm.clients ?? [])
    .filter((client) => client.enabled !== false)
    .map((client) => {
      const grants = [
        ...(client.standardFlowEnabled ? ['authorization_code', 'refresh_token'] : []),
        ...(client.serviceAccountsEnabled ? ['client_credentials'] : []),
      ];
      const loopback = (list) => list.filter((uri) => uri.startsWith('http://127.0.0.1'));
      const redirects = loopback(client.redirectUris ?? []);
      const afterLogout = loopback((client.attributes?.['post.logout.redirect.uris'] ?? '').split('##').filter(Boolean));
      return {
        client_id: client.clientId,
        client_name: client.name,
        ...(client.publicClient ? { token_endpoint_auth_method: 'none' } : { client_secret: client.secret, token_endpoint_auth_method: 'client_secret_basic' }),
        grant_types: grants,
        response_types: client.standardFlowEnabled ? ['code'] : [],
        // A page on the loopback address: RFC 8252 lets its port vary (tests start the registry on a free port).
        ...(client.standardFlowEnabled
          ? { application_type: 'native', redirect_uris: redirects, post_logout_redirect_uris: afterLogout }
          : { redirect_uris: [] }),
      };
    });
  return {
    name: realm.realm,
    displayName: realm.displayName ?? realm.realm,
    users,
    serviceAccounts,
    clients,
    ttl: realm.accessTokenLifespan ?? accessTokenTtl,
  };
}

function providerFor(realm) {
  const issuer = `${publicUrl}/realms/${realm.name}`;
  const jwk = configuredKeys[realm.name] ?? {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: `${realm.name}-${randomBytes(6).toString('hex')}`,
    use: 'sig',
    alg: 'RS256',
  };
  const byId = new Map([...realm.users.values()].map((user) => [user.id, user]));
  const provider = new Provider(issuer, {
    clients: realm.clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'roles'] },
    scopes: ['openid', 'profile', 'offline_access', 'api'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
          return { scope: 'api', audience: AUDIENCE, accessTokenTTL: realm.ttl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    ttl: {
      AccessToken: realm.ttl,
      ClientCredentials: realm.ttl,
      Session: 1800,
      Interaction: 600,
      Grant: 1800,
      IdToken: realm.ttl,
      RefreshToken: 1800,
      AuthorizationCode: 60,
    },
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // The page is served from the loopback address on any port (as its redirect URI).
    clientBasedCORS: (_ctx, origin, client) => client.clientAuthMethod === 'none' && /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(origin),
    findAccount: (_ctx, id) => {
      const user = byId.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, preferred_username: user.username, name: [user.firstName, user.lastName].filter(Boolean).join(' '), roles: user.roles }),
      };
    },
    extraTokenClaims: (_ctx, token) => {
      if (token.kind === 'ClientCredentials') return { client_id: token.clientId, roles: realm.serviceAccounts.get(token.clientId) ?? [] };
      const user = byId.get(token.accountId);
      return user ? { client_id: token.clientId, preferred_username: user.username, roles: user.roles } : undefined;
    },
    // First-party clients: no consent screen; the grant covers the page's scopes and the API.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile offline_access');
      grant.addOIDCClaims(['preferred_username', 'name', 'roles']);
      grant.addResourceScope(RESOURCE, 'api');
      await grant.save();
      ctx.oidc.session.ensureClientContainer(ctx.oidc.client.clientId);
      ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId, grant.jti);
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/realms/${realm.name}/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<p>${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
    },
  });
  provider.proxy = Boolean(process.env.IDP_PUBLIC_URL);
  provider.on('server_error', (_ctx, err) => log('error', 'server error', { realm: realm.name, err: err.message }));
  return { provider, issuer };
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0}input{width:100%;padding:.4rem;font-size:1rem}button{padding:.5rem 1rem;font-size:1rem}.error{color:#a00}</style>
</head><body>${body}</body></html>`;
}

function loginForm(realm, uid, username = '', error = '') {
  return page(
    `Sign in — ${realm.displayName}`,
    `<h1>${escape(realm.displayName)}</h1>
<form method="post" action="/realms/${escape(realm.name)}/interaction/${escape(uid)}/login" autocomplete="off">
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<label>Username <input name="username" id="username" value="${escape(username)}" required autofocus></label>
<label>Password <input name="password" id="password" type="password" required></label>
<button type="submit" id="kc-login">Sign in</button>
</form>`,
  );
}

function passwordMatches(user, password) {
  return Boolean(user?.password) && timingSafeEqual(user.password, sha256(password));
}

const app = express();
app.disable('x-powered-by');
const issuers = [];
const server = app.listen(port, host, () => {
  publicUrl ??= `http://${host}:${server.address().port}`;
  const realms = readdirSync(realmsDir)
    .filter((file) => file.endsWith('-realm.json'))
    .sort()
    .map(loadRealm);
  for (const realm of realms) {
    const { provider, issuer } = providerFor(realm);
    issuers.push(issuer);
    const base = `/realms/${realm.name}`;
    const form = express.urlencoded({ extended: false, limit: '4kb' });
    app.get(`${base}/interaction/:uid`, async (req, res, next) => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === 'login') return res.type('html').send(loginForm(realm, details.uid));
        // Consent is implied for these first-party clients (loadExistingGrant made the grant).
        return await provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
      } catch (error) {
        return next(error);
      }
    });
    app.post(`${base}/interaction/:uid/login`, form, async (req, res, next) => {
      try {
        const details = await provider.interactionDetails(req, res);
        const username = String(req.body?.username ?? '');
        const user = realm.users.get(username);
        if (!user || user.enabled === false || !passwordMatches(user, String(req.body?.password ?? ''))) {
          log('warn', 'sign-in refused', { realm: realm.name, username: username.slice(0, 100) });
          return res
            .status(401)
            .type('html')
            .send(loginForm(realm, details.uid, username, 'Invalid username or password.'));
        }
        log('info', 'signed in', { realm: realm.name, username });
        return await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
      } catch (error) {
        return next(error);
      }
    });
    app.use(base, provider.callback());
  }
  app.get('/health', (_req, res) => res.json({ status: 'up', issuers }));
  log('info', 'identity provider listening', { url: `http://${host}:${server.address().port}`, issuers });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
