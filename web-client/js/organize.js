// The organizer page (/organize): create a dialogue, then take it through its
// five steps (organize_steps.js): its information, the panel and invitations,
// opening it, the meeting, and what is left after it (organize_todo.js).
import {
  announce, applyStrings, copyText, errorText, formatDay, formatTime, h, loadStrings, safeGet, safeSet, setupLanguageButton, t,
} from './common.js';
import { reissueButton } from './organize_invites.js';
import { staffDesk } from './organize_staff.js';
import { stepper } from './organize_steps.js';
import { renderFollowUps, renderTodo } from './organize_todo.js';
import { UNDO_MS, confirmAction, undoable } from './confirm.js';
import { boxError, clearErrors, fieldError, refusalError } from './field_errors.js';
import {
  INFO_FIELDS, addSeriesFields, fillInfo, fillSeries, infoFields, readInfo, readSeries, showSeriesRefusal,
} from './info_form.js';
import { addSignOut, goToSignIn, loadSession } from './session.js';
import { staffApi as api } from './staff_api.js';

const $ = (id) => document.getElementById(id);
const SELECTED_KEY = 'dialoghub.organizer.selected';
const NEXT_PHASES = { draft: ['open', 'live'], open: ['live', 'closed'], live: ['closed'], closed: [] };

let dialogues = [];
let selected = null; // staff snapshot of the chosen dialogue
let selectedId = safeGet(SELECTED_KEY);
let overview = [];
let editingPost = null; // the id of the information post being edited

// The first step is the dialogue's information: shown there, it is open.
const steps = stepper({ onShow: (step) => { if (step === 'create') $('info-details').open = true; } });
/** How often the chosen dialogue is read again, for what others changed (ms). */
const REFRESH_MS = 20000;

const invitesKey = (id) => `dialoghub.invites.${id}`;

/** What stops the whole page (the list of dialogues cannot be read); a form's errors stay at the form. */
function fail(err) {
  $('org-error').textContent = err && err.code === 'network' ? t('err_network') : errorText(err);
}

/** The wire names of the information's fields, as the server's refusals name them, to form `p`'s inputs. */
const infoFieldsOf = (p) => Object.fromEntries(Object.entries(INFO_FIELDS).map(([wire, name]) => [wire, `${p}-${name}`]));

// ---------------------------------------------------------------- the dialogue's information (create and edit)

async function saveInfo() {
  const form = $('info-form');
  clearErrors(form);
  const body = readInfo('e');
  if (!body) return;
  try {
    await api('PUT', `/api/dialogues/${selectedId}/info`, body);
    announce(t('org_info_saved'));
    await refresh();
  } catch (err) {
    refusalError(form, err, infoFieldsOf('e'));
  }
}

async function main() {
  await loadStrings();
  $('create-fields').replaceChildren(...infoFields('c'));
  $('edit-fields').replaceChildren(...infoFields('e'));
  addSeriesFields('op', $('op-link').closest('.field'));
  $('info-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    saveInfo();
  });
  $('org-post-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    publishPost();
  });
  $('org-post-cancel').addEventListener('click', () => editPost(null));
  setupLanguageButton(() => {
    applyStrings(document);
    render();
    renderOverview();
  });
  $('create-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    create();
  });
  $('dialogue-select').addEventListener('change', () => choose($('dialogue-select').value));
  $('panelist-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    addPanelist();
  });
  $('tips-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    saveTipRecipients();
  });
  $('moderator-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    addModerator();
  });
  $('screen-button').addEventListener('click', screenLink);
  let session;
  try {
    session = await loadSession();
  } catch (err) {
    fail(err);
    return;
  }
  if (!session) return goToSignIn();
  addSignOut();
  await load();
  staffDesk({ session, api });
  // What others did meanwhile (answers written, outcomes recorded) shows without
  // a reload: now and then, and on coming back to the page (from the moderation, say).
  const again = () => {
    if (document.visibilityState === 'visible' && selectedId) choose(selectedId, { quiet: true });
  };
  setInterval(again, REFRESH_MS);
  window.addEventListener('pageshow', (ev) => ev.persisted && again());
  document.addEventListener('visibilitychange', again);
}

async function load() {
  $('org-error').textContent = '';
  try {
    // An outage is waited out inside `api`: what throws here is a refusal.
    dialogues = await api('GET', '/api/dialogues');
  } catch (err) {
    $('org-main').hidden = true;
    fail(err);
    return;
  }
  $('org-main').hidden = false;
  if (!dialogues.some((d) => d.id === selectedId)) selectedId = dialogues.length ? dialogues[dialogues.length - 1].id : null;
  await Promise.all([choose(selectedId), loadOverview()]);
}

/** What needs attention in every dialogue: late invitations, missing panel kinds, overdue follow-ups and walk actions. */
async function loadOverview() {
  try {
    overview = await api('GET', '/api/overview');
  } catch {
    overview = [];
  }
  renderOverview();
}

/** After any change: the chosen dialogue, the list and the overview again. */
async function refresh() {
  dialogues = await api('GET', '/api/dialogues').catch(() => dialogues);
  await Promise.all([choose(selectedId), loadOverview()]);
}

function warningText(w) {
  switch (w.kind) {
    case 'late_invitation':
      if (!w.published) return t('warn_late_unpublished', { required: w.required_days });
      // Published on the day or after the start: no "-1 dagar".
      return (w.days_before ?? 0) > 0
        ? t('warn_late_published', { n: w.days_before, days: w.days_before, required: w.required_days })
        : t('warn_late_published_late', { required: w.required_days });
    case 'missing_panel_kind':
      return t('warn_missing_kind', { kind: t(`kind_${w.panel_kind}`) });
    case 'invitation_not_opened':
      return t('warn_not_opened', { name: w.name });
    default:
      return w.kind;
  }
}

function renderOverview() {
  $('overview-empty').hidden = overview.length > 0;
  $('overview').replaceChildren(...overview.map((o) => {
    const items = [
      ...o.warnings.map((w) => h('li', { 'data-warning': w.kind }, warningText(w))),
      ...o.overdue_follow_ups.map((f) => h('li', { class: 'overdue', 'data-overdue': f.question_id }, t('warn_overdue', { q: f.question_id, owner: f.owner, due: formatDay(f.due) }))),
      ...(o.overdue_actions || []).map((a) => h('li', { class: 'overdue', 'data-overdue-action': a.action_id }, t('warn_overdue_action', { title: a.title, who: a.responsible, due: formatDay(a.due) }))),
    ];
    return h('li', { 'data-overview': o.id },
      h('h3', {}, o.title),
      h('p', { class: 'hint' }, [o.code, t(`phase_${o.phase}`), formatTime(o.starts_at)].filter(Boolean).join(' · ')),
      items.length ? h('ul', { class: 'warnings' }, items) : h('p', { class: 'overview-ok' }, t('overview_ok')),
      o.id === selectedId ? null : h('button', { type: 'button', class: 'secondary small', 'aria-label': t('overview_choose_label', { title: o.title }), onclick: () => chooseAndFocus(o.id) }, t('overview_choose')));
  }));
}

async function chooseAndFocus(id) {
  await choose(id);
  renderOverview();
  $('sel-title').focus();
}

// ---------------------------------------------------------------- information posts, follow-ups, calendars

async function publishPost() {
  const form = $('org-post-form');
  clearErrors(form);
  const text = $('op-text').value.trim();
  const source = $('op-source').value.trim();
  const link = $('op-link').value.trim();
  if (!text) return fieldError($('op-text'), t('err_post_empty'));
  if (!source) return fieldError($('op-source'), t('err_source_empty'));
  const data = readSeries('op');
  if (data === null) return;
  const body = { text, source };
  if (link) body.link = link;
  if (data) body.data = data;
  if (editingPost !== null) body.post_id = editingPost;
  try {
    await api('POST', `/api/dialogues/${selectedId}/posts`, body);
    announce(t(editingPost !== null ? 'done_post_edited' : 'done_posted'));
    editPost(null);
    await choose(selectedId);
  } catch (err) {
    if (!showSeriesRefusal('op', err)) refusalError(form, err, { text: 'op-text', source: 'op-source', link: 'op-link' });
  }
}

function editPost(post) {
  editingPost = post ? post.id : null;
  $('op-text').value = post ? post.text : '';
  $('op-source').value = post ? post.source : '';
  $('op-link').value = post ? post.link || '' : '';
  fillSeries('op', post ? post.data : null);
  $('org-post-cancel').hidden = !post;
  $('org-post-submit').textContent = t(post ? 'post_save_edit' : 'post_button');
  if (post) $('op-text').focus();
}

async function recordOutcome(q, area) {
  const form = area.form;
  clearErrors(form);
  const outcome = area.value.trim();
  if (!outcome) return fieldError(area, t('err_outcome_empty'));
  try {
    await api('POST', `/api/dialogues/${selectedId}/questions/${q.id}/outcome`, { outcome });
    announce(t('done_outcome'));
    await refresh();
  } catch (err) {
    refusalError(form, err, { outcome: area.id });
  }
}

/** The invitee's calendar file: fetched as the organizer, then saved as a download. */
async function downloadCalendar(person, name) {
  try {
    // The session's cookie goes by itself on a GET.
    const res = await fetch(`/api/dialogues/${selectedId}/invitees/${person}/calendar.ics`, { credentials: 'same-origin' });
    if (!res.ok) throw await res.json().catch(() => ({}));
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: `${selected.dialogue.code}-${name.replace(/[^\p{L}\p{N}]+/gu, '-')}.ics`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce(t('done_calendar', { name }));
  } catch (err) {
    boxError($('panel-list'), err && err.code === 'not_found' && !selected.dialogue.starts_at ? t('err_calendar_no_time') : errorText(err));
  }
}


/**
 * Shows dialogue `id` as the server has it now. During an outage the dialogue
 * stays on screen as last seen while `api` waits for the server. `quiet`: a
 * refresh of its own accord, which leaves focus where it is.
 */
async function choose(id, { quiet = false } = {}) {
  const same = id && id === selectedId;
  selectedId = id;
  safeSet(SELECTED_KEY, id);
  if (!same) selected = null;
  if (id) {
    try {
      const fresh = await api('GET', `/api/dialogues/${id}`);
      if (selectedId !== id) return;
      // Read again with nothing new: the page is left as it is (a half-typed outcome too).
      if (quiet && selected && fresh.seq === selected.seq && fresh.epoch === selected.epoch) return;
      selected = fresh;
      $('org-error').textContent = '';
    } catch (err) {
      fail(err);
    }
  }
  render({ quiet });
}

async function create() {
  const form = $('create-form');
  clearErrors(form);
  const body = readInfo('c');
  if (!body) return;
  try {
    const created = await api('POST', '/api/dialogues', body);
    form.reset();
    announce(t('org_created', { code: created.code }));
    selectedId = created.id;
    await refresh();
    $('sel-title').focus();
  } catch (err) {
    refusalError(form, err, infoFieldsOf('c'));
  }
}

function saveInvite(invite) {
  const list = invites();
  list.push(invite);
  try {
    sessionStorage.setItem(invitesKey(selectedId), JSON.stringify(list));
  } catch {
    /* kept on screen only */
  }
  renderInvites();
}

function invites() {
  try {
    return JSON.parse(sessionStorage.getItem(invitesKey(selectedId)) || '[]');
  } catch {
    return [];
  }
}

async function addPanelist() {
  const form = $('panelist-form');
  clearErrors(form);
  const name = $('p-name').value.trim();
  if (!name) return fieldError($('p-name'), t('err_name_empty'));
  try {
    const kind = $('p-kind').value;
    const inv = await api('POST', `/api/dialogues/${selectedId}/panelists`, {
      name, title: $('p-title').value.trim(), organisation: $('p-org').value.trim(), kind,
    });
    form.reset();
    saveInvite({ who: 'panelist', name, url: inv.invite_url });
    announce(t('org_invite_made', { name }));
    await refresh();
  } catch (err) {
    refusalError(form, err, { name: 'p-name', title: 'p-title', organisation: 'p-org' });
  }
}

async function saveTipRecipients() {
  const kinds = [...document.querySelectorAll('input[name=tip-kind]:checked')].map((i) => i.value);
  try {
    clearErrors($('tips-form'));
    await api('PUT', `/api/dialogues/${selectedId}/tip-recipients`, { kinds });
    announce(t('tip_recipients_saved'));
    await choose(selectedId);
  } catch (err) {
    refusalError($('tips-form'), err);
  }
}

async function addModerator() {
  const form = $('moderator-form');
  clearErrors(form);
  const name = $('m-name').value.trim();
  if (!name) return fieldError($('m-name'), t('err_name_empty'));
  try {
    const inv = await api('POST', `/api/dialogues/${selectedId}/moderators`, { name });
    form.reset();
    saveInvite({ who: 'moderator', name, url: inv.invite_url });
    announce(t('org_invite_made', { name }));
    await choose(selectedId);
  } catch (err) {
    refusalError(form, err, { name: 'm-name' });
  }
}

async function screenLink() {
  const form = $('moderator-form');
  clearErrors(form);
  try {
    const inv = await api('POST', `/api/dialogues/${selectedId}/screen`);
    if (!invites().some((i) => i.who === 'screen')) saveInvite({ who: 'screen', name: '', url: inv.invite_url });
    announce(t('org_screen_made'));
  } catch (err) {
    refusalError(form, err);
  }
}

async function setPhase(phase) {
  const from = selected.dialogue.phase;
  if (phase === 'closed' && !(await closeConfirmed())) return;
  if (from === 'draft' && !selected.dialogue.purpose) {
    purposeMissing();
    return;
  }
  try {
    $('phase-error').textContent = '';
    await api('POST', `/api/dialogues/${selectedId}/phase`, { phase, expected: from });
    announce(t('org_phase_now', { phase: t(`phase_${phase}`) }));
    await refresh();
  } catch (err) {
    if (err && err.code === 'conflict' && from === 'draft') purposeMissing();
    else $('phase-error').textContent = errorText(err);
  }
}

/** Closing asks first, says what becomes of a question being answered, and can be undone for a few seconds. */
async function closeConfirmed() {
  const now = selected.now_answering != null && (selected.questions || []).find((q) => q.id === selected.now_answering);
  const sure = await confirmAction({
    title: t('close_confirm_title'),
    body: now ? t('close_now_body', { text: now.text }) : t('close_confirm_body'),
    choices: [['close', t(now ? 'close_anyway' : 'close_confirm_yes'), 'danger']],
  });
  return sure && (await undoable(t('close_pending'), UNDO_MS, () => true));
}

/** Publishing needs the purpose: say so at the field, in the first step. */
function purposeMissing() {
  steps.show('create');
  $('info-details').open = true;
  clearErrors($('info-form'));
  fieldError($('e-purpose'), t('err_purpose_needed'));
}

const copy = (input) => copyText(input.value, input);

function linkRow(url, label) {
  const input = h('input', { type: 'text', readonly: true, value: url, 'aria-label': label, class: 'invite-url' });
  input.value = url;
  return h('div', { class: 'link-row' }, input,
    h('button', { type: 'button', class: 'secondary small', 'aria-label': `${t('copy')}: ${label}`, onclick: () => copy(input) }, t('copy')));
}

function render({ quiet = false } = {}) {
  const select = $('dialogue-select');
  select.replaceChildren(...dialogues.map((d) => h('option', { value: d.id }, `${d.title} (${d.code}, ${t(`phase_${d.phase}`)})`)));
  if (selectedId) select.value = selectedId;
  $('list-empty').hidden = dialogues.length > 0;
  select.closest('.field').hidden = dialogues.length === 0;
  $('selected').hidden = !selected;
  if (!selected) return;
  const d = selected.dialogue;
  $('sel-title').textContent = d.title;
  $('sel-title').tabIndex = -1;
  $('sel-phase').textContent = t(`phase_${d.phase}`);
  $('sel-code').textContent = d.code;
  $('phase-buttons').replaceChildren(...NEXT_PHASES[d.phase].map((p) =>
    h('button', { type: 'button', class: p === 'closed' ? 'danger' : '', 'data-phase': p, onclick: () => setPhase(p) }, t(`phase_action_${p}`))));
  $('join-link').replaceChildren(linkRow(`${location.origin}/j/${d.code}`, t('join_link_heading')));
  const pub = `/d/${encodeURIComponent(d.code)}`;
  $('public-links').replaceChildren(
    h('li', {}, h('a', { href: pub, 'data-link': 'public' }, t('org_public_page')), ` (${location.origin}${pub})`),
    h('li', {}, h('a', { href: `${pub}/calendar.ics` }, t('rec_calendar'))),
    h('li', {}, h('a', { href: `${pub}/record.csv` }, t('rec_csv'))),
    h('li', {}, h('a', { href: `${pub}/record.json` }, t('rec_json'))));
  $('public-links-note').hidden = d.phase !== 'draft';
  const calendarButton = (person, name) => h('button', {
    type: 'button', class: 'secondary small', 'data-calendar': person,
    'aria-label': t('calendar_for', { name }), onclick: () => downloadCalendar(person, name),
  }, t('calendar_button'));
  const again = (person, name, who) => reissueButton({ person, name, who, api, dialogue: () => selectedId, onLink: (i) => { saveInvite(i); announce(t('org_invite_made', { name })); }, onError: (e) => boxError($('panel-list'), errorText(e)) });
  $('panel-list').replaceChildren(...d.panel.map((p) => h('li', {},
    [p.name, p.title, p.organisation, t(`kind_${p.kind}`)].filter(Boolean).join(', '), ' ', calendarButton(p.id, p.name), ' ', again(p.id, p.name, 'panelist'))));
  $('moderator-list').replaceChildren(...(d.moderators || []).map((m) => h('li', {}, m.name, ' ', calendarButton(m.id, m.name), ' ', again(m.id, m.name, 'moderator'))));
  $('moderator-list-empty').hidden = (d.moderators || []).length > 0;
  if (!$('info-form').contains(document.activeElement)) fillInfo('e', d);
  $('info-details').open = $('info-details').open || !d.purpose;
  $('moderate-link').href = `/moderate?dialogue=${encodeURIComponent(d.id)}`;
  renderPosts();
  renderFollowUps(selected, { onOutcome: recordOutcome });
  renderTodo(selected, { rerender: () => render({ quiet: true }) });
  steps.follow(d, { quiet });
  for (const box of document.querySelectorAll('input[name=tip-kind]')) box.checked = (selected.tip_recipients || []).includes(box.value);
  renderInvites();
}

function renderPosts() {
  const posts = [...(selected.posts || [])].sort((a, b) => a.id - b.id);
  $('org-posts-empty').hidden = posts.length > 0;
  $('org-posts').replaceChildren(...posts.map((p) => h('li', { class: 'post', 'data-post': p.id },
    h('p', { class: 'post-text' }, p.text),
    h('p', { class: 'post-source' }, `${t('rec_source')} ${p.source}`, p.link ? ` · ${p.link}` : null, p.edited_at ? ` · ${t('rec_edited')}` : null),
    h('button', { type: 'button', class: 'secondary small', 'aria-label': t('post_edit_label', { n: p.id }), onclick: () => editPost(p) }, t('post_edit')))));
}

function renderInvites() {
  $('invites').replaceChildren(...invites().map((i) => {
    const label = i.who === 'screen' ? t('invite_screen') : t(`invite_${i.who}`, { name: i.name });
    return h('li', { 'data-invite': i.who }, h('strong', {}, label), linkRow(i.url, label));
  }));
}

main();
