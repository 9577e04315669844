// The moderator console (/moderate?dialogue=…): review, redact, order and answer.
import {
  Connection, Model, addresseeOptions, announce, focusLater, answerParts, applyStrings, copyText, currentLang, errorText,
  formatTime, h, loadStrings, setupLanguageButton, syncList, t,
} from './common.js';
import { staffCredential } from './session.js';
import { ban as banFlow, renderBanned } from './moderate_bans.js';
import { alertItem, authorOf, burstLabel, panelOwners, editorFor, keyActions, markedText, pollFromForm, tipItem, votesText } from './moderate_parts.js';
import { renderForScreen } from './moderate_screen.js';
import { PendingQueue, flagsRefresher } from './moderate_queue.js';
import { Selection } from './moderate_select.js';
import { walkDesk } from './moderate_walk.js';

const $ = (id) => document.getElementById(id);
const model = new Model();
let conn = null;
let dialogueId = null;
let editing = null; // {id, mode: 'edit' | 'reject' | 'merge' | 'follow' | 'answer'}
let floorReceipt = null; // {id, receipt} of the last floor question, to read out
const queue = new PendingQueue();
const selection = new Selection();
const refreshFlags = flagsRefresher({ model, url: () => `/api/dialogues/${dialogueId}`, render: () => render() });
const alerts = []; // danger alerts not yet acknowledged
const walkView = walkDesk({ model, photoBase: (photo) => `/api/dialogues/${dialogueId}/photos/${photo}` });

async function main() {
  await loadStrings();
  setupLanguageButton(() => {
    applyStrings(document);
    render(true);
  });
  const cred = await staffCredential();
  if (!cred) return;
  ({ dialogueId } = cred);
  $('floor-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    floorQuestion();
  });
  $('poll-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    createPoll();
  });
  $('pending-order').addEventListener('change', () => {
    queue.order = $('pending-order').value;
    render();
  });
  $('pending-more').addEventListener('click', () => queue.more(conn));
  $('poll-kind').addEventListener('change', () => {
    $('poll-options-field').hidden = $('poll-kind').value === 'scale';
  });
  document.addEventListener('keydown', shortcut);
  $('floor-receipt-copy').addEventListener('click', () => floorReceipt && copyText(floorReceipt.receipt, $('floor-receipt-code'), t('receipt_copied', { code: floorReceipt.receipt })));
  conn = new Connection({ ...cred.connection, onMessage, onState: cred.onState });
  // A handle for the browser tests (and for curious developers in the console).
  window.dialoghub = { conn, model };
  conn.start();
}

function onMessage(msg) {
  walkView.onMessage(msg);
  switch (msg.type) {
    case 'welcome':
      dialogueId = msg.dialogue_id;
      break;
    case 'snapshot':
      model.snapshot(msg);
      queue.snapshot(msg, model);
      render();
      break;
    case 'room_code':
      // Read out to the room when someone asks: the screen shows it too.
      $('room-code-line').hidden = false;
      $('room-code-now').textContent = msg.code;
      break;
    case 'pending_page':
      if (queue.page(msg, model)) render();
      break;
    case 'event':
      model.apply(msg.event, msg.by, msg.at);
      if (msg.event.kind === 'question_asked') {
        if (msg.event.flags === undefined) refreshFlags();
        if (!msg.event.approved) announce(t('mod_new_question'));
      }
      // A panelist's written answer waits for a moderator: say so.
      if (msg.event.kind === 'answer_written' && !(msg.by && msg.by.role === 'moderator')) announce(t('mod_new_draft', { n: msg.event.question_id }));
      if (editing && !model.questions.has(editing.id)) editing = null;
      render();
      break;
    case 'live-reset':
      model.liveReset();
      break;
    case 'live':
      model.live(msg);
      renderApproved();
      renderForScreen(model, act);
      break;
    case 'alert':
      alerts.push(msg);
      renderAlerts();
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- actions

async function act(msg, done) {
  $('action-error').textContent = '';
  try {
    const ack = await conn.submit(msg);
    if (done) announce(done);
    return ack;
  } catch (err) {
    $('action-error').textContent = err.code === 'conflict' ? t('err_conflict_mod') : errorText(err);
    return null;
  }
}

const approve = (q, text) => act({ type: 'approve', question_id: q.id, expected: q.status, ...(text ? { text } : {}) }, t('done_approved'));
const reject = (q, reason) => act({ type: 'reject', question_id: q.id, expected: q.status, reason }, t('done_rejected'));
const merge = (q, into) => act({ type: 'merge', question_id: q.id, into, expected: q.status }, t('done_merged'));
const nowAnswering = (id) => act({ type: 'set_now_answering', question_id: id, expected: model.nowAnswering }, id ? t('done_now') : null);
const answered = (q) => act({ type: 'mark_answered', question_id: q.id, expected: q.status }, t('done_answered'));
const archive = (q) => act({ type: 'archive', question_id: q.id, expected: q.status }, t('done_archived'));
const setUpNext = (ids) => act({ type: 'set_up_next', question_ids: ids });
const mute = (id) => act({ type: 'mute', participant_id: id }, t('done_muted'));
const publishAnswer = (q) => act({ type: 'publish_answer', question_id: q.id }, t('done_answer_published'));

async function promise(q, { owner, due }) {
  editing = null;
  if (await act({ type: 'promise_follow_up', question_id: q.id, owner, due }, t('done_follow_up'))) focusLater(`[data-key="${q.id}"]`);
  render();
}

async function writeAnswer(q, text) {
  editing = null;
  if (await act({ type: 'write_answer', question_id: q.id, text }, t('done_answer_written'))) focusLater(`#drafts [data-key="${q.id}"] [data-focus="publish"]`, `[data-key="${q.id}"]`);
  render();
}

const ban = (id) => banFlow(act, id);

const moveToPrivate = (q) => act({ type: 'move_to_private', question_id: q.id, expected: q.status }, t('done_moved'));

async function createPoll() {
  const { msg, error, focus } = pollFromForm($('poll-question').value, $('poll-kind').value, $('poll-options').value);
  $('poll-error').textContent = error || '';
  if (error) {
    $(focus).focus();
    return;
  }
  if (await act(msg, t('done_poll'))) {
    $('poll-question').value = '';
    $('poll-options').value = '';
  }
}

function renderAlerts() {
  $('alerts').replaceChildren(...alerts.map((a, i) => alertItem(a, () => {
    alerts.splice(i, 1);
    renderAlerts();
  })));
}

function renderTips() {
  const tips = [...model.tips.values()].sort((a, b) => b.id - a.id);
  $('tips-empty').hidden = tips.length > 0;
  $('tips').replaceChildren(...tips.map(tipItem));
}

function toggleUpNext(q) {
  const ids = model.upNext.includes(q.id) ? model.upNext.filter((x) => x !== q.id) : [...model.upNext, q.id];
  return setUpNext(ids);
}

function move(id, delta) {
  const ids = [...model.upNext];
  const i = ids.indexOf(id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= ids.length) return;
  [ids[i], ids[j]] = [ids[j], ids[i]];
  setUpNext(ids).then(() => focusLater(`[data-key="${id}"] [data-focus="${delta < 0 ? 'up' : 'down'}"]`, `[data-key="${id}"]`));
}

async function floorQuestion() {
  const text = $('floor-text').value.trim();
  if (!text) {
    $('action-error').textContent = t('err_ask_empty');
    return;
  }
  const msg = { type: 'floor_question', text };
  const to = $('floor-to').value;
  if (to.startsWith('p:')) msg.addressee = { panelist: to.slice(2) };
  else if (to.startsWith('k:')) msg.addressee = { kind: to.slice(2) };
  const ack = await act(msg);
  if (ack) {
    $('floor-text').value = '';
    floorReceipt = ack.receipt ? { id: ack.question_id, receipt: ack.receipt } : null;
    renderFloorReceipt();
    announce(ack.receipt ? `${t('done_floor')} ${t('floor_receipt_say', { code: ack.receipt })}` : t('done_floor'));
  }
}

function renderFloorReceipt() {
  $('floor-receipt').hidden = !floorReceipt;
  if (!floorReceipt) return;
  $('floor-receipt-code').textContent = floorReceipt.receipt;
  $('floor-receipt-link').href = `/r/${encodeURIComponent(floorReceipt.receipt)}`;
}

function openEditor(q, mode) {
  editing = { id: q.id, mode };
  render();
  focusLater(`[data-key="${q.id}"] [data-focus="editor"]`);
}

function closeEditor() {
  const id = editing && editing.id;
  editing = null;
  render();
  if (id !== null) focusLater(`[data-key="${id}"]`);
}

// ---------------------------------------------------------------- keyboard

function shortcut(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const inField = ev.target.closest('input, textarea, select');
  if (ev.key === 'Escape' && editing) {
    ev.preventDefault();
    closeEditor();
    return;
  }
  if (inField) return;
  if (ev.key === 'f') {
    ev.preventDefault();
    $('floor-text').focus();
    return;
  }
  const card = ev.target.closest('[data-key][data-qid]');
  if (!card) return;
  const q = model.questions.get(Number(card.dataset.qid));
  if (!q) return;
  const cards = [...document.querySelectorAll('[data-key][data-qid]')];
  const i = cards.indexOf(card);
  const handlers = keyActions(q, {
    next: () => cards[Math.min(cards.length - 1, i + 1)].focus(),
    previous: () => cards[Math.max(0, i - 1)].focus(),
    approve: (text) => approveAndFocus(q, text),
    open: (mode) => openEditor(q, mode),
    upNext: () => toggleUpNext(q),
    now: () => nowAnswering(q.id),
    answered: () => answered(q),
  });
  const handler = handlers[ev.key];
  if (handler) {
    ev.preventDefault();
    handler();
  }
}

/** After approving from the keyboard, the next pending question gets focus. */
async function approveAndFocus(q, text) {
  const cards = [...document.querySelectorAll('#pending [data-key]')];
  const i = cards.findIndex((c) => c.dataset.key === String(q.id));
  // The one after it, or (at the end of the list) the one before: still to review.
  const next = cards[i + 1] ?? cards[i - 1];
  if (await approve(q, text)) {
    if (next && document.contains(next)) next.focus();
    else $('pending-heading').focus();
  }
}

// ---------------------------------------------------------------- rendering

function render(force) {
  if (force) for (const ul of document.querySelectorAll('#pending, #upnext, #approved, #drafts, #answered-list')) ul.replaceChildren();
  const d = model.dialogue;
  if (d) {
    $('title').textContent = `${t('page_moderator')}: ${d.title}`;
    document.title = `${t('page_moderator')} – ${d.title}`;
    $('dialogue-meta').textContent = [d.title, t(`phase_${d.phase}`), formatTime(d.starts_at)].filter(Boolean).join(' · ');
  }
  renderNow();
  renderPending();
  renderUpNext();
  renderApproved();
  renderDrafts();
  renderAnswered();
  renderFloorAddressees();
  renderFloorReceipt();
  renderForScreen(model, act);
  renderTips();
  walkView.render();
  renderBanned(model, act);
}

function renderNow() {
  const q = model.current();
  $('now').classList.toggle('empty', !q);
  const text = q ? q.text : t('now_none');
  if ($('now-text').textContent !== text) $('now-text').textContent = text;
  const actions = q
    ? [h('button', { type: 'button', onclick: () => answered(q) }, t('action_answered')),
        h('button', { type: 'button', class: 'secondary', onclick: () => nowAnswering(null) }, t('action_stop_now'))]
    : [];
  $('now-actions').replaceChildren(...actions);
}

/** The author's text with each flagged span marked; offsets are in code points. */
const authorLine = (q) => authorOf(q, model);

function card(q, inner, labelExtra) {
  const textId = `q${q.id}-text`;
  return h('li', { class: `question${model.nowAnswering === q.id ? ' is-now' : ''}`, tabindex: '0', 'data-qid': q.id, 'aria-labelledby': `${textId}` },
    h('div', { class: 'body' }, labelExtra, inner(textId)));
}

function sigOf(q, extra) {
  return JSON.stringify([currentLang(), q.text, q.status, q.flags, q.redacted_text, q.private_signals, q.burst, q.author && model.muted.has(q.author.id), q.author && model.banned.has(q.author.id), editing && editing.id === q.id ? editing.mode : null, q.answer, q.answer_draft, q.follow_up, extra]);
}

function renderPending() {
  const pending = queue.sorted(model);
  const total = queue.total(model);
  $('pending-count').textContent = String(total);
  $('pending-empty').hidden = total > 0;
  $('pending-shown').textContent = pending.length < total ? t('pending_shown', { shown: pending.length, total }) : '';
  $('pending-more').hidden = !queue.hasMore();
  const mergeTargets = model.byStatus('approved');
  selection.prune(model);
  selection.renderBar($('bulk'), { shown: pending, onChange: () => renderPending(), submit: (msg) => act(msg) });
  syncList($('pending'), pending.map((q) => ({
    key: q.id,
    sig: sigOf(q, [selection.has(q.id), editing && editing.id === q.id && editing.mode === 'merge' ? mergeTargets.map((x) => x.id) : null]),
    render: () => pendingCard(q),
  })));
}

function pendingCard(q) {
  return card(q, (textId) => {
    const flagged = q.flags && q.flags.length > 0;
    const kinds = flagged ? [...new Set(q.flags.map((f) => t(`flag_${f.kind}`)))].join(', ') : '';
    const author = q.author && q.author.role === 'participant' ? q.author.id : null;
    // With personal data found, masking is the first offer and publishing as written the exception.
    const masked = flagged && q.redacted_text;
    const buttons = [
      masked
        ? h('button', { type: 'button', 'data-focus': 'redact', onclick: () => approveAndFocus(q, q.redacted_text) }, t('action_approve_redacted'), h('kbd', { 'aria-hidden': 'true' }, 'r'))
        : null,
      h('button', { type: 'button', class: masked ? 'secondary' : '', 'data-focus': 'approve', onclick: () => approveAndFocus(q) },
        t(masked ? 'action_approve_unmasked' : 'action_approve'), h('kbd', { 'aria-hidden': 'true' }, 'a')),
      h('button', { type: 'button', class: 'secondary', 'data-focus': 'edit', onclick: () => openEditor(q, 'edit') }, t('action_edit'), h('kbd', { 'aria-hidden': 'true' }, 'e')),
      h('button', { type: 'button', class: 'danger', 'data-focus': 'reject', onclick: () => openEditor(q, 'reject') }, t('action_reject'), h('kbd', { 'aria-hidden': 'true' }, 'x')),
      h('button', { type: 'button', class: 'secondary', 'data-focus': 'merge', onclick: () => openEditor(q, 'merge') }, t('action_merge'), h('kbd', { 'aria-hidden': 'true' }, 'm')),
      h('button', { type: 'button', class: q.private_signals && q.private_signals.length ? '' : 'secondary', 'data-focus': 'private', onclick: () => moveToPrivate(q) }, t('action_move_private')),
      author && !model.muted.has(author) ? h('button', { type: 'button', class: 'secondary small', 'data-focus': 'mute', onclick: () => mute(author) }, t('action_mute')) : null,
      author && !model.banned.has(author) ? h('button', { type: 'button', class: 'danger small', 'data-focus': 'ban', onclick: () => ban(author) }, t('action_ban')) : null,
    ];
    return [
      h('p', { class: 'text', id: textId }, markedText(q)),
      flagged ? h('p', { class: 'flags' }, t('flags_found', { kinds })) : null,
      q.private_signals && q.private_signals.length
        ? h('p', { class: 'private-signals' }, t('private_signals_found', { signals: q.private_signals.map((x) => t(`signal_${x}`)).join(', ') }))
        : null,
      flagged && q.redacted_text ? h('p', { class: 'hint' }, t('redacted_preview', { text: q.redacted_text })) : null,
      h('p', { class: 'by' }, authorLine(q), q.burst ? ' ' : null, burstLabel(q)),
      h('div', { class: 'actions' }, buttons),
      editing && editing.id === q.id ? editor(q) : null,
    ];
  }, [selection.box(q, () => renderPending()), h('span', { class: 'badge pending' }, `#${q.id}`)]);
}

function editor(q) {
  const done = (f) => (...args) => { editing = null; f(...args); };
  return editorFor(q, editing.mode, {
    targets: model.byStatus('approved').filter((x) => x.id !== q.id),
    owners: panelOwners(model),
    onCancel: closeEditor,
    onApprove: done((text) => approveAndFocus(q, text)),
    onReject: done((reason) => reject(q, reason)),
    onMerge: done((into) => merge(q, into)),
    onPromise: (f) => promise(q, f),
    onAnswer: (text) => writeAnswer(q, text),
  });
}

function renderUpNext() {
  const ids = model.upNext.filter((id) => model.questions.has(id));
  $('upnext-empty').hidden = ids.length > 0;
  syncList($('upnext'), ids.map((id, i) => {
    const q = model.questions.get(id);
    return {
      key: id,
      sig: sigOf(q, [i, ids.length, votesText(model, id)]),
      render: () => card(q, (textId) => [
        h('p', { class: 'text', id: textId }, q.text),
        h('p', { class: 'by' }, `${authorLine(q)} · ${votesText(model, id)}`),
        h('div', { class: 'actions' },
          h('button', { type: 'button', 'data-focus': 'now', onclick: () => nowAnswering(id) }, t('action_now'), h('kbd', { 'aria-hidden': 'true' }, 'n')),
          h('button', { type: 'button', class: 'secondary small', 'data-focus': 'up', disabled: i === 0, 'aria-label': t('action_up_label', { n: id }), onclick: () => move(id, -1) }, t('action_up')),
          h('button', { type: 'button', class: 'secondary small', 'data-focus': 'down', disabled: i === ids.length - 1, 'aria-label': t('action_down_label', { n: id }), onclick: () => move(id, 1) }, t('action_down')),
          h('button', { type: 'button', class: 'secondary small', 'data-focus': 'unqueue', onclick: () => toggleUpNext(q) }, t('action_unqueue'), h('kbd', { 'aria-hidden': 'true' }, 'u'))),
      ], h('span', { class: 'badge' }, `${i + 1}. #${id}`)),
    };
  }));
}

function renderApproved() {
  const list = model.popular().filter((q) => !model.upNext.includes(q.id) && q.id !== model.nowAnswering);
  $('approved-empty').hidden = list.length > 0;
  syncList($('approved'), list.map((q) => ({
    key: q.id,
    sig: sigOf(q, votesText(model, q.id)),
    render: () => card(q, (textId) => [
      h('p', { class: 'text', id: textId }, q.text),
      q.original_text ? h('p', { class: 'hint' }, t('edited_note')) : null,
      h('p', { class: 'by' }, `${authorLine(q)} · ${votesText(model, q.id)}`),
      h('div', { class: 'actions' },
        h('button', { type: 'button', 'data-focus': 'queue', onclick: () => toggleUpNext(q) }, t('action_queue'), h('kbd', { 'aria-hidden': 'true' }, 'u')),
        h('button', { type: 'button', class: 'secondary', 'data-focus': 'now', onclick: () => nowAnswering(q.id) }, t('action_now'), h('kbd', { 'aria-hidden': 'true' }, 'n')),
        h('button', { type: 'button', class: 'secondary', 'data-focus': 'answered', onclick: () => answered(q) }, t('action_answered'), h('kbd', { 'aria-hidden': 'true' }, 'd')),
        h('button', { type: 'button', class: 'secondary small', 'data-focus': 'archive', onclick: () => archive(q) }, t('action_archive'))),
      afterwards(q),
      editing && editing.id === q.id ? editor(q) : null,
    ], h('span', { class: 'badge approved' }, `#${q.id}`)),
  })));
}

/** A question's written answer (draft and published) and follow-up, with the actions for them. */
function afterwards(q) {
  const unpublished = q.answer_draft && q.answer_draft !== q.answer;
  return [
    answerParts(q),
    unpublished ? h('div', { class: 'draft-answer' },
      h('p', { class: 'label' }, t('draft_answer_label')),
      h('p', {}, q.answer_draft)) : null,
    h('div', { class: 'actions' },
      unpublished ? h('button', { type: 'button', 'data-focus': 'publish', onclick: () => publishAnswer(q) }, t('action_publish_answer')) : null,
      h('button', { type: 'button', class: 'secondary small', 'data-focus': 'write', onclick: () => openEditor(q, 'answer') }, t(q.answer_draft ? 'action_edit_answer' : 'action_write_answer'), h('kbd', { 'aria-hidden': 'true' }, 'w')),
      q.follow_up ? null : h('button', { type: 'button', class: 'secondary small', 'data-focus': 'follow', onclick: () => openEditor(q, 'follow') }, t('action_promise'), h('kbd', { 'aria-hidden': 'true' }, 'p'))),
  ];
}

/** Written answers waiting for a moderator to publish them. */
function renderDrafts() {
  const list = [...model.questions.values()].filter((q) => q.answer_draft && q.answer_draft !== q.answer && (q.status === 'approved' || q.status === 'answered')).sort((a, b) => a.id - b.id);
  $('drafts-section').hidden = list.length === 0;
  $('drafts-count').textContent = String(list.length);
  syncList($('drafts'), list.map((q) => ({
    key: q.id,
    sig: sigOf(q, 'draft'),
    // Not a focusable card: the question itself is listed below too, with all its actions.
    render: () => h('li', { class: 'question', 'data-draft': q.id }, h('div', { class: 'body' },
      h('span', { class: 'badge approved' }, `#${q.id}`),
      h('p', { class: 'text' }, q.text),
      h('div', { class: 'draft-answer' }, h('p', { class: 'label' }, t('draft_answer_label')), h('p', {}, q.answer_draft)),
      q.answer ? h('p', { class: 'hint' }, t('draft_replaces')) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', 'data-focus': 'publish', 'aria-label': t('action_publish_answer_n', { n: q.id }), onclick: () => publishAnswer(q) }, t('action_publish_answer'))))),
  })));
}

/** Answered questions: a written answer or a follow-up may still come. */
function renderAnswered() {
  const list = model.byStatus('answered').sort((a, b) => b.id - a.id);
  $('answered-section').hidden = list.length === 0;
  syncList($('answered-list'), list.map((q) => ({
    key: q.id,
    sig: sigOf(q),
    render: () => card(q, (textId) => [
      h('p', { class: 'text', id: textId }, q.text),
      h('p', { class: 'by' }, authorLine(q)),
      afterwards(q),
      editing && editing.id === q.id ? editor(q) : null,
    ], h('span', { class: 'badge answered' }, `#${q.id}`)),
  })));
}

function renderFloorAddressees() {
  const select = $('floor-to');
  const before = select.value;
  select.replaceChildren(...addresseeOptions((model.dialogue && model.dialogue.panel) || []));
  select.value = [...select.options].some((o) => o.value === before) ? before : '';
}

main();
