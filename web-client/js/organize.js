// The organizer page (/organize): create a dialogue, invite the panel, moderators and the screen, change phase.
import {
  announce, applyStrings, copyText, errorText, formatDay, formatTime, h, loadStrings, newId, safeGet, safeSet, setupLanguageButton, t,
} from './common.js';
import { reissueButton } from './organize_invites.js';
import { staffDesk } from './organize_staff.js';
import { UNDO_MS, confirmAction, undoable } from './confirm.js';
import { fillInfo, infoFields, readInfo } from './info_form.js';
import { addSignOut, goToSignIn, loadSession, sessionFetch } from './session.js';

const $ = (id) => document.getElementById(id);
const SELECTED_KEY = 'dialoghub.organizer.selected';
const NEXT_PHASES = { draft: ['open', 'live'], open: ['live', 'closed'], live: ['closed'], closed: [] };

let dialogues = [];
let selected = null; // staff snapshot of the chosen dialogue
let selectedId = safeGet(SELECTED_KEY);
let overview = [];
let editingPost = null; // the id of the information post being edited

const invitesKey = (id) => `dialoghub.invites.${id}`;

async function api(method, path, body) {
  // The session's cookie goes by itself, its CSRF token with every change.
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Every change carries an idempotency key, so a retried click cannot create twice.
  if (method !== 'GET') headers['idempotency-key'] = newId();
  let res;
  try {
    res = await sessionFetch(method, path, body, headers);
  } catch {
    throw { code: 'network' };
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw data;
  return data;
}

function fail(err) {
  $('org-error').textContent = err && err.code === 'network' ? t('err_network') : errorText(err);
}

// ---------------------------------------------------------------- the dialogue's information (create and edit)

async function saveInfo() {
  const body = readInfo('e');
  if (!body) return;
  try {
    await api('PUT', `/api/dialogues/${selectedId}/info`, body);
    announce(t('org_info_saved'));
    $('org-error').textContent = '';
    await refresh();
  } catch (err) {
    fail(err);
  }
}

async function main() {
  await loadStrings();
  $('create-fields').replaceChildren(...infoFields('c'));
  $('edit-fields').replaceChildren(...infoFields('e'));
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
}

async function load() {
  $('org-error').textContent = '';
  try {
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
  const text = $('op-text').value.trim();
  const source = $('op-source').value.trim();
  const link = $('op-link').value.trim();
  if (!text || !source) {
    $('org-error').textContent = t(text ? 'err_source_empty' : 'err_post_empty');
    $(text ? 'op-source' : 'op-text').focus();
    return;
  }
  const body = { text, source };
  if (link) body.link = link;
  if (editingPost !== null) body.post_id = editingPost;
  try {
    await api('POST', `/api/dialogues/${selectedId}/posts`, body);
    announce(t(editingPost !== null ? 'done_post_edited' : 'done_posted'));
    $('org-error').textContent = '';
    editPost(null);
    await choose(selectedId);
  } catch (err) {
    fail(err);
  }
}

function editPost(post) {
  editingPost = post ? post.id : null;
  $('op-text').value = post ? post.text : '';
  $('op-source').value = post ? post.source : '';
  $('op-link').value = post ? post.link || '' : '';
  $('org-post-cancel').hidden = !post;
  $('org-post-submit').textContent = t(post ? 'post_save_edit' : 'post_button');
  if (post) $('op-text').focus();
}

async function recordOutcome(q, area) {
  const outcome = area.value.trim();
  if (!outcome) {
    $('org-error').textContent = t('err_outcome_empty');
    area.focus();
    return;
  }
  try {
    await api('POST', `/api/dialogues/${selectedId}/questions/${q.id}/outcome`, { outcome });
    announce(t('done_outcome'));
    $('org-error').textContent = '';
    await refresh();
  } catch (err) {
    fail(err);
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
    $('org-error').textContent = err && err.code === 'not_found' && !selected.dialogue.starts_at ? t('err_calendar_no_time') : errorText(err);
  }
}


async function choose(id) {
  const same = id && id === selectedId;
  selectedId = id;
  safeSet(SELECTED_KEY, id);
  if (!same) selected = null;
  if (id) {
    try {
      selected = await api('GET', `/api/dialogues/${id}`);
    } catch (err) {
      // An outage keeps the dialogue on screen as last seen, and tries again by itself.
      fail(err);
      if (!err || !err.code || err.code === 'unavailable' || err.code === 'network') setTimeout(() => selectedId === id && choose(id).then(renderOverview), 3000);
    }
  }
  render();
}

async function create() {
  const body = readInfo('c');
  if (!body) return;
  try {
    const created = await api('POST', '/api/dialogues', body);
    $('create-form').reset();
    $('org-error').textContent = '';
    announce(t('org_created', { code: created.code }));
    selectedId = created.id;
    await refresh();
    $('sel-title').focus();
  } catch (err) {
    fail(err);
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
  const name = $('p-name').value.trim();
  if (!name) {
    $('org-error').textContent = t('err_name_empty');
    $('p-name').focus();
    return;
  }
  try {
    const kind = $('p-kind').value;
    const inv = await api('POST', `/api/dialogues/${selectedId}/panelists`, {
      name, title: $('p-title').value.trim(), organisation: $('p-org').value.trim(), kind,
    });
    $('panelist-form').reset();
    saveInvite({ who: 'panelist', name, url: inv.invite_url });
    announce(t('org_invite_made', { name }));
    await refresh();
  } catch (err) {
    fail(err);
  }
}

async function saveTipRecipients() {
  const kinds = [...document.querySelectorAll('input[name=tip-kind]:checked')].map((i) => i.value);
  try {
    await api('PUT', `/api/dialogues/${selectedId}/tip-recipients`, { kinds });
    announce(t('tip_recipients_saved'));
    await choose(selectedId);
  } catch (err) {
    fail(err);
  }
}

async function addModerator() {
  const name = $('m-name').value.trim();
  if (!name) {
    $('org-error').textContent = t('err_name_empty');
    $('m-name').focus();
    return;
  }
  try {
    const inv = await api('POST', `/api/dialogues/${selectedId}/moderators`, { name });
    $('moderator-form').reset();
    saveInvite({ who: 'moderator', name, url: inv.invite_url });
    announce(t('org_invite_made', { name }));
    await choose(selectedId);
  } catch (err) {
    fail(err);
  }
}

async function screenLink() {
  try {
    const inv = await api('POST', `/api/dialogues/${selectedId}/screen`);
    if (!invites().some((i) => i.who === 'screen')) saveInvite({ who: 'screen', name: '', url: inv.invite_url });
    announce(t('org_screen_made'));
  } catch (err) {
    fail(err);
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
    await api('POST', `/api/dialogues/${selectedId}/phase`, { phase, expected: from });
    $('org-error').textContent = '';
    announce(t('org_phase_now', { phase: t(`phase_${phase}`) }));
    await refresh();
  } catch (err) {
    if (err && err.code === 'conflict' && from === 'draft') purposeMissing();
    else fail(err);
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

/** Publishing needs the purpose: say so and take the organizer to the field. */
function purposeMissing() {
  $('org-error').textContent = t('err_purpose_needed');
  $('info-details').open = true;
  $('e-purpose').focus();
}

const copy = (input) => copyText(input.value, input);

function linkRow(url, label) {
  const input = h('input', { type: 'text', readonly: true, value: url, 'aria-label': label, class: 'invite-url' });
  input.value = url;
  return h('div', { class: 'link-row' }, input,
    h('button', { type: 'button', class: 'secondary small', 'aria-label': `${t('copy')}: ${label}`, onclick: () => copy(input) }, t('copy')));
}

function render() {
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
  const again = (person, name, who) => reissueButton({ person, name, who, api, dialogue: () => selectedId, onLink: (i) => { saveInvite(i); announce(t('org_invite_made', { name })); }, onError: (e) => { $('org-error').textContent = errorText(e); } });
  $('panel-list').replaceChildren(...d.panel.map((p) => h('li', {},
    [p.name, p.title, p.organisation, t(`kind_${p.kind}`)].filter(Boolean).join(', '), ' ', calendarButton(p.id, p.name), ' ', again(p.id, p.name, 'panelist'))));
  $('moderator-list').replaceChildren(...(d.moderators || []).map((m) => h('li', {}, m.name, ' ', calendarButton(m.id, m.name), ' ', again(m.id, m.name, 'moderator'))));
  $('moderator-list-empty').hidden = (d.moderators || []).length > 0;
  if (!$('info-form').contains(document.activeElement)) fillInfo('e', d);
  $('info-details').open = $('info-details').open || !d.purpose;
  renderPosts();
  renderFollowUps();
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

function renderFollowUps() {
  const today = new Date().toISOString().slice(0, 10);
  const promised = selected.questions.filter((q) => q.follow_up).sort((a, b) => a.follow_up.due.localeCompare(b.follow_up.due));
  $('followups-empty').hidden = promised.length > 0;
  $('followups').replaceChildren(...promised.map((q) => {
    const f = q.follow_up;
    const overdue = !f.outcome && f.due < today;
    const id = `outcome-${q.id}`;
    const area = h('textarea', { id, maxlength: '2000' });
    return h('li', { class: 'question', 'data-follow-up': q.id }, h('div', { class: 'body' },
      h('span', { class: `badge ${overdue ? 'rejected' : 'approved'}` }, `#${q.id}`),
      overdue ? h('span', { class: 'badge rejected' }, t('overdue')) : null,
      h('p', { class: 'text' }, q.text),
      h('p', { class: 'by' }, t('follow_up_line', { owner: f.owner, due: formatDay(f.due) })),
      f.outcome
        ? h('p', {}, `${t('rec_outcome')} ${f.outcome}`)
        : h('form', { class: 'inline-editor', novalidate: true, onsubmit: (ev) => { ev.preventDefault(); recordOutcome(q, area); } },
          h('label', { for: id }, t('outcome_label', { n: q.id })), area,
          h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('outcome_button'))))));
  }));
}

function renderInvites() {
  $('invites').replaceChildren(...invites().map((i) => {
    const label = i.who === 'screen' ? t('invite_screen') : t(`invite_${i.who}`, { name: i.name });
    return h('li', { 'data-invite': i.who }, h('strong', {}, label), linkRow(i.url, label));
  }));
}

main();
