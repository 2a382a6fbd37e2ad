// DOM builders shared by the results list and the detail dialog. All API text goes through text nodes or
// setAttribute, never innerHTML, so a hostile mark name or holder cannot inject markup.

import { t, tOptional } from './i18n.js';

/** Builds an element. `attrs` are set with setAttribute (false/null skipped); strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

/** Appends children to `parent`, skipping null/false and turning strings into text nodes. */
export function append(parent, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, ...child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function statusLabel(status) {
  return tOptional(`status.${status}`) ?? String(status ?? '?');
}

export function authorityName(authority) {
  return tOptional(`authority.${authority}`) ?? String(authority ?? '?');
}

/** One recordation badge: authority code and status in text, colour only as a second cue. */
export function badge(authority, status) {
  const code = String(authority ?? '?');
  const state = String(status ?? 'unknown');
  return h(
    'span',
    { class: 'badge', 'data-authority': code, 'data-status': state, title: `${authorityName(code)} — ${statusLabel(state)}` },
    `${code} · ${statusLabel(state)}`,
  );
}

export function recordedFlag(recorded) {
  return h('span', { class: 'recorded-flag', 'data-recorded': String(Boolean(recorded)) }, t(recorded ? 'recorded' : 'notRecorded'));
}

export function conflictWarning() {
  return h('p', { class: 'conflict-warning', role: 'note' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), t('conflict'));
}

export function formatScore(score) {
  const n = Number(score);
  if (score === null || score === undefined || !Number.isFinite(n)) return '—';
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** "Hermès International (愛馬仕國際) · FR", tolerating a missing or partial holder. */
export function holderText(holder) {
  if (!holder || typeof holder !== 'object') return '—';
  const name = [holder.name, holder.nameAlt ? `(${holder.nameAlt})` : null].filter(Boolean).join(' ');
  return [name || '—', holder.country].filter(Boolean).join(' · ');
}

/** Renders any JSON value readably: scalars as text, lists as lists, objects as small definition lists. */
export function renderValue(value, depth = 0) {
  if (value === null || value === undefined || value === '') return h('span', { class: 'none' }, '—');
  if (typeof value !== 'object') return document.createTextNode(String(value));
  // Deeply nested data is unexpected; show it verbatim rather than recursing without bound.
  if (depth > 5) return h('code', {}, JSON.stringify(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return h('span', { class: 'none' }, '—');
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return document.createTextNode(value.map((item) => String(item ?? '—')).join(', '));
    }
    return h(
      'ul',
      { class: 'value-list' },
      value.map((item) => h('li', {}, renderValue(item, depth + 1))),
    );
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return h('span', { class: 'none' }, '—');
  return h(
    'dl',
    { class: 'value-obj' },
    entries.map(([key, item]) => [h('dt', {}, tOptional(`sub.${key}`) ?? key), h('dd', {}, renderValue(item, depth + 1))]),
  );
}

/** The provenance cell of one field: which signed event, from whom, where in Kafka, and whether it verified. */
export function provenanceCell(p) {
  if (!p || typeof p !== 'object') {
    return h('td', { class: 'provenance provenance-missing' }, h('span', { class: 'none' }, t('noProvenance')));
  }
  const verified = p.verified === true;
  const origin = [p.authority, p.type, p.sequence !== undefined ? `${t('seq')} ${p.sequence}` : null]
    .filter((part) => part !== null && part !== undefined && part !== '')
    .join(' · ');
  const position = [p.topic, p.partition !== undefined ? `[${p.partition}]` : null, p.offset !== undefined ? `@${p.offset}` : null].filter(
    (part) => part !== null && part !== undefined && part !== '',
  );
  return h(
    'td',
    {
      class: 'provenance',
      'data-verified': p.verified === undefined ? null : String(verified),
      'data-authority': p.authority ?? null,
    },
    origin ? h('div', { class: 'prov-origin' }, origin) : null,
    p.time ? h('div', {}, h('time', { datetime: p.time, title: p.receivedAt ? `${t('received')} ${p.receivedAt}` : null }, p.time)) : null,
    position.length ? h('div', {}, h('code', {}, position.join(' '))) : null,
    p.verified === undefined
      ? null
      : h('div', { class: verified ? 'prov-verified yes' : 'prov-verified no' }, verified ? `✓ ${t('verified')}` : `✗ ${t('notVerified')}`),
    p.keyId ? h('div', {}, `${t('key')}: `, h('code', {}, p.keyId)) : null,
    p.eventId ? h('div', { class: 'prov-event' }, `${t('event')}: `, h('code', {}, p.eventId)) : null,
  );
}

/** A human explanation of an API failure, with the field-level reasons of a 400 listed under it. */
export function errorContent(error) {
  const kind = error?.kind;
  if (kind === 'auth') return h('p', {}, t(error.status ? 'errAuth' : 'errNoCredential'));
  if (kind === 'network') return h('p', {}, t('errNetwork'));
  if (kind === 'not-found') return h('p', {}, t('errNotFound'));
  if (kind === 'bad-request') {
    const reasons = (error.errors ?? []).map((e) =>
      h('li', {}, e?.field ? h('code', {}, String(e.field)) : null, e?.field ? ': ' : null, String(e?.reason ?? '')),
    );
    return h(
      'div',
      {},
      h('p', {}, t('errBadRequest'), error.message ? ` ${error.message}` : ''),
      reasons.length ? h('ul', { class: 'error-list' }, reasons) : null,
    );
  }
  return h('p', {}, t('errServer', { n: error?.status ?? '?' }));
}
