// The organizer's form for a dialogue's information, once for creating (`c`) and
// once for editing (`e`): its fields, what they hold, and filling them in.
import { h, t, zoneInputMs, zoneInputValue } from './common.js';
import { fieldError } from './field_errors.js';

const $ = (id) => document.getElementById(id);
const KINDS = ['politician', 'police', 'staff', 'other'];

/** The information's fields as the server names them (and its refusals do), to the form's field names. */
export const INFO_FIELDS = {
  title: 'title',
  purpose: 'purpose',
  description: 'description',
  starts_at: 'starts',
  ends_at: 'ends',
  venue: 'venue',
  address: 'address',
  livestream_url: 'stream',
  unreached_plan: 'unreached',
};

/** The fields of a dialogue's information, once for creating (`c`) and once for editing (`e`). */
export function infoFields(p) {
  const field = (name, labelKey, control, { hint, required } = {}) => {
    const id = `${p}-${name}`;
    control.id = id;
    if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
    if (required) control.setAttribute('aria-required', 'true');
    return h('div', { class: 'field' },
      h('label', { for: id }, h('span', { 'data-i18n': labelKey }, t(labelKey)),
        required ? [' ', h('span', { class: 'hint', 'data-i18n': 'required' }, t('required'))] : null),
      control,
      hint ? h('span', { class: 'hint', id: `${id}-hint`, 'data-i18n': hint }, t(hint)) : null);
  };
  return [
    field('title', 'c_title', h('input', { type: 'text', maxlength: '200' }), { required: true }),
    field('purpose', 'c_purpose', h('textarea', { maxlength: '2000' }), { hint: 'c_purpose_hint', required: true }),
    field('description', 'c_description', h('textarea', { maxlength: '5000' })),
    h('div', { class: 'org-grid' },
      field('starts', 'c_starts', h('input', { type: 'datetime-local' })),
      field('ends', 'c_ends', h('input', { type: 'datetime-local' }))),
    h('div', { class: 'org-grid' },
      field('venue', 'c_venue', h('input', { type: 'text', maxlength: '300' })),
      field('address', 'c_address', h('input', { type: 'text', maxlength: '300', autocomplete: 'off' }))),
    field('stream', 'c_stream', h('input', { type: 'url', inputmode: 'url' })),
    h('fieldset', { 'aria-describedby': `${p}-kinds-hint` },
      h('legend', { 'data-i18n': 'c_kinds' }, t('c_kinds')),
      h('p', { class: 'hint', id: `${p}-kinds-hint`, 'data-i18n': 'c_kinds_hint' }, t('c_kinds_hint')),
      h('div', { class: 'checks' }, KINDS.map((k) => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name: `${p}-kinds`, value: k }),
        h('span', { 'data-i18n': `kind_${k}` }, t(`kind_${k}`)))))),
    field('unreached', 'c_unreached', h('textarea', { maxlength: '1000' }), { hint: 'c_unreached_hint' }),
  ];
}

/** The information in form `p`, as the server takes it; null (the missing field marked and focused) if something is missing. */
export function readInfo(p) {
  const v = (name) => $(`${p}-${name}`).value.trim();
  if (!v('title')) {
    fieldError($(`${p}-title`), t('err_title_empty'));
    return null;
  }
  if (!v('purpose')) {
    fieldError($(`${p}-purpose`), t('err_purpose_empty'));
    return null;
  }
  // Typed in the dialogue's time zone, whatever the organizer's device is set to.
  const time = (name) => (v(name) && zoneInputMs(v(name)) !== null ? new Date(zoneInputMs(v(name))).toISOString() : null);
  return {
    title: v('title'),
    purpose: v('purpose'),
    description: v('description'),
    starts_at: time('starts'),
    ends_at: time('ends'),
    venue: v('venue'),
    address: v('address'),
    livestream_url: v('stream'),
    expected_kinds: [...document.querySelectorAll(`input[name="${p}-kinds"]:checked`)].map((c) => c.value),
    unreached_plan: v('unreached'),
  };
}

export function fillInfo(p, d) {
  $(`${p}-title`).value = d.title || '';
  $(`${p}-purpose`).value = d.purpose || '';
  $(`${p}-description`).value = d.description || '';
  $(`${p}-starts`).value = zoneInputValue(d.starts_at);
  $(`${p}-ends`).value = zoneInputValue(d.ends_at);
  $(`${p}-venue`).value = d.venue || '';
  $(`${p}-address`).value = d.address || '';
  $(`${p}-stream`).value = d.livestream_url || '';
  for (const c of document.querySelectorAll(`input[name="${p}-kinds"]`)) c.checked = (d.expected_kinds || []).includes(c.value);
  $(`${p}-unreached`).value = d.unreached_plan || '';
}

// ---------------------------------------------------------------- an information post's data series

/**
 * The post form's data series fields, once per form (`p`: its prefix): the CSV,
 * pasted from a spreadsheet, and where the numbers come from. Placed after `after`.
 */
export function addSeriesFields(p, after) {
  const csvId = `${p}-csv`;
  const sourceId = `${p}-data-source`;
  after.after(
    h('div', { class: 'field' },
      h('label', { for: csvId }, h('span', { 'data-i18n': 'post_data_csv' }, t('post_data_csv')), ' ',
        h('span', { class: 'hint', 'data-i18n': 'optional' }, t('optional'))),
      h('textarea', { id: csvId, rows: '5', spellcheck: 'false', 'aria-describedby': `${csvId}-hint ${csvId}-error` }),
      h('span', { class: 'hint', id: `${csvId}-hint`, 'data-i18n': 'post_data_csv_hint' }, t('post_data_csv_hint')),
      h('p', { class: 'error-line', id: `${csvId}-error`, role: 'alert' })),
    h('div', { class: 'field' },
      h('label', { for: sourceId, 'data-i18n': 'post_data_source' }, t('post_data_source')),
      h('input', { type: 'text', id: sourceId, maxlength: '200' })));
}

function seriesError(p, text, field) {
  $(`${p}-csv-error`).textContent = text;
  $(`${p}-csv`).setAttribute('aria-invalid', String(Boolean(text) && field === 'csv'));
  if (text) $(`${p}-${field}`).focus();
}

/** The form's series as the server takes it (`{csv, source}`), `undefined` without one, `null` (shown) when its source is missing. */
export function readSeries(p) {
  seriesError(p, '', 'csv');
  const csv = $(`${p}-csv`).value.trim();
  const source = $(`${p}-data-source`).value.trim();
  if (!csv) return undefined;
  if (!source) {
    seriesError(p, t('err_data_source_empty'), 'data-source');
    return null;
  }
  return { csv, source };
}

/** Shows the server's refusal of a series beside the CSV (true), or leaves other errors to the page (false). */
export function showSeriesRefusal(p, err) {
  if (!err || err.code !== 'bad_csv') return false;
  seriesError(p, `${t('err_bad_csv')} ${err.message || ''}`.trim(), 'csv');
  return true;
}

const cell = (s) => (/[;"\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Fills the form with a post's series (to edit the post), as a Swedish spreadsheet writes it. */
export function fillSeries(p, data) {
  seriesError(p, '', 'csv');
  $(`${p}-csv`).value = data
    ? [[data.label, ...data.names].map(cell).join(';'),
      ...data.rows.map((r) => [cell(r.label), ...r.values.map((v) => String(v).replace('.', ','))].join(';'))].join('\n')
    : '';
  $(`${p}-data-source`).value = data ? data.source : '';
}
