// The walk page (/w/CODE): where each group is, an observation at the group's
// stop, a chosen stop or (opt-in) the phone's position, the approved
// observations and the actions, live. The server rounds a position to about
// 100 m before it keeps it; this page rounds to three decimals before sending.
import {
  Connection, announce, applyStrings, categoryName, errorText, h, loadStrings, newId, safeGet, safeSet,
  setupLanguageButton, showConnection, syncList, t,
} from './common.js';
import { joinDialogue } from './participant_parts.js';
import { WalkMap } from './walk_map.js';

const $ = (id) => document.getElementById(id);

let code = null;
let conn = null;
let dialogueId = null;
let photoKey = null; // the upload's idempotency key, kept while the same photo is retried
let title = '';
const walk = { stops: [], groups: [], categories: [], observations: new Map(), actions: new Map() };
const texts = new Map(); // question id -> published text
const photos = new Map(); // question id -> path of its published (blurred) photo
let map = null;

const sessionKey = () => `dialoghub.walk.${code}`;

function codeFromPath() {
  const m = location.pathname.match(/^\/w\/([A-Za-z0-9]{1,16})\/?$/);
  return m ? m[1].toUpperCase() : null;
}

async function main() {
  await loadStrings();
  setupLanguageButton(() => {
    applyStrings(document);
    render();
  });
  code = codeFromPath();
  setupForms();
  let session = null;
  try {
    session = JSON.parse(safeGet(sessionKey()) || 'null');
  } catch {
    session = null;
  }
  if (session) start(session);
  else $('join-view').hidden = false;
}

function setupForms() {
  $('join-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const where = new FormData(ev.target).get('location') || 'in_room';
    const { joined, error } = await joinDialogue(code, where);
    if (error) {
      $('join-error').textContent = error;
      return;
    }
    const session = { token: joined.token, location: joined.location };
    safeSet(sessionKey(), JSON.stringify(session));
    start(session);
  });
  $('obs-felt').append(
    ...[1, 2, 3, 4, 5].map((n) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'felt', value: String(n), checked: n === 3 }), ` ${n}`)),
  );
  $('observe-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    observe();
  });
}

function start(session) {
  $('join-view').hidden = true;
  $('walk-view').hidden = false;
  conn = new Connection({
    token: session.token,
    location: session.location,
    pendingKey: `dialoghub.walk-pending.${code}`,
    onMessage,
    onState: (state, closeCode) => showConnection(state, closeCode),
  });
  conn.start();
}

function onMessage(msg) {
  if (msg.type === 'welcome') dialogueId = msg.dialogue_id;
  if (msg.type === 'snapshot') {
    title = msg.dialogue.title;
    const w = msg.walk || { stops: [], groups: [], categories: [], observations: [], actions: [] };
    walk.stops = w.stops;
    walk.groups = w.groups;
    walk.categories = w.categories;
    walk.observations = new Map(w.observations.map((o) => [o.question_id, o]));
    walk.actions = new Map(w.actions.map((a) => [a.id, a]));
    texts.clear();
    for (const q of msg.questions) texts.set(q.id, q.text);
    photos.clear();
    for (const p of w.photos || []) if (p.published_id) photos.set(p.question_id, photoPath(p.published_id));
    render();
    return;
  }
  if (msg.type !== 'event') return;
  const e = msg.event;
  switch (e.kind) {
    case 'walk_planned': {
      const at = new Map(walk.groups.map((g) => [g.id, g.at]));
      walk.stops = e.stops;
      walk.groups = e.groups.map((g) => ({ ...g, at: at.get(g.id) }));
      break;
    }
    case 'group_moved': {
      const g = walk.groups.find((x) => x.id === e.group);
      if (g) g.at = e.at ?? undefined;
      if (g) announce(groupLine(g));
      break;
    }
    case 'question_published':
      texts.set(e.question.id, e.question.text);
      if (e.observation) walk.observations.set(e.observation.question_id, e.observation);
      break;
    case 'photo_published':
      photos.set(e.question_id, photoPath(e.published_id));
      break;
    case 'action_created':
      walk.actions.set(e.action_id, {
        id: e.action_id, title: e.title, responsible: e.responsible, due: e.due, status: 'reported',
        observation_ids: e.observation_ids, history: [{ status: 'reported', at: msg.at, note: '' }],
      });
      break;
    case 'action_status_changed': {
      const a = walk.actions.get(e.action_id);
      if (a) {
        a.status = e.status;
        a.history.push({ status: e.status, at: msg.at, note: e.note });
      }
      break;
    }
    default:
      return;
  }
  render();
}

const stopName = (id) => walk.stops.find((s) => s.id === id)?.name || '';

function groupLine(g) {
  const name = g.leader ? `${g.name} (${g.leader})` : g.name;
  if (g.at === undefined || g.at === null) return t('walk_group_waiting', { group: name, state: t('walk_not_started') });
  return t('walk_at_stop', { group: name, n: g.at, name: stopName(g.at) });
}

/** Fills a select, keeping the visitor's choice; `fallback` until there is one. */
function options(select, list, fallback) {
  if (!list.length) return;
  const was = select.dataset.chosen ? select.value : fallback;
  select.replaceChildren(...list.map(([value, label]) => h('option', { value }, label)));
  select.value = list.some(([v]) => v === was) ? was : list[0][0];
  select.dataset.chosen = walk.groups.length ? '1' : '';
}

function render() {
  $('title').textContent = title;
  document.title = `${title} – ${t('page_walk')}`;
  syncList($('groups'), walk.groups.map((g) => ({
    key: g.id, sig: `${groupLine(g)}`, render: () => h('li', { class: 'question' }, groupLine(g)),
  })));
  const remote = conn && conn.location === 'remote';
  const firstGroup = walk.groups.length ? String(walk.groups[0].id) : '';
  options($('obs-group'), [...walk.groups.map((g) => [String(g.id), g.name]), ['', t('walk_no_group')]], remote ? '' : firstGroup);
  options($('obs-stop'), [['', t('walk_stop_current')], ...walk.stops.map((s) => [String(s.id), `${s.id}. ${s.name}`])], '');
  options($('obs-category'), walk.categories.map((c) => [c.code, categoryName(walk.categories, c.code)]), walk.categories[0]?.code);
  const shown = [...walk.observations.values()].filter((o) => texts.has(o.question_id));
  renderRoute(shown);
  $('observations-empty').hidden = shown.length > 0;
  syncList($('observations'), shown.map((o) => {
    const where = o.stop ? `${o.stop}. ${stopName(o.stop)}` : t('walk_near');
    const line = `${where} · ${categoryName(walk.categories, o.category)} · ${t('walk_felt_value', { n: o.felt_safety })}`;
    const photo = photos.get(o.question_id);
    return {
      key: o.question_id, sig: `${line}|${texts.get(o.question_id)}|${photo || ''}`,
      render: () => h('li', { class: 'question' }, h('p', { class: 'meta' }, line), h('p', { text: texts.get(o.question_id) }),
        photo ? h('img', { class: 'walk-photo', src: photo, alt: `${t('walk_photo_alt')} ${o.question_id}: ${texts.get(o.question_id)}`, loading: 'lazy' }) : null),
    };
  }));
  syncList($('actions'), [...walk.actions.values()].map((a) => {
    const line = t('walk_action_line', { title: a.title, who: a.responsible, due: a.due, status: t(`rec_walk_status_${a.status}`) });
    return { key: a.id, sig: line, render: () => h('li', { class: 'question' }, line) };
  }));
}

/** Each group's route as a list, the group's current stop said in words; the map beside it. */
function renderRoute(shown) {
  const byId = new Map(walk.stops.map((s) => [s.id, s]));
  $('route').replaceChildren(...walk.groups.map((g) => h('div', { class: 'route' },
    h('h3', {}, g.leader ? `${g.name} (${g.leader})` : g.name),
    h('ol', {}, ...g.route.map((id) => {
      const s = byId.get(id);
      if (!s) return null;
      const count = shown.filter((o) => o.stop === id).length;
      return h('li', { class: g.at === id ? 'here' : null, 'aria-current': g.at === id ? 'location' : null },
        [s.name, s.address].filter(Boolean).join(', '),
        count ? ` · ${count} ${t('walk_observations')}` : null,
        g.at === id ? h('strong', {}, ` – ${t('walk_group_here', { group: g.name })}`) : null);
    })))));
  if (!map) map = new WalkMap($('walk-map'));
  map.draw({ stops: walk.stops, groups: walk.groups, observations: shown });
}

/** A published (blurred) copy's public path. */
const photoPath = (id) => `/d/${code}/photos/${id}.jpg`;

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: Math.round(p.coords.latitude * 1000) / 1000, lon: Math.round(p.coords.longitude * 1000) / 1000 }),
      () => resolve(null),
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 },
    );
  });
}

/** Uploads the chosen photo (6.27); its id, or null with the reason shown. */
async function uploadPhoto(file) {
  photoKey = photoKey || newId();
  let res;
  try {
    res = await fetch(`/api/dialogues/${dialogueId}/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.token}`, 'content-type': file.type || 'application/octet-stream', 'idempotency-key': photoKey },
      body: file,
    });
  } catch {
    $('obs-error').textContent = t('err_network');
    return null;
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    $('obs-error').textContent = body.reason ? t('walk_photo_refused') : errorText(body);
    return null;
  }
  return body.photo_id;
}

async function observe() {
  const text = $('obs-text').value.trim();
  $('obs-error').textContent = '';
  if (!text) {
    $('obs-error').textContent = t('walk_text_needed');
    $('obs-text').focus();
    return;
  }
  const msg = {
    type: 'observe',
    text,
    category: $('obs-category').value,
    felt_safety: Number(new FormData($('observe-form')).get('felt') || 3),
    origin: conn.location === 'remote' ? 'remote' : 'in_room',
  };
  if ($('obs-group').value) msg.group = Number($('obs-group').value);
  if ($('obs-geo').checked) {
    const p = await position();
    if (!p) {
      $('obs-error').textContent = t('walk_no_position');
      return;
    }
    Object.assign(msg, p);
  } else if ($('obs-stop').value) {
    msg.stop = Number($('obs-stop').value);
  }
  const file = $('obs-photo').files[0];
  if (file) {
    const photo = await uploadPhoto(file);
    if (!photo) return;
    msg.photo = photo;
  }
  try {
    const ack = await conn.submit(msg);
    $('obs-text').value = '';
    $('obs-photo').value = '';
    photoKey = null;
    $('obs-result').textContent = t('walk_sent', { code: ack.receipt });
  } catch (err) {
    $('obs-error').textContent = errorText(err);
  }
}

main();
