// Shared by every page: strings, DOM helpers, the dialogue model and the connection.
// No dependencies and no build step: the server serves these files as they are.

// ---------------------------------------------------------------- strings

const LANG_KEY = 'dialoghub.lang';
const LANGS = ['sv', 'en'];
let strings = {};
let lang = 'sv';

export function currentLang() {
  return lang;
}

/** Loads the chosen language (Swedish unless the visitor chose English before). */
export async function loadStrings(choice) {
  const stored = safeGet(LANG_KEY);
  lang = LANGS.includes(choice) ? choice : LANGS.includes(stored) ? stored : 'sv';
  const res = await fetch(`/assets/locales/${lang}.json`, { cache: 'no-cache' });
  strings = await res.json();
  document.documentElement.lang = lang;
  applyStrings(document);
}

/** A string by key; `{name}` placeholders are filled from `vars`; `{n}` = 1 picks `key_one` if there is one. */
export function t(key, vars = {}) {
  // Singular where the language has one: `votes_n_one` for n = 1.
  const s = vars.n === 1 && strings[`${key}_one`] !== undefined ? strings[`${key}_one`] : strings[key];
  if (s === undefined) {
    console.warn('missing string', key);
    return key;
  }
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** Fills `data-i18n` (text), `data-i18n-placeholder`, `data-i18n-label` (aria-label), `data-i18n-title`. */
export function applyStrings(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-alt]')) el.alt = t(el.dataset.i18nAlt);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  const title = document.querySelector('title[data-i18n-page]');
  if (title) title.textContent = t(title.dataset.i18nPage);
}

/**
 * Wires the language button: it names the other language in that language
 * ("English" on a Swedish page), remembers the choice and re-renders in place,
 * so nothing typed is lost.
 */
export function setupLanguageButton(rerender) {
  const button = document.getElementById('lang-toggle');
  if (!button) return;
  const label = () => {
    // The button names the other language in that language, so its lang is the other one.
    button.textContent = t('switch_language');
    button.lang = lang === 'sv' ? 'en' : 'sv';
  };
  label();
  button.addEventListener('click', async () => {
    const next = lang === 'sv' ? 'en' : 'sv';
    safeSet(LANG_KEY, next);
    await loadStrings(next);
    label();
    rerender();
  });
}

// ---------------------------------------------------------------- small helpers

export function safeGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function safeSet(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* private mode: the page still works, it just forgets */
  }
}

/** A random id; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Builds an element. Text children become text nodes, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Updates a list in place: an item whose signature did not change keeps its
 * node, so focus, an open editor and a screen reader's place survive updates.
 * Each item is `{key, sig, render}`; focusable parts name themselves with
 * `data-focus` so focus can follow a node that had to be rebuilt.
 */
export function syncList(parent, items) {
  const active = document.activeElement;
  const activeItem = active && parent.contains(active) ? active.closest('[data-key]') : null;
  const focusKey = activeItem ? activeItem.dataset.key : null;
  const focusPart = active && active.dataset ? active.dataset.focus : null;
  const old = new Map([...parent.children].map((n) => [n.dataset.key, n]));
  const nodes = items.map((it) => {
    const prev = old.get(String(it.key));
    if (prev && prev.dataset.sig === it.sig) return prev;
    const node = it.render();
    node.dataset.key = String(it.key);
    node.dataset.sig = it.sig;
    return node;
  });
  const keep = new Set(nodes);
  for (const n of [...parent.children]) if (!keep.has(n)) n.remove();
  nodes.forEach((n, i) => {
    if (parent.children[i] !== n) parent.insertBefore(n, parent.children[i] || null);
  });
  if (focusKey && !parent.contains(document.activeElement)) {
    const item = parent.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    const target = item && (focusPart ? item.querySelector(`[data-focus="${CSS.escape(focusPart)}"]`) : item);
    if (target) target.focus();
  }
}

/** The token an invitation link carries in its fragment (`#token=…`), kept for reloads. */
export function tokenFromFragment(storageKey) {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    safeSet(storageKey, token);
    return token;
  }
  return safeGet(storageKey);
}

/** The claims of a JWT, unverified: only to read which dialogue a token is for. */
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return {};
  }
}

/** A date `YYYY-MM-DD` in words (a follow-up's due day). */
export function formatDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return day || '';
  return new Intl.DateTimeFormat(lang === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'long', timeZone: 'UTC' })
    .format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

/** Copies text to the clipboard (or selects it where the clipboard API is missing) and says so. */
export async function copyText(text, selectEl, said = t('copied')) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Outside a secure context the clipboard API is missing; selecting and copying still works.
    if (selectEl) {
      if (selectEl.select) selectEl.select();
      else {
        const range = document.createRange();
        range.selectNodeContents(selectEl);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      try {
        document.execCommand('copy');
      } catch {
        /* selected: the visitor can copy it themselves */
      }
    }
  }
  announce(said);
}

/** A written answer and a follow-up under a question, for every view that shows questions. */
export function answerParts(q) {
  const out = [];
  if (q.answer) {
    out.push(h('div', { class: 'written-answer' },
      h('p', { class: 'label' }, t('rec_written_answer')),
      h('p', { class: 'answer-text' }, q.answer)));
  }
  if (q.follow_up) {
    const f = q.follow_up;
    out.push(h('div', { class: 'follow-up' },
      h('p', { class: 'label' }, t('rec_follow_up')),
      h('p', {}, t('follow_up_line', { owner: f.owner, due: formatDay(f.due) })),
      h('p', {}, f.outcome ? `${t('rec_outcome')} ${f.outcome}` : t('rec_outcome_pending'))));
  }
  return out;
}

/** Today plus `days`, as `YYYY-MM-DD` in local time. */
export function dayFromNow(days) {
  const d = new Date(Date.now() + days * 86400000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * An inline form to promise a follow-up on question `q`: who owns it and by when.
 * `owners` are suggestions (the panel); `onSubmit({owner, due})`.
 */
export function followUpForm(q, { owner = '', owners = [], onSubmit, onCancel }) {
  const ownerId = `fo-${q.id}`;
  const dueId = `fd-${q.id}`;
  const listId = `fl-${q.id}`;
  const ownerInput = h('input', { type: 'text', id: ownerId, maxlength: '200', list: listId, 'data-focus': 'editor', autocomplete: 'off' });
  ownerInput.value = owner;
  const due = h('input', { type: 'date', id: dueId });
  due.value = dayFromNow(30);
  const error = h('p', { class: 'error-line', role: 'alert' });
  return h('form', {
    class: 'inline-editor follow-up-form',
    'data-follow-form': q.id,
    novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      if (!ownerInput.value.trim()) {
        error.textContent = t('err_owner_empty');
        ownerInput.focus();
        return;
      }
      if (!/^\d{4}-\d{2}-\d{2}$/.test(due.value)) {
        error.textContent = t('err_due_empty');
        due.focus();
        return;
      }
      onSubmit({ owner: ownerInput.value.trim(), due: due.value });
    },
  },
  h('p', { class: 'label' }, t('follow_up_heading', { n: q.id })),
  h('div', { class: 'field' }, h('label', { for: ownerId }, t('follow_up_owner')), ownerInput,
    h('datalist', { id: listId }, owners.map((o) => h('option', { value: o })))),
  h('div', { class: 'field' }, h('label', { for: dueId }, t('follow_up_due')), due),
  error,
  h('div', { class: 'actions' },
    h('button', { type: 'submit' }, t('action_promise_confirm')),
    h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('action_cancel'))));
}

/** An inline form to write (or rewrite) the written answer to question `q`; `onSubmit(text)`. */
export function answerForm(q, { initial = '', hint, onSubmit, onCancel }) {
  const id = `wa-${q.id}`;
  const hintId = `wah-${q.id}`;
  const area = h('textarea', { id, maxlength: '4000', 'data-focus': 'editor', 'aria-describedby': hintId });
  area.value = initial;
  const error = h('p', { class: 'error-line', role: 'alert' });
  return h('form', {
    class: 'inline-editor answer-form',
    'data-answer-form': q.id,
    novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      if (!area.value.trim()) {
        error.textContent = t('err_answer_empty');
        area.focus();
        return;
      }
      onSubmit(area.value.trim());
    },
  },
  h('label', { for: id }, t('answer_label', { n: q.id })), area,
  h('span', { class: 'hint', id: hintId }, hint || t('answer_hint')),
  error,
  h('div', { class: 'actions' },
    h('button', { type: 'submit' }, t('action_answer_save')),
    h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('action_cancel'))));
}

/** Says something to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeated message be read again.
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

export function formatTime(ms) {
  if (!ms) return '';
  return new Intl.DateTimeFormat(lang === 'sv' ? 'sv-SE' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(ms));
}

/**
 * The address to put in the livestream frame. Organizers paste the link they
 * have; YouTube's watch and share links cannot be framed, their embed link can.
 */
export function embedUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const host = u.hostname.replace(/^www\.|^m\./, '');
  let id = null;
  if (host === 'youtube.com' && u.pathname === '/watch') id = u.searchParams.get('v');
  else if (host === 'youtube.com' && u.pathname.startsWith('/live/')) id = u.pathname.split('/')[2];
  else if (host === 'youtu.be') id = u.pathname.slice(1);
  if (id && /^[\w-]{6,20}$/.test(id)) return `https://www.youtube-nocookie.com/embed/${id}`;
  return u.href;
}

/** Who a question is for, in words: a panelist's name or a panel kind. */
export function addresseeLabel(addressee, panel) {
  if (!addressee) return null;
  if (addressee.panelist) {
    const p = panel.find((x) => x.id === addressee.panelist);
    return p ? t('to_person', { name: p.name }) : null;
  }
  if (addressee.kind) return t('to_kind', { kind: t(`kind_plural_${addressee.kind}`) });
  return null;
}

// ---------------------------------------------------------------- the dialogue as a client sees it

/** Folds snapshots, events and live tallies into one view of the dialogue. */
export class Model {
  constructor() {
    this.reset();
  }

  reset() {
    this.dialogue = null;
    this.questions = new Map();
    this.upNext = [];
    this.nowAnswering = null;
    this.votes = {};
    this.present = { in_room: 0, remote: 0 };
    this.liveVersion = 0;
    this.muted = new Set();
    this.banned = new Set();
    this.posts = new Map(); // post id -> {id, text, source, link, author, posted_at, edited_at}
    this.polls = new Map();
    this.pollLive = {};
    this.tips = new Map();
    this.tipRecipients = [];
  }

  snapshot(s) {
    const votes = this.votes;
    const present = this.present;
    const liveVersion = this.liveVersion;
    const pollLive = this.pollLive;
    this.reset();
    this.pollLive = pollLive;
    // Tallies come on their own stream; a snapshot does not carry them.
    this.votes = votes;
    this.present = present;
    this.liveVersion = liveVersion;
    this.dialogue = s.dialogue;
    for (const q of s.questions) this.questions.set(q.id, { ...q });
    this.upNext = [...s.up_next];
    this.nowAnswering = s.now_answering;
    this.muted = new Set(s.muted || []);
    this.banned = new Set(s.banned || []);
    for (const p of s.posts || []) this.posts.set(p.id, { ...p });
    for (const p of s.polls || []) this.polls.set(p.id, { ...p });
    for (const tip of s.tips || []) this.tips.set(tip.id, { ...tip });
    this.tipRecipients = s.tip_recipients || [];
  }

  /** Information posts, oldest first (the order they were published in). */
  postList() {
    return [...this.posts.values()].sort((a, b) => a.id - b.id);
  }

  /** A private tip (staff get them in events and snapshots, allowed panelists as `tip` frames). */
  addTip(tip) {
    this.tips.set(tip.id, { ...tip });
  }

  /** A poll's results as this audience may see them: live while open, final once closed. */
  pollResults(id) {
    const live = this.pollLive[id];
    if (live) return live;
    const p = this.polls.get(id);
    return p && p.results ? p.results : null;
  }

  /** Whether the public sees a poll's results: shown by a moderator, or the dialogue has closed. */
  pollResultsPublic(p) {
    return p.state !== 'prepared' && (p.results_shown || (this.dialogue && this.dialogue.phase === 'closed'));
  }

  /** Polls by state, in id order. */
  pollsIn(...states) {
    return [...this.polls.values()].filter((p) => states.includes(p.state)).sort((a, b) => a.id - b.id);
  }

  /** A new connection: its first `live` is taken whatever its version. */
  liveReset() {
    this.liveVersion = -1;
  }

  live(l) {
    if (l.version < this.liveVersion) return;
    this.liveVersion = l.version;
    this.votes = l.votes || {};
    this.present = l.present || this.present;
    this.pollLive = l.polls || {};
  }

  tally(id) {
    return this.votes[id] || 0;
  }

  leaveQueue(id) {
    this.upNext = this.upNext.filter((q) => q !== id);
    if (this.nowAnswering === id) this.nowAnswering = null;
  }

  setStatus(id, status) {
    const q = this.questions.get(id);
    if (q) q.status = status;
  }

  /** Applies one event body; `by` is who did it (staff see it), `at` when (ms). */
  apply(e, by, at) {
    const d = this.dialogue;
    switch (e.kind) {
      case 'info_set': {
        // Every field of the dialogue's information (title, purpose, times, venue, address, …).
        const { kind: _kind, ...info } = e;
        if (d) Object.assign(d, info);
        break;
      }
      case 'info_posted':
        this.posts.set(e.post_id, { id: e.post_id, text: e.text, source: e.source, link: e.link, author: by, posted_at: at || Date.now(), edited_at: null });
        break;
      case 'info_post_edited': {
        const p = this.posts.get(e.post_id);
        if (p) Object.assign(p, { text: e.text, source: e.source, link: e.link, edited_at: at || Date.now() });
        break;
      }
      case 'answer_written': {
        const q = this.questions.get(e.question_id);
        if (q) q.answer_draft = e.text;
        break;
      }
      case 'answer_published': {
        const q = this.questions.get(e.question_id);
        if (q) q.answer = e.text;
        break;
      }
      case 'follow_up_promised': {
        const q = this.questions.get(e.question_id);
        if (q) q.follow_up = { owner: e.owner, due: e.due, outcome: null };
        break;
      }
      case 'follow_up_done': {
        const q = this.questions.get(e.question_id);
        if (q && q.follow_up) q.follow_up = { ...q.follow_up, outcome: e.outcome };
        break;
      }
      case 'phase_changed':
        if (d) d.phase = e.phase;
        if (e.phase === 'closed') this.nowAnswering = null;
        break;
      case 'panelist_added':
        if (d) d.panel.push(e.panelist);
        break;
      case 'moderator_added':
        if (d && d.moderators) d.moderators.push(e.moderator);
        break;
      case 'question_asked':
        // The staff view of a new question, with the guard's flags (servers before
        // flags were in this event left them out; the console fetches them then).
        this.questions.set(e.question_id, {
          id: e.question_id,
          text: e.text,
          display_name: e.display_name,
          addressee: e.addressee,
          origin: e.origin,
          status: e.approved ? 'approved' : 'pending',
          asked_at: at || Date.now(),
          author: by,
          flags: e.flags,
          redacted_text: e.redacted_text,
          private_signals: e.private_signals,
          danger: e.danger,
        });
        break;
      case 'question_published': {
        const old = this.questions.get(e.question.id) || {};
        this.questions.set(e.question.id, { ...old, ...e.question });
        break;
      }
      case 'question_approved': {
        const q = this.questions.get(e.question_id);
        if (q) {
          q.status = 'approved';
          if (e.edited_text) {
            q.original_text = q.text;
            q.text = e.edited_text;
          }
        }
        break;
      }
      case 'question_rejected': {
        const q = this.questions.get(e.question_id);
        if (q) {
          q.status = 'rejected';
          if (e.reason) q.reason = e.reason;
        }
        break;
      }
      case 'question_merged': {
        const q = this.questions.get(e.question_id);
        if (q) {
          q.status = 'merged';
          q.merged_into = e.into;
        }
        this.leaveQueue(e.question_id);
        break;
      }
      case 'up_next_set':
        this.upNext = [...e.question_ids];
        break;
      case 'now_answering':
        this.nowAnswering = e.question_id;
        if (e.question_id !== null) this.upNext = this.upNext.filter((q) => q !== e.question_id);
        break;
      case 'question_answered':
        this.setStatus(e.question_id, 'answered');
        this.leaveQueue(e.question_id);
        break;
      case 'question_archived':
        this.setStatus(e.question_id, 'archived');
        this.leaveQueue(e.question_id);
        break;
      case 'participant_muted':
        this.muted.add(e.participant_id);
        break;
      case 'participant_banned':
        this.banned.add(e.participant_id);
        break;
      case 'poll_created':
        this.polls.set(e.poll_id, { id: e.poll_id, question: e.question, poll_kind: e.poll_kind, options: e.options, state: 'prepared', results_shown: false });
        break;
      case 'poll_opened': {
        const p = this.polls.get(e.poll_id);
        if (p) p.state = 'open';
        break;
      }
      case 'poll_published':
        this.polls.set(e.poll.id, { ...this.polls.get(e.poll.id), ...e.poll });
        break;
      case 'poll_closed': {
        const p = this.polls.get(e.poll_id);
        if (p) {
          p.state = 'closed';
          if (e.counts) p.results = { counts: e.counts, respondents: e.respondents };
        }
        break;
      }
      case 'poll_results_shown': {
        const p = this.polls.get(e.poll_id);
        if (p) p.results_shown = e.shown;
        break;
      }
      case 'tip_sent':
        this.tips.set(e.tip_id, { id: e.tip_id, text: e.text, display_name: e.display_name, at: at || Date.now(), from_question: null });
        break;
      case 'question_moved_to_private': {
        const q = this.questions.get(e.question_id);
        if (q) {
          this.tips.set(e.tip_id, { id: e.tip_id, text: q.original_text || q.text, display_name: q.display_name, at: at || Date.now(), from_question: q.id });
          q.status = 'moved_to_private';
        }
        this.leaveQueue(e.question_id);
        break;
      }
      case 'tip_recipients_set':
        this.tipRecipients = [...e.kinds];
        break;
      default:
        // question_received and internal change nothing a client shows.
        break;
    }
  }

  /** What came of a question so far, as the server's record says it (see `Question::fate`). */
  fate(q) {
    if (!q) return 'pending';
    switch (q.status) {
      case 'pending': return 'pending';
      case 'rejected': return 'rejected';
      case 'merged': return 'merged';
      case 'archived': return 'archived';
      default:
        if (q.follow_up) return 'follow_up';
        if (q.answer) return 'answered_in_writing';
        if (q.status === 'answered') return 'answered_live';
        return this.dialogue && this.dialogue.phase === 'closed' ? 'not_reached' : 'queued';
    }
  }

  byStatus(status) {
    return [...this.questions.values()].filter((q) => q.status === status);
  }

  current() {
    return this.nowAnswering === null ? null : this.questions.get(this.nowAnswering) || null;
  }

  popular() {
    return this.byStatus('approved').sort((a, b) => this.tally(b.id) - this.tally(a.id) || a.asked_at - b.asked_at || a.id - b.id);
  }

  recent() {
    return this.byStatus('approved').sort((a, b) => b.asked_at - a.asked_at || b.id - a.id);
  }

  /** Up next as the moderator ordered it, then the most popular of the rest. */
  next(count) {
    const queued = this.upNext.map((id) => this.questions.get(id)).filter((q) => q && q.status === 'approved');
    const rest = this.popular().filter((q) => !this.upNext.includes(q.id) && q.id !== this.nowAnswering);
    return [...queued, ...rest].slice(0, count);
  }
}

// ---------------------------------------------------------------- the connection

/** Close codes after which reconnecting cannot help without a change (see the server's codes.rs). */
const FATAL_CLOSE = new Set([1009, 4400, 4401, 4403, 4404]);

/**
 * One WebSocket to the hub that survives lost connections: it reconnects with
 * backoff and `resume`, and resends unacknowledged submissions with their
 * original `client_msg_id`, so a retry is never a duplicate.
 *
 * `onMessage(msg)` gets every server message; `onState(state, detail)` gets
 * 'connecting' | 'open' | 'reconnecting' | 'closed'.
 */
export class Connection {
  constructor({ token, dialogueId, location, onMessage, onState, pendingKey }) {
    this.token = token;
    this.dialogueId = dialogueId;
    this.location = location;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.position = null; // {epoch, seq}
    this.pending = new Map(); // client_msg_id -> {msg, resolve, reject}
    this.pendingKey = pendingKey; // keep unsent submissions across reloads
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.welcomed = false;
    this.timer = null;
    this.pingTimer = null;
    this.restorePending();
    window.addEventListener('offline', () => this.abandon());
    window.addEventListener('online', () => {
      if (!this.ws || this.ws.readyState > 1) this.reconnectNow();
    });
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000);
  }

  get connected() {
    return this.welcomed && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.stopped) return;
    this.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.welcomed = false;
    ws.onopen = () => {
      const hello = { type: 'hello', v: 1, token: this.token };
      if (this.position) hello.resume = this.position;
      if (this.location) hello.location = this.location;
      if (this.dialogueId) hello.dialogue_id = this.dialogueId;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (m) => this.receive(ws, m.data);
    ws.onclose = (ev) => this.closed(ws, ev.code);
  }

  receive(ws, data) {
    if (ws !== this.ws) return;
    this.lastHeard = Date.now();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'welcome':
        if (this.position && this.position.epoch !== msg.epoch) this.position = null;
        this.position = { epoch: msg.epoch, seq: this.position && msg.recovered ? this.position.seq : msg.seq };
        this.welcomed = true;
        this.lastWelcome = msg;
        // `live.version` starts over when the server's dialogue task restarts:
        // on a new connection the first `live` wins whatever its version.
        this.onMessage({ type: 'live-reset' });
        this.attempt = 0;
        this.onMessage(msg);
        this.onState('open');
        this.flushPending();
        this.startPing();
        return;
      case 'snapshot':
        this.position = { epoch: msg.epoch, seq: msg.seq };
        break;
      case 'event':
        if (this.position && msg.seq <= this.position.seq) return; // already applied
        if (this.position && msg.seq !== this.position.seq + 1) {
          // A gap: never show a state with a hole in it; resume from where we are.
          this.abandon();
          return;
        }
        this.position = { epoch: msg.epoch, seq: msg.seq };
        break;
      case 'ack': {
        const p = this.pending.get(msg.client_msg_id);
        if (p) {
          this.pending.delete(msg.client_msg_id);
          this.savePending();
          p.resolve(msg);
        }
        break;
      }
      case 'error': {
        if (!msg.client_msg_id && msg.retryable) {
          // A rate-limit refusal names no submission: send what is still waiting again, later.
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.flushPending(), 2000);
        }
        const p = msg.client_msg_id && this.pending.get(msg.client_msg_id);
        if (p && !msg.retryable) {
          this.pending.delete(msg.client_msg_id);
          this.savePending();
          p.reject(msg);
        } else if (p) {
          setTimeout(() => this.connected && this.send(p.msg), 1000);
        }
        break;
      }
      default:
        break;
    }
    this.onMessage(msg);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    this.welcomed = false;
    if (this.stopped) return;
    if (FATAL_CLOSE.has(code)) {
      this.onState('closed', code);
      return;
    }
    this.onState('reconnecting', code);
    // Backoff with jitter so a restarted server is not met by everyone at once.
    const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Gives up on the current socket at once. Closing a dead connection can take
   * the browser a long time to report, so we do not wait for its close event.
   */
  abandon() {
    const ws = this.ws;
    if (!ws || ws.readyState > 1) return;
    ws.onclose = null;
    ws.onmessage = null;
    this.closed(ws, 1006);
    ws.close();
  }

  reconnectNow() {
    clearTimeout(this.timer);
    this.attempt = Math.max(this.attempt, 1);
    this.connect();
  }

  /**
   * The server closes a silent connection; a ping now and then keeps it. A
   * connection that stops answering (a dead Wi-Fi does not always say so) is
   * closed here, and the usual reconnect and resume take over.
   */
  startPing() {
    clearInterval(this.pingTimer);
    this.lastHeard = Date.now();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastHeard > 50000) {
        this.abandon();
        return;
      }
      this.ws.send('{"type":"ping"}');
    }, 20000);
  }

  send(msg) {
    if (this.connected) this.ws.send(JSON.stringify(msg));
  }

  /**
   * Sends a submission and resolves with its ack (rejects with the error). While
   * disconnected it waits, and goes out again after reconnecting.
   */
  submit(msg) {
    const full = { client_msg_id: newId(), ...msg };
    return new Promise((resolve, reject) => {
      this.pending.set(full.client_msg_id, { msg: full, resolve, reject });
      this.savePending();
      this.send(full);
    });
  }

  flushPending() {
    for (const p of this.pending.values()) this.send(p.msg);
  }

  /** Submissions still waiting for an ack (e.g. a question typed while offline). */
  waiting(type) {
    return [...this.pending.values()].map((p) => p.msg).filter((m) => !type || m.type === type);
  }

  savePending() {
    if (!this.pendingKey) return;
    // Only questions are worth keeping across a reload; votes are cheap to redo.
    const asks = this.waiting('ask');
    safeSet(this.pendingKey, asks.length ? JSON.stringify(asks) : null);
  }

  restorePending() {
    if (!this.pendingKey) return;
    try {
      for (const msg of JSON.parse(safeGet(this.pendingKey) || '[]')) {
        this.pending.set(msg.client_msg_id, { msg, resolve: (a) => this.onRestoredAck && this.onRestoredAck(msg, a), reject: (e) => this.onRestoredError && this.onRestoredError(msg, e) });
      }
    } catch {
      /* a broken entry is dropped */
    }
  }
}

/** Shows the connection state in the page's status line. */
export function showConnection(state, code) {
  // Also on the root element: a stable hook for styles and for the browser tests.
  document.documentElement.dataset.connection = state;
  const el = document.getElementById('connection');
  if (!el) return;
  el.dataset.state = state;
  const key = {
    connecting: 'conn_connecting',
    open: 'conn_open',
    reconnecting: 'conn_reconnecting',
    closed: code === 4403 ? 'conn_banned' : code === 4401 ? 'conn_unauthorized' : code === 4404 ? 'conn_not_found' : 'conn_closed',
  }[state];
  el.textContent = t(key);
  el.hidden = state === 'open';
}

/** Error codes in words, for people. */
export function errorText(err) {
  const code = err && err.code;
  const key = `err_${code}`;
  return code && t(key) !== key ? t(key) : t('err_generic');
}
