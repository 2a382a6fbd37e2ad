// The detail dialog: one mark, each of its recordations, and on demand a recordation's fields with the
// provenance of each field, so an officer can see which authority said what, when, and whether it was signed.

import { getMark, getRecordation } from './api.js';
import { t, tOptional } from './i18n.js';
import { append, badge, conflictWarning, errorContent, h, holderText, provenanceCell, recordedFlag, renderValue } from './render.js';

// Canonical order of a recordation's fields; unknown fields follow in the order the API sent them.
const FIELD_ORDER = [
  'status',
  'statusReason',
  'mark',
  'niceClasses',
  'goods',
  'rightsHolder',
  'trademarkRegistration',
  'validFrom',
  'validUntil',
  'licensees',
  'genuineGoods',
  'knownInfringers',
  'representative',
  'restrictions',
  'ipType',
  'version',
];
// Already shown in the recordation's heading.
const HEADING_FIELDS = new Set(['authority', 'recordationNumber']);

let deps;
let dialog;
let titleEl;
let statusEl;
let bodyEl;
let controller = null;
let opener = null;
let sectionCount = 0;

/** `deps.credential()` returns the current bearer credential; `deps.onAuthError()` flags the credential field. */
export function initDetail(dependencies) {
  deps = dependencies;
  dialog = document.getElementById('detail');
  titleEl = document.getElementById('detail-title');
  statusEl = document.getElementById('detail-status');
  bodyEl = document.getElementById('detail-body');

  document.getElementById('detail-close').addEventListener('click', () => dialog.close());
  // Escape closes a modal <dialog> natively; clicking the backdrop should too.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    controller?.abort();
    controller = null;
    bodyEl.replaceChildren();
    if (opener?.isConnected) opener.focus();
    opener = null;
  });
}

/** Opens the dialog for a search result; the mark is re-read so the officer sees its latest state. */
export async function openDetail(item, openerElement) {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  opener = openerElement ?? null;

  titleEl.textContent = String(item?.text ?? item?.markId ?? '');
  statusEl.textContent = t('detailLoading');
  bodyEl.replaceChildren();
  if (!dialog.open) dialog.showModal();

  try {
    const mark = await getMark(item.markId, deps.credential(), signal);
    if (signal.aborted) return;
    statusEl.textContent = '';
    renderMark({ ...item, ...mark });
  } catch (error) {
    if (signal.aborted || error?.name === 'AbortError') return;
    if (error?.kind === 'auth') deps.onAuthError(error);
    statusEl.textContent = '';
    // Fall back to what the search returned, so the badges stay visible even if the re-read failed.
    renderMark(item);
    bodyEl.prepend(h('div', { class: 'message', role: 'alert' }, errorContent(error)));
  }
}

function renderMark(mark) {
  titleEl.textContent = String(mark.text ?? mark.markId ?? '');
  const recordations = Array.isArray(mark.recordations) ? mark.recordations : [];
  const sections = recordations.map(recordationSection);
  // Not replaceChildren(…, null): the DOM would render a literal "null" for the missing warning.
  bodyEl.replaceChildren();
  append(
    bodyEl,
    h('p', { class: 'detail-meta' }, recordedFlag(mark.recorded), mark.markId ? h('code', { class: 'mark-id' }, mark.markId) : null),
    mark.conflict ? conflictWarning() : null,
    sections.length ? h('div', { class: 'recordations' }, sections) : h('p', { class: 'none' }, t('noRecordations')),
  );
  // With a single recordation there is nothing to choose: show its fields straight away.
  if (sections.length === 1) sections[0].querySelector('.recordation-toggle').click();
}

function recordationSection(rec) {
  const bodyId = `recordation-body-${++sectionCount}`;
  const classes = Array.isArray(rec?.niceClasses) && rec.niceClasses.length ? rec.niceClasses.join(', ') : null;
  const toggle = h(
    'button',
    { type: 'button', class: 'recordation-toggle', 'aria-expanded': 'false', 'aria-controls': bodyId },
    h('span', { class: 'chevron', 'aria-hidden': 'true' }),
    badge(rec?.authority, rec?.status),
    h('span', { class: 'rec-number' }, String(rec?.recordationNumber ?? '—')),
    h('span', { class: 'visually-hidden' }, ` — ${t('showRecordation')}`),
  );
  const body = h('div', { id: bodyId, class: 'recordation-body', hidden: true });
  const section = h(
    'section',
    { class: 'recordation', 'data-authority': rec?.authority ?? null, 'data-number': rec?.recordationNumber ?? null },
    h('h3', { class: 'recordation-head' }, toggle),
    h(
      'p',
      { class: 'rec-summary' },
      holderText(rec?.rightsHolder),
      classes ? ` · ${t('classes')} ${classes}` : null,
      rec?.validUntil ? ` · ${t('validUntil')} ${rec.validUntil}` : null,
      // Data merged from events whose signatures were not checked (VERIFY_SIGNATURES=false) says so.
      rec?.verified === false ? h('span', { class: 'prov-verified no', 'data-verified': 'false' }, ` · ✗ ${t('notVerified')}`) : null,
    ),
    body,
  );

  let loaded = false;
  toggle.addEventListener('click', async () => {
    const expand = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(expand));
    body.hidden = !expand;
    if (!expand || loaded) return;
    loaded = true;
    body.replaceChildren(h('p', { class: 'loading', role: 'status' }, t('recordationLoading')));
    const signal = controller?.signal;
    try {
      const full = await getRecordation(rec.authority, rec.recordationNumber, deps.credential(), signal);
      if (signal?.aborted) return;
      body.replaceChildren(fieldsTable(full));
    } catch (error) {
      if (signal?.aborted || error?.name === 'AbortError') return;
      if (error?.kind === 'auth') deps.onAuthError(error);
      loaded = false; // collapsing and expanding again retries
      body.replaceChildren(h('div', { class: 'message', role: 'alert' }, errorContent(error)));
    }
  });
  return section;
}

/** Field | value | provenance, for every field in the data and every field that has provenance. */
function fieldsTable(full) {
  const data = full?.data && typeof full.data === 'object' ? full.data : {};
  const provenance = full?.provenance && typeof full.provenance === 'object' ? full.provenance : {};
  // The top-level status and version are the registry's current view; prefer them over copies inside data.
  const fields = { ...data };
  if (full?.status !== undefined) fields.status = full.status;
  if (full?.version !== undefined) fields.version = full.version;

  const keys = [];
  const add = (key) => {
    if (!keys.includes(key)) keys.push(key);
  };
  for (const key of FIELD_ORDER) if (key in fields || key in provenance) add(key);
  for (const key of Object.keys(fields)) if (!HEADING_FIELDS.has(key)) add(key);
  for (const key of Object.keys(provenance)) add(key);

  const caption = `${full?.authority ?? ''} ${full?.recordationNumber ?? ''}`.trim();
  return h(
    'table',
    { class: 'fields-table' },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, t('colField')), h('th', { scope: 'col' }, t('colValue')), h('th', { scope: 'col' }, t('colProvenance'))),
    ),
    h(
      'tbody',
      {},
      keys.map((key) => {
        const label = tOptional(`field.${key}`);
        return h(
          'tr',
          { 'data-field': key },
          h('th', { scope: 'row', class: 'field-name' }, label ?? key, label ? h('code', { class: 'field-key' }, key) : null),
          h('td', { class: 'field-value' }, key === 'status' && fields.status !== undefined ? badge(full?.authority, fields.status) : renderValue(fields[key])),
          provenanceCell(provenance[key]),
        );
      }),
    ),
  );
}
