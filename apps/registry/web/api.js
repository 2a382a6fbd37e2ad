// Thin client for the registry's lookup API. Every endpoint requires a bearer credential; the officer types it
// once and it lives in sessionStorage, so it disappears with the tab instead of lingering on a shared PC.

const CREDENTIAL_KEY = 'rx.officerCredential';

/**
 * The credential of an officer signed in through the authority's provider: the registry holds the tokens and the
 * browser only an HttpOnly session cookie, so requests carry no Authorization header, only a header a cross-site form
 * could not add.
 */
export const SESSION = Object.freeze({ session: true });
const SESSION_HEADERS = { 'X-Requested-With': 'recordation-exchange' };

function authHeaders(credential) {
  return credential === SESSION ? SESSION_HEADERS : { Authorization: `Bearer ${credential}` };
}

async function authJson(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...SESSION_HEADERS, ...(init.headers ?? {}) }, cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status === 401 ? 'auth' : 'server', response.status, '');
  return response.json();
}

/** Who is signed in: `{ signedIn, authorities, name, role, authority }`; 404 when the registry has no providers. */
export async function getSession() {
  try {
    return await authJson('auth/session');
  } catch {
    return { signedIn: false, authorities: [] };
  }
}

/** Ends the session at the registry; answers the provider's end-session URL (or undefined). */
export async function signOut() {
  return (await authJson('auth/logout', { method: 'POST' })).endSessionUrl;
}

export function getCredential() {
  try {
    return sessionStorage.getItem(CREDENTIAL_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setCredential(value) {
  try {
    if (value) sessionStorage.setItem(CREDENTIAL_KEY, value);
    else sessionStorage.removeItem(CREDENTIAL_KEY);
  } catch {
    // Without storage the credential is only in the input field; requests still read it from there.
  }
}

/** An API failure the UI can explain: `kind` is auth | bad-request | not-found | network | server. */
export class ApiError extends Error {
  constructor(kind, status, message, errors = []) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.errors = errors;
  }
}

async function getJson(path, credential, signal, init = {}) {
  if (!credential) throw new ApiError('auth', 0, 'missing credential');
  let response;
  try {
    // Relative URL: works wherever the registry mounts this page, as long as /api is its sibling.
    response = await fetch(path, {
      ...init,
      headers: { Accept: 'application/json', ...authHeaders(credential), ...(init.headers ?? {}) },
      signal,
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError('network', 0, String(error?.message ?? error));
  }
  const body = await response.json().catch(() => null);
  if (response.ok) return body ?? {};
  const status = response.status;
  // NestJS puts a string or a list of strings in `message`; the registry adds structured `errors`.
  const rawMessage = body?.message;
  const message = Array.isArray(rawMessage) ? rawMessage.join('; ') : typeof rawMessage === 'string' ? rawMessage : '';
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  if (status === 401 || status === 403) throw new ApiError('auth', status, message);
  if (status === 400 || status === 422) throw new ApiError('bad-request', status, message, errors);
  if (status === 404) throw new ApiError('not-found', status, message);
  throw new ApiError('server', status, message);
}

export function searchMarks({ q, niceClass, cursor, limit = 20 }, credential, signal) {
  const params = new URLSearchParams({ q, limit: String(limit) });
  if (niceClass) params.set('niceClass', niceClass);
  if (cursor) params.set('cursor', cursor);
  return getJson(`api/marks/search?${params}`, credential, signal);
}

export function getMark(markId, credential, signal) {
  return getJson(`api/marks/${encodeURIComponent(markId)}`, credential, signal);
}

export function getRecordation(authority, number, credential, signal) {
  return getJson(`api/recordations/${encodeURIComponent(authority)}/${encodeURIComponent(number)}`, credential, signal);
}

/** Marks whose picture looks like `file` (a File or Blob: PNG, JPEG or WebP), sent as the raw body. */
export function searchByImage({ file, niceClass, limit = 50 }, credential, signal) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (niceClass) params.set('niceClass', niceClass);
  return getJson(`api/marks/search-by-image?${params}`, credential, signal, {
    method: 'POST',
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
    body: file,
  });
}

const thumbnails = new Map();

/**
 * A picture's thumbnail as a data: URL (the page's CSP allows data: images, and the request needs the bearer
 * credential, so a plain <img src> cannot fetch it). Fetched once per picture and tab.
 */
export function thumbnailUrl(sha256, credential) {
  if (!thumbnails.has(sha256)) {
    thumbnails.set(
      sha256,
      fetch(`api/pictures/${encodeURIComponent(sha256)}/thumbnail`, { headers: authHeaders(credential) })
        .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(String(response.status)))))
        .then(
          (blob) =>
            new Promise((resolve, reject) => {
              const reader = new FileReader();
              reader.onload = () => resolve(reader.result);
              reader.onerror = () => reject(reader.error);
              reader.readAsDataURL(blob);
            }),
        )
        .catch((error) => {
          thumbnails.delete(sha256);
          throw error;
        }),
    );
  }
  return thumbnails.get(sha256);
}
