// Officers' lookup page: search form, results list, language and credential handling. The query lives in the
// URL (?q=…&niceClass=…) so a result list can be shared and the back button steps through searches.

import { ApiError, SESSION, getCredential, getSession, searchByImage, searchMarks, setCredential, signOut, thumbnailUrl } from './api.js';
import { initDetail, openDetail } from './detail.js';
import { getLanguage, setLanguage, t, translateDocument } from './i18n.js';
import { badge, conflictWarning, errorContent, formatScore, h, recordedFlag } from './render.js';

const PAGE_SIZE = 20;
const NICE_CLASSES = 45;

const $ = (id) => document.getElementById(id);
const els = {
  searchForm: $('search-form'),
  q: $('q'),
  niceClass: $('niceClass'),
  message: $('message'),
  section: $('results-section'),
  count: $('result-count'),
  empty: $('empty'),
  results: $('results'),
  loadMore: $('load-more'),
  credentialForm: $('credential-form'),
  credential: $('credential'),
  credentialClear: $('credential-clear'),
  credentialHint: $('credential-hint'),
  langToggle: $('lang-toggle'),
  signInForm: $('sign-in-form'),
  signInAuthority: $('sign-in-authority'),
  signedIn: $('signed-in'),
  signedInName: $('signed-in-name'),
  signOut: $('sign-out'),
  imageForm: $('image-form'),
  imageFile: $('image-file'),
  imageDrop: $('image-drop'),
};

const state = {
  session: { signedIn: false, authorities: [] },
  items: [],
  nextCursor: null,
  query: null, // { q, niceClass } of the displayed results
  controller: null,
  phase: 'idle', // idle | loading | loading-more | results | empty | error
  error: null, // kept so the message can be re-rendered when the language changes
};

// ---- language ---------------------------------------------------------------------------------------------

function applyLanguage() {
  translateDocument();
  for (const button of els.langToggle.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === getLanguage()));
  }
  for (const option of els.niceClass.options) {
    if (option.value) option.textContent = t('classOption', { n: option.value });
  }
  renderResults();
  renderMessage();
}

// ---- credential -------------------------------------------------------------------------------------------

/** A pasted development credential, else the signed-in session. */
function currentCredential() {
  return els.credential.value.trim() || getCredential() || (state.session.signedIn ? SESSION : '');
}

// ---- sign-in (the authority's identity provider; the registry keeps the tokens) ------------------------------

function renderSession() {
  const session = state.session;
  els.signInForm.hidden = session.signedIn || session.authorities.length === 0;
  els.signedIn.hidden = !session.signedIn;
  if (session.signedIn) els.signedInName.textContent = `${session.name} (${session.authority} ${session.role})`;
  if (els.signInAuthority.options.length !== session.authorities.length) {
    els.signInAuthority.replaceChildren(...session.authorities.map((authority) => h('option', { value: authority }, authority)));
  }
}

/** Asks the registry who is signed in; it refreshes the tokens silently when they are about to expire. */
async function refreshSession() {
  state.session = await getSession();
  renderSession();
}

function onAuthError() {
  els.credential.setAttribute('aria-invalid', 'true');
}

// ---- URL --------------------------------------------------------------------------------------------------

function readUrl() {
  const params = new URLSearchParams(location.search);
  const niceClass = params.get('niceClass') ?? '';
  const n = Number(niceClass);
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    niceClass: Number.isInteger(n) && n >= 1 && n <= NICE_CLASSES ? String(n) : '',
  };
}

function urlFor({ q, niceClass }) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (niceClass) params.set('niceClass', niceClass);
  const search = params.toString();
  return `${location.pathname}${search ? `?${search}` : ''}`;
}

function fillForm({ q, niceClass }) {
  els.q.value = q;
  els.niceClass.value = niceClass;
}

function formQuery() {
  return { q: els.q.value.trim(), niceClass: els.niceClass.value };
}

// ---- searching --------------------------------------------------------------------------------------------

async function runSearch(query, { more = false } = {}) {
  if (query.file) return runImageSearch(query);
  if (!query.q) {
    showError(null, t('emptyQuery'));
    els.q.focus();
    return;
  }
  const credential = currentCredential();
  if (!credential) {
    showError(new ApiError('auth', 0, ''));
    els.credential.focus();
    return;
  }
  // A newer search supersedes one still in flight (slow links make this common).
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  setPhase(more ? 'loading-more' : 'loading');
  if (!more) clearMessage();

  try {
    const body = await searchMarks({ ...query, cursor: more ? state.nextCursor : null, limit: PAGE_SIZE }, credential, controller.signal);
    if (controller !== state.controller) return;
    const items = Array.isArray(body?.items) ? body.items.filter((item) => item && typeof item === 'object') : [];
    const firstNew = more ? state.items.length : 0;
    state.items = more ? state.items.concat(items) : items;
    state.nextCursor = typeof body?.nextCursor === 'string' && body.nextCursor ? body.nextCursor : null;
    state.query = query;
    els.credential.removeAttribute('aria-invalid');
    clearMessage();
    setPhase(state.items.length ? 'results' : 'empty');
    // After "Load more", continue from the first new result rather than leaving focus on the button.
    if (more) els.results.children[firstNew]?.querySelector('.result-open')?.focus();
  } catch (error) {
    if (error?.name === 'AbortError' || controller !== state.controller) return;
    if (error?.kind === 'auth') onAuthError();
    if (!more) {
      state.items = [];
      state.nextCursor = null;
    }
    showError(error);
    setPhase(state.items.length ? 'results' : 'error');
  } finally {
    if (controller === state.controller) state.controller = null;
  }
}

/** A search by picture: one page of the closest marks (the picture is not in the URL). */
async function runImageSearch(query) {
  const credential = currentCredential();
  if (!credential) {
    showError(new ApiError('auth', 0, ''));
    els.credential.focus();
    return;
  }
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  setPhase('loading');
  clearMessage();
  try {
    const body = await searchByImage({ file: query.file, niceClass: query.niceClass }, credential, controller.signal);
    if (controller !== state.controller) return;
    state.items = Array.isArray(body?.items) ? body.items.filter((item) => item && typeof item === 'object') : [];
    state.nextCursor = null;
    state.query = query;
    clearMessage();
    setPhase(state.items.length ? 'results' : 'empty');
  } catch (error) {
    if (error?.name === 'AbortError' || controller !== state.controller) return;
    if (error?.kind === 'auth') onAuthError();
    state.items = [];
    state.nextCursor = null;
    showError(error);
    setPhase('error');
  } finally {
    if (controller === state.controller) state.controller = null;
  }
}

function searchPicture(file) {
  if (!file || !/^image\//.test(file.type || 'image/')) return;
  runSearch({ file, niceClass: els.niceClass.value || '' });
}

/** Fills each result's thumbnails once they arrive (they need the credential, so they are fetched, not linked). */
function loadThumbnails() {
  const credential = currentCredential();
  for (const img of els.results.querySelectorAll('img.thumb[data-picture]')) {
    thumbnailUrl(img.dataset.picture, credential).then(
      (url) => {
        img.src = url;
      },
      () => img.remove(),
    );
  }
}

function setPhase(phase) {
  state.phase = phase;
  renderResults();
}

// ---- rendering --------------------------------------------------------------------------------------------

function renderResults() {
  const { phase, items } = state;
  els.section.dataset.state = phase;
  els.section.setAttribute('aria-busy', String(phase === 'loading' || phase === 'loading-more'));

  if (phase === 'loading') {
    els.results.replaceChildren();
  } else {
    els.results.replaceChildren(...items.map(resultItem));
    loadThumbnails();
  }

  els.empty.hidden = phase !== 'empty';
  // The count is the live region: it announces searching, how many marks, or that nothing matched.
  const n = items.length;
  let count = '';
  if (phase === 'loading') count = t('loading');
  else if (phase === 'loading-more') count = t('loadingMore');
  else if (phase === 'empty') count = t('empty');
  else if (n) count = t(state.nextCursor ? 'countMore' : n === 1 ? 'countOne' : 'count', { n });
  els.count.textContent = count;
  // The visible empty-state box already says it; keep the announcement for screen readers only.
  els.count.classList.toggle('visually-hidden', phase === 'empty');

  els.loadMore.hidden = !state.nextCursor || phase === 'loading';
  els.loadMore.disabled = phase === 'loading-more';
  els.loadMore.textContent = t(phase === 'loading-more' ? 'loadingMore' : 'loadMore');
}

function resultItem(item, index) {
  const recordations = Array.isArray(item.recordations) ? item.recordations : [];
  const holders = [...new Set(recordations.map((r) => r?.rightsHolder?.name).filter(Boolean))];
  const classes = [...new Set(recordations.flatMap((r) => (Array.isArray(r?.niceClasses) ? r.niceClasses : [])))].sort((a, b) => a - b);
  const matched = item.matchedBy ? t(`matched.${item.matchedBy}`) : '—';
  const pictures = [...new Set(recordations.map((r) => r?.picture).filter((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p)))].slice(0, 3);

  return h(
    'li',
    {
      class: item.conflict ? 'result has-conflict' : 'result',
      'data-index': index,
      'data-mark-id': item.markId ?? null,
      'data-recorded': String(Boolean(item.recorded)),
      'data-conflict': String(Boolean(item.conflict)),
    },
    h(
      'div',
      { class: 'result-head' },
      h(
        'h3',
        { class: 'result-title' },
        h('button', { type: 'button', class: 'result-open', 'aria-haspopup': 'dialog' }, String(item.text ?? item.markId ?? '—')),
      ),
      recordedFlag(item.recorded),
    ),
    pictures.length
      ? h(
          'p',
          { class: 'thumbs' },
          pictures.map((sha) => h('img', { class: 'thumb', 'data-picture': sha, alt: t('picture'), width: '80', height: '60' })),
        )
      : null,
    item.conflict ? conflictWarning() : null,
    recordations.length
      ? h(
          'ul',
          { class: 'badges', 'aria-label': t('field.status') },
          recordations.map((r) =>
            h(
              'li',
              {},
              badge(r?.authority, r?.status),
              r?.verified === false ? h('span', { class: 'prov-verified no', 'data-verified': 'false' }, ` ✗ ${t('notVerified')}`) : null,
            ),
          ),
        )
      : null,
    h(
      'p',
      { class: 'result-meta' },
      h('span', { class: 'matched-by', 'data-matched-by': item.matchedBy ?? null }, `${t('matchedBy')}: ${matched}`),
      h('span', { class: 'score' }, `${t('score')}: ${formatScore(item.score)}`),
      classes.length ? h('span', { class: 'classes' }, `${t('classes')}: ${classes.join(', ')}`) : null,
    ),
    holders.length ? h('p', { class: 'holders' }, `${t('holders')}: ${holders.join(' / ')}`) : null,
  );
}

function showError(error, text) {
  state.error = { error, text };
  renderMessage();
}

function clearMessage() {
  state.error = null;
  renderMessage();
}

function renderMessage() {
  const { error, text } = state.error ?? {};
  els.message.hidden = !state.error;
  els.message.replaceChildren();
  if (!state.error) return;
  els.message.dataset.kind = error?.kind ?? 'info';
  els.message.append(text ? h('p', {}, text) : errorContent(error));
}

// ---- events -----------------------------------------------------------------------------------------------

function bindEvents() {
  els.searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = formQuery();
    if (query.q) {
      const url = urlFor(query);
      if (url !== `${location.pathname}${location.search}`) history.pushState(query, '', url);
    }
    runSearch(query);
  });

  // Search by picture: choose a file, drop one on the box, or paste one anywhere on the page.
  els.imageForm.addEventListener('submit', (event) => event.preventDefault());
  els.imageFile.addEventListener('change', () => searchPicture(els.imageFile.files?.[0]));
  els.imageDrop.addEventListener('dragover', (event) => {
    event.preventDefault();
    els.imageDrop.classList.add('dragging');
  });
  els.imageDrop.addEventListener('dragleave', () => els.imageDrop.classList.remove('dragging'));
  els.imageDrop.addEventListener('drop', (event) => {
    event.preventDefault();
    els.imageDrop.classList.remove('dragging');
    searchPicture(event.dataTransfer?.files?.[0]);
  });
  document.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file) {
      event.preventDefault();
      searchPicture(file);
    }
  });

  els.loadMore.addEventListener('click', () => {
    if (state.query && state.nextCursor) runSearch(state.query, { more: true });
  });

  // The whole card is a click target for mouse users; keyboard users get the title button.
  els.results.addEventListener('click', (event) => {
    const li = event.target.closest('li.result');
    if (!li) return;
    // Selecting text (e.g. to copy a recordation number) should not open the dialog.
    if (!event.target.closest('.result-open') && String(window.getSelection()).length) return;
    const item = state.items[Number(li.dataset.index)];
    if (item) openDetail(item, li.querySelector('.result-open'));
  });

  window.addEventListener('popstate', () => {
    const query = readUrl();
    fillForm(query);
    if (query.q) {
      runSearch(query);
    } else {
      state.controller?.abort();
      state.controller = null;
      state.items = [];
      state.nextCursor = null;
      state.query = null;
      clearMessage();
      setPhase('idle');
    }
  });

  els.langToggle.addEventListener('click', (event) => {
    const button = event.target.closest('[data-lang]');
    if (!button) return;
    setLanguage(button.dataset.lang);
    applyLanguage();
  });

  els.credential.addEventListener('input', () => {
    setCredential(els.credential.value.trim());
    els.credential.removeAttribute('aria-invalid');
  });

  // Enter in the credential field: keep it and retry the pending search (typically after a 401).
  els.credentialForm.addEventListener('submit', (event) => {
    event.preventDefault();
    setCredential(els.credential.value.trim());
    els.credentialHint.textContent = t(els.credential.value.trim() ? 'credentialSaved' : 'credentialHint');
    const query = formQuery();
    if (query.q) runSearch(query);
  });

  // A navigation, not the form's submission: the page's CSP (form-action 'self') would stop the redirect to the provider.
  els.signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    location.assign(`auth/login?authority=${encodeURIComponent(els.signInAuthority.value)}`);
  });

  els.signOut.addEventListener('click', async () => {
    const endSessionUrl = await signOut().catch(() => undefined);
    state.session = { ...state.session, signedIn: false };
    renderSession();
    // Also end the provider's session, so the next sign-in asks for the password again.
    if (endSessionUrl) location.assign(endSessionUrl);
  });

  els.credentialClear.addEventListener('click', () => {
    els.credential.value = '';
    setCredential('');
    els.credentialHint.textContent = t('credentialCleared');
    els.credential.focus();
  });

  // "/" jumps to the search box from anywhere, as on many lookup tools.
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest?.('input, select, textarea, [contenteditable], dialog')) return;
    event.preventDefault();
    els.q.focus();
    els.q.select();
  });
}

// ---- start ------------------------------------------------------------------------------------------------

async function start() {
  await refreshSession();
  // Silent refresh: the registry renews the access token with the refresh token when it is near its expiry.
  setInterval(refreshSession, 60_000);
  for (let n = 1; n <= NICE_CLASSES; n++) els.niceClass.append(h('option', { value: n }, t('classOption', { n })));
  els.credential.value = getCredential();
  initDetail({ credential: currentCredential, onAuthError });
  bindEvents();
  applyLanguage();

  const query = readUrl();
  fillForm(query);
  history.replaceState(query, '', location.href);
  if (query.q) runSearch(query);
  else els.q.focus();
}

start();
