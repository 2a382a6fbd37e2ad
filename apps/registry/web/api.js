// Thin client for the registry's lookup API. Every endpoint requires a bearer credential; the officer types it
// once and it lives in sessionStorage, so it disappears with the tab instead of lingering on a shared PC.

const CREDENTIAL_KEY = 'rx.officerCredential';

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

async function getJson(path, credential, signal) {
  if (!credential) throw new ApiError('auth', 0, 'missing credential');
  let response;
  try {
    // Relative URL: works wherever the registry mounts this page, as long as /api is its sibling.
    response = await fetch(path, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${credential}` },
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
  return getJson(
    `api/recordations/${encodeURIComponent(authority)}/${encodeURIComponent(number)}`,
    credential,
    signal,
  );
}
