// The organizer page (/organize): create a dialogue, invite the panel, moderators and the screen, change phase.
import {
  announce, applyStrings, errorText, h, loadStrings, newId, safeGet, safeSet, setupLanguageButton, t,
} from './common.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'dialoghub.organizer.token';
const SELECTED_KEY = 'dialoghub.organizer.selected';
const NEXT_PHASES = { draft: ['open', 'live'], open: ['live', 'closed'], live: ['closed'], closed: [] };

let token = safeGet(TOKEN_KEY);
let dialogues = [];
let selected = null; // staff snapshot of the chosen dialogue
let selectedId = safeGet(SELECTED_KEY);

const invitesKey = (id) => `dialoghub.invites.${id}`;

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Every change carries an idempotency key, so a retried click cannot create twice.
  if (method !== 'GET') headers['idempotency-key'] = newId();
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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

async function main() {
  await loadStrings();
  setupLanguageButton(() => {
    applyStrings(document);
    render();
  });
  $('org-token').value = token || '';
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    token = $('org-token').value.trim();
    safeSet(TOKEN_KEY, token || null);
    load();
  });
  $('org-token-forget').addEventListener('click', () => {
    token = null;
    safeSet(TOKEN_KEY, null);
    $('org-token').value = '';
    $('org-main').hidden = true;
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
  if (token) load();
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
  // The token works: fold its form away, the dialogue is what matters now.
  $('token-details').open = false;
  if (!dialogues.some((d) => d.id === selectedId)) selectedId = dialogues.length ? dialogues[dialogues.length - 1].id : null;
  await choose(selectedId);
}

async function choose(id) {
  selectedId = id;
  safeSet(SELECTED_KEY, id);
  selected = null;
  if (id) {
    try {
      selected = await api('GET', `/api/dialogues/${id}`);
    } catch (err) {
      fail(err);
    }
  }
  render();
}

async function create() {
  const title = $('c-title').value.trim();
  if (!title) {
    $('org-error').textContent = t('err_title_empty');
    $('c-title').focus();
    return;
  }
  const starts = $('c-starts').value;
  const body = {
    title,
    description: $('c-description').value.trim(),
    starts_at: starts ? new Date(starts).toISOString() : null,
    venue: $('c-venue').value.trim(),
    livestream_url: $('c-stream').value.trim(),
  };
  try {
    const created = await api('POST', '/api/dialogues', body);
    $('create-form').reset();
    announce(t('org_created', { code: created.code }));
    selectedId = created.id;
    dialogues = await api('GET', '/api/dialogues');
    await choose(created.id);
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
    await choose(selectedId);
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
  try {
    await api('POST', `/api/dialogues/${selectedId}/phase`, { phase, expected: selected.dialogue.phase });
    announce(t('org_phase_now', { phase: t(`phase_${phase}`) }));
    dialogues = await api('GET', '/api/dialogues');
    await choose(selectedId);
  } catch (err) {
    fail(err);
  }
}

async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // Outside a secure context the clipboard API is missing; selecting still works.
    input.select();
    document.execCommand('copy');
  }
  announce(t('copied'));
}

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
  $('panel-list').replaceChildren(...d.panel.map((p) => h('li', {}, [p.name, p.title, p.organisation, t(`kind_${p.kind}`)].filter(Boolean).join(', '))));
  for (const box of document.querySelectorAll('input[name=tip-kind]')) box.checked = (selected.tip_recipients || []).includes(box.value);
  renderInvites();
}

function renderInvites() {
  $('invites').replaceChildren(...invites().map((i) => {
    const label = i.who === 'screen' ? t('invite_screen') : t(`invite_${i.who}`, { name: i.name });
    return h('li', { 'data-invite': i.who }, h('strong', {}, label), linkRow(i.url, label));
  }));
}

main();
