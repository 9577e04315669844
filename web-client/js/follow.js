// The live part of a walk's public page (/d/CODE, `walk_live.rs` renders it):
// where each group is now and the approved observations as they come, for
// someone following from home. The socket follows the walk without joining
// (`hello` with `follow`, the join code and no token): it may send nothing,
// sees only what the public sees, and is not counted as a participant. On a
// lost connection it resumes from the last `seq` it applied. Without
// JavaScript the page as rendered stays, and says to reload it.
// The words come from the section itself, in the page's language.
import { Connection } from './connection.js';
import { announce, h, syncList } from './dom.js';

const section = document.getElementById('live');
const words = section ? section.dataset : {};
const LATEST = 10; // as `walk_live::LATEST`

const walk = { stops: new Map(), groups: [], observations: new Map() };
const texts = new Map(); // question id -> published text
const photos = new Map(); // question id -> path of its published (blurred) photo
let categories = {};

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

/** "Grupp 1 (Lena): vid stopp 2, Torget", as the server writes it. */
function groupLine(g) {
  const group = g.leader ? `${g.name} (${g.leader})` : g.name;
  const stop = g.at !== undefined && g.at !== null ? walk.stops.get(g.at) : null;
  if (!stop) return fill(words.waiting, { group, state: words.notStarted });
  return fill(words.atStop, { group, n: stop.id, name: stop.name });
}

function observationLine(o) {
  const stop = o.stop ? walk.stops.get(o.stop) : null;
  const place = stop ? `${stop.id}. ${stop.name}` : words.near;
  return `${place} · ${categories[o.category] || o.category} · ${fill(words.felt, { n: o.felt_safety })}`;
}

function render() {
  syncList(document.getElementById('live-groups'), walk.groups.map((g) => {
    const line = groupLine(g);
    return { key: g.id, sig: line, render: () => h('li', { 'data-group': g.id }, line) };
  }));
  const shown = [...walk.observations.values()]
    .filter((o) => texts.has(o.question_id))
    .sort((a, b) => b.question_id - a.question_id)
    .slice(0, LATEST);
  document.getElementById('live-empty').hidden = shown.length > 0;
  syncList(document.getElementById('live-observations'), shown.map((o) => {
    const line = observationLine(o);
    const text = texts.get(o.question_id);
    const photo = photos.get(o.question_id);
    return {
      key: o.question_id,
      sig: `${line}|${text}|${photo || ''}`,
      render: () => h('li', { class: 'observation', 'data-id': o.question_id },
        h('p', { class: 'meta' }, line), h('p', { class: 'text' }, text),
        photo ? h('img', { class: 'photo', src: photo, alt: `${words.photoAlt} ${o.question_id}`, loading: 'lazy' }) : null),
    };
  }));
}

/** Where a published (blurred) photo is public (`photo_published`, protocol 4.34). */
const photoPath = (publishedId) => `/d/${words.code}/photos/${publishedId}.jpg`;

function onMessage(msg) {
  if (msg.type === 'snapshot') {
    const w = msg.walk || { stops: [], groups: [], observations: [] };
    walk.stops = new Map(w.stops.map((s) => [s.id, s]));
    walk.groups = w.groups;
    walk.observations = new Map(w.observations.map((o) => [o.question_id, o]));
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
      walk.stops = new Map(e.stops.map((s) => [s.id, s]));
      walk.groups = e.groups.map((g) => ({ ...g, at: at.get(g.id) }));
      render();
      break;
    }
    case 'group_moved': {
      const g = walk.groups.find((x) => x.id === e.group);
      if (!g) break;
      g.at = e.at ?? undefined;
      render();
      announce(groupLine(g));
      break;
    }
    case 'question_published':
      texts.set(e.question.id, e.question.text);
      if (!e.observation) break;
      walk.observations.set(e.observation.question_id, e.observation);
      render();
      announce(fill(words.newObservation, { line: `${observationLine(e.observation)}: ${e.question.text}` }));
      break;
    case 'photo_published':
      photos.set(e.question_id, photoPath(e.published_id));
      render();
      break;
    default:
      break;
  }
}

function onState(state) {
  // On the root element, as `showConnection` does: a hook for the browser tests.
  document.documentElement.dataset.follow = state;
  const said = { open: words.following, reconnecting: words.reconnecting, closed: words.stopped }[state];
  if (said) announce(said);
}

if (section) {
  try {
    categories = JSON.parse(words.categories || '{}');
  } catch {
    categories = {};
  }
  new Connection({ follow: words.code, onMessage, onState }).start();
}
