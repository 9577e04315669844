// The panelist dashboard (/panel?dialogue=…): the current question large, what is next, what is for me.
import {
  Connection, Model, addresseeLabel, announce, answerForm, answerParts, applyStrings, currentLang, errorText,
  followUpForm, h, loadStrings, setupLanguageButton, syncList, t,
} from './common.js';
import { addSeriesFields, fillSeries, readSeries, showSeriesRefusal } from './info_form.js';
import { postChart } from './post_chart.js';
import { staffCredential } from './session.js';

const $ = (id) => document.getElementById(id);
const model = new Model();
let conn = null;
let me = null;
let editing = null; // {id, mode: 'answer' | 'follow'}
// My written answers waiting for a moderator (the panel does not see drafts from the server).
const drafts = new Map();
let editingPost = null; // the id of my information post being edited
// Public events do not say who posted (the snapshot does): recognise my own new posts by their text.
const myNewPosts = new Set();

async function main() {
  await loadStrings();
  setupLanguageButton(() => {
    applyStrings(document);
    render(true);
  });
  const cred = await staffCredential();
  if (!cred) return;
  me = cred.me;
  addSeriesFields('post', $('post-link').closest('.field'));
  $('post-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    post();
  });
  $('post-cancel').addEventListener('click', () => editPost(null));
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && editing) closeEditor();
  });
  conn = new Connection({ ...cred.connection, onMessage, onState: cred.onState });
  // A handle for the browser tests (and for curious developers in the console).
  window.dialoghub = { conn, model };
  conn.start();
}

function onMessage(msg) {
  if (msg.type === 'welcome') me = msg.you;
  else if (msg.type === 'snapshot') model.snapshot(msg);
  else if (msg.type === 'event') {
    model.apply(msg.event, msg.by, msg.at);
    const e = msg.event;
    if (e.kind === 'info_posted' && myNewPosts.delete(e.text)) {
      const p = model.posts.get(e.post_id);
      if (p && !p.author) p.author = { role: 'panelist', id: me };
    }
  }
  else if (msg.type === 'live-reset') model.liveReset();
  else if (msg.type === 'live') model.live(msg);
  // Only a panelist whose kind the organizer allowed gets tips at all.
  else if (msg.type === 'tip') model.addTip(msg.tip);
  else return;
  render();
}

function myself() {
  return ((model.dialogue && model.dialogue.panel) || []).find((p) => p.id === me) || null;
}

/** Addressed to me by name, or to my kind of panelist (e.g. "the police"). */
function forMe(q) {
  const p = myself();
  const a = q.addressee;
  return Boolean(a && p && (a.panelist === p.id || a.kind === p.kind));
}

function markAnswered(q) {
  $('action-error').textContent = '';
  conn.submit({ type: 'mark_answered', question_id: q.id, expected: q.status }).catch((err) => {
    $('action-error').textContent = errorText(err);
  });
}

async function act(msg, done) {
  $('action-error').textContent = '';
  try {
    const ack = await conn.submit(msg);
    if (done) announce(done);
    return ack;
  } catch (err) {
    $('action-error').textContent = errorText(err);
    return null;
  }
}

function openEditor(q, mode) {
  editing = { id: q.id, mode };
  render();
  const el = document.querySelector(`#all [data-key="${q.id}"] [data-focus="editor"], #answered [data-key="${q.id}"] [data-focus="editor"]`);
  if (el) el.focus();
}

function closeEditor() {
  const id = editing && editing.id;
  editing = null;
  render();
  if (id !== null) {
    requestAnimationFrame(() => {
      const el = document.querySelector(`[data-key="${id}"] [data-focus="write"], [data-key="${id}"] [data-focus="follow"]`);
      if (el) el.focus();
    });
  }
}

async function writeAnswer(q, text) {
  if (await act({ type: 'write_answer', question_id: q.id, text }, t('done_answer_sent'))) {
    drafts.set(q.id, text);
    closeEditor();
  }
}

async function promise(q, f) {
  if (await act({ type: 'promise_follow_up', question_id: q.id, owner: f.owner, due: f.due }, t('done_follow_up'))) closeEditor();
}

async function post() {
  const text = $('post-text').value.trim();
  const source = $('post-source').value.trim();
  const link = $('post-link').value.trim();
  $('post-error').textContent = '';
  if (!text || !source) {
    $('post-error').textContent = t(text ? 'err_source_empty' : 'err_post_empty');
    $(text ? 'post-source' : 'post-text').focus();
    return;
  }
  if (link && !/^https?:\/\/\S+$/.test(link)) {
    $('post-error').textContent = t('err_link');
    $('post-link').focus();
    return;
  }
  const data = readSeries('post');
  if (data === null) return;
  const msg = { type: 'post', text, source };
  if (link) msg.link = link;
  if (data) msg.data = data;
  if (editingPost !== null) msg.post_id = editingPost;
  else myNewPosts.add(text);
  $('action-error').textContent = '';
  try {
    await conn.submit(msg);
    announce(t(editingPost !== null ? 'done_post_edited' : 'done_posted'));
    editPost(null);
  } catch (err) {
    if (!showSeriesRefusal('post', err)) $('action-error').textContent = errorText(err);
  }
}

/** Fills the form with one of my posts to change it (the earlier wording stays in the log). */
function editPost(p) {
  editingPost = p ? p.id : null;
  $('post-text').value = p ? p.text : '';
  $('post-source').value = p ? p.source : '';
  $('post-link').value = p ? p.link || '' : '';
  fillSeries('post', p ? p.data : null);
  $('post-cancel').hidden = !p;
  $('post-submit').textContent = t(p ? 'post_save_edit' : 'post_button');
  if (p) $('post-text').focus();
}

function myOwner() {
  const p = myself();
  return p ? [p.name, p.organisation].filter(Boolean).join(', ') : '';
}

function item(q, extra, withActions) {
  const panel = (model.dialogue && model.dialogue.panel) || [];
  const meta = [q.display_name || t('anonymous'), addresseeLabel(q.addressee, panel), t('votes_n', { n: model.tally(q.id) })].filter(Boolean).join(' · ');
  const mine = drafts.get(q.id);
  const waiting = mine && mine !== q.answer;
  const open = withActions && editing && editing.id === q.id ? editing.mode : null;
  return h('li', { class: 'question' }, h('div', { class: 'body' },
    extra,
    forMe(q) ? h('span', { class: 'badge to-me' }, t('badge_to_me')) : null,
    h('p', { class: 'text' }, q.text),
    h('span', { class: 'by' }, meta),
    answerParts(q),
    waiting && withActions ? h('div', { class: 'draft-answer' }, h('p', { class: 'label' }, t('draft_waiting')), h('p', {}, mine)) : null,
    withActions && !open ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary small', 'data-focus': 'write', 'aria-label': t(mine || q.answer ? 'action_edit_answer_n' : 'action_write_answer_n', { n: q.id }), onclick: () => openEditor(q, 'answer') }, t(mine || q.answer ? 'action_edit_answer' : 'action_write_answer')),
      q.follow_up ? null : h('button', { type: 'button', class: 'secondary small', 'data-focus': 'follow', 'aria-label': t('action_promise_n', { n: q.id }), onclick: () => openEditor(q, 'follow') }, t('action_promise'))) : null,
    open === 'answer' ? answerForm(q, { initial: mine || q.answer || '', onSubmit: (text) => writeAnswer(q, text), onCancel: closeEditor }) : null,
    open === 'follow' ? followUpForm(q, { owner: myOwner(), owners: [myOwner()].filter(Boolean), onSubmit: (f) => promise(q, f), onCancel: closeEditor }) : null));
}

const sig = (q, extra) => JSON.stringify([currentLang(), q.text, q.status, model.tally(q.id), forMe(q), q.answer, q.follow_up, drafts.get(q.id), editing && editing.id === q.id ? editing.mode : null, extra]);

function renderPosts() {
  const posts = model.postList();
  $('posts-empty').hidden = posts.length > 0;
  syncList($('posts'), posts.map((p) => ({
    key: p.id,
    sig: JSON.stringify([currentLang(), p.text, p.source, p.link, p.edited_at, p.data]),
    render: () => h('li', { class: 'post', 'data-post': p.id },
      h('p', { class: 'post-text' }, p.text),
      h('p', { class: 'post-source' }, `${t('rec_source')} ${p.source}`,
        p.link ? [' · ', h('a', { href: p.link, rel: 'noopener noreferrer', target: '_blank' }, t('post_link'))] : null,
        p.edited_at ? ` · ${t('rec_edited')}` : null),
      postChart(p, model.dialogue && model.dialogue.code),
      p.author && p.author.id === me
        ? h('button', { type: 'button', class: 'secondary small', 'data-focus': 'edit', 'aria-label': t('post_edit_label', { n: p.id }), onclick: () => editPost(p) }, t('post_edit'))
        : null),
  })));
}

function render(force) {
  if (force) for (const ul of document.querySelectorAll('#next, #tome, #all, #answered, #posts')) ul.replaceChildren();
  const d = model.dialogue;
  if (!d) return;
  const p = myself();
  $('dialogue-meta').textContent = [d.title, t(`phase_${d.phase}`)].join(' · ');
  document.title = `${t('page_panel')} – ${d.title}`;
  $('whoami').textContent = p ? t('panel_whoami', { name: p.name, kind: t(`kind_${p.kind}`) }) : '';
  const q = model.current();
  $('now').classList.toggle('empty', !q);
  const text = q ? q.text : t('now_none');
  if ($('now-text').textContent !== text) $('now-text').textContent = text;
  $('now-by').textContent = q ? [q.display_name || t('anonymous'), addresseeLabel(q.addressee, d.panel), forMe(q) ? t('badge_to_me') : null].filter(Boolean).join(' · ') : '';
  $('now-actions').replaceChildren(...(q ? [h('button', { type: 'button', onclick: () => markAnswered(q) }, t('action_answered'))] : []));
  const next = model.next(5);
  $('next-empty').hidden = next.length > 0;
  syncList($('next'), next.map((x, i) => ({ key: x.id, sig: sig(x, i), render: () => item(x, h('span', { class: 'badge' }, `${i + 1}.`)) })));
  const open = model.popular().filter((x) => x.id !== model.nowAnswering);
  const tome = open.filter(forMe);
  $('tome-empty').hidden = tome.length > 0;
  syncList($('tome'), tome.map((x) => ({ key: x.id, sig: sig(x), render: () => item(x) })));
  syncList($('all'), open.map((x) => ({ key: x.id, sig: sig(x, 'a'), render: () => item(x, null, true) })));
  const answered = model.byStatus('answered').sort((a, b) => b.id - a.id);
  $('answered-section').hidden = answered.length === 0;
  syncList($('answered'), answered.map((x) => ({ key: x.id, sig: sig(x, 'a'), render: () => item(x, null, true) })));
  renderPosts();
  const tips = [...model.tips.values()].sort((a, b) => b.id - a.id);
  $('tips-section').hidden = tips.length === 0;
  $('tips').replaceChildren(...tips.map((tip) => h('li', { class: 'question', 'data-tip': tip.id }, h('div', { class: 'body' },
    h('span', { class: 'badge private' }, `#${tip.id}`),
    h('p', { class: 'text' }, tip.text),
    h('p', { class: 'by' }, tip.display_name || t('anonymous'))))));
}

main();
