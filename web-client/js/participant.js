// The participant page (/ and /j/CODE): join, ask, upvote, follow "now answering".
import {
  Connection, Model, addresseeOptions, copyText, currentLang, syncList, announce, applyStrings, errorText,
  formatTime, h, langQuery, loadStrings, safeGet, safeSet, setupLanguageButton, showConnection, t,
} from './common.js';
import {
  codeFromPath, fateOf, joinDialogue, keepReceipt as keepReceiptIn,
  loadReceipts, mineItem, pollItem, postItem, questionItem, renderCrimeNotes, tipItem, unsentItem,
} from './participant_parts.js';
import { notePolls, renderDangerAdvice, renderStream, setupAskJump } from './participant_layout.js';
import { renderJoin, showJoin } from './participant_join.js';
import { noteRoom, renderRoom, setupRoom } from './participant_room.js';

const $ = (id) => document.getElementById(id);
const model = new Model();
const mine = new Map(); // question id -> {id, text, status, reason, merged_into}
const myTips = new Map(); // tip id -> text, sent privately from this page
const myAnswers = new Map(); // poll id -> choices this participant sent
let safety = { emergency_number: '112', police_number: '114 14', danger_phrases: [] };
let myVotes = new Set();
let conn = null;
let code = null;
let session = null;
let sort = safeGet('dialoghub.sort') === 'recent' ? 'recent' : 'popular';
let lastNow = undefined;
// Receipt codes of my questions, kept in this browser: question id -> {receipt, text, fate}.
let receipts = new Map();
let lastReceipt = null; // the receipt just received, shown large with a copy button

const sessionKey = () => `dialoghub.participant.${code}`;
const draftKey = () => `dialoghub.draft.${code}`;
const receiptsKey = () => `dialoghub.receipts.${code}`;

function keepReceipt(id, receipt, text, fate) {
  keepReceiptIn(receipts, receiptsKey(), id, receipt, text, fate);
}

async function main() {
  // A link from a server-rendered page carries its language (`?lang=ar`): the visitor chose it there.
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked) safeSet('dialoghub.lang', asked);
  await loadStrings(asked, 'public');
  setupLanguageButton(() => {
    applyStrings(document);
    renderCrimeNotes(safety);
    render();
    if (!$('join-view').hidden) renderJoin(model.dialogue, code);
  });
  renderCrimeNotes(safety);
  // The numbers are the deployment's (configurable); the defaults above are Sweden's.
  fetch('/api/safety')
    .then((r) => (r.ok ? r.json() : null))
    .then((numbers) => {
      if (numbers) safety = numbers;
      renderCrimeNotes(safety);
    })
    .catch(() => {});
  setupForms();
  $('receipt-copy').addEventListener('click', () => lastReceipt && copyText(lastReceipt, $('receipt-code'), t('receipt_copied', { code: lastReceipt })));
  code = codeFromPath();
  if (!code) {
    showJoin(null, code, false);
    return;
  }
  try {
    session = JSON.parse(safeGet(sessionKey()) || 'null');
  } catch {
    session = null;
  }
  if (session) {
    start();
    return;
  }
  const res = await fetch(`/api/public/${encodeURIComponent(code)}`);
  if (!res.ok) {
    showJoin(null, code, false, t('err_no_dialogue'));
    $('join-code').value = code;
    return;
  }
  model.snapshot(await res.json());
  renderHeader();
  showJoin(model.dialogue, code, true);
}

function setupForms() {
  $('join-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const typed = $('code-field').hidden ? code : $('join-code').value.trim().toUpperCase().replace(/[\s-]/g, '');
    if (!typed) {
      $('join-error').textContent = t('err_code_empty');
      $('join-code').focus();
      return;
    }
    const location_ = new FormData($('join-form')).get('location') || 'in_room';
    const { joined, error } = await joinDialogue(typed, location_);
    if (error) {
      $('join-error').textContent = error;
      return;
    }
    code = typed;
    session = { token: joined.token, dialogue_id: joined.dialogue_id, participant_id: joined.participant_id, location: location_ };
    safeSet(sessionKey(), JSON.stringify(session));
    if (location.pathname !== `/j/${code}`) history.replaceState(null, '', `/j/${code}`);
    start();
  });

  const text = $('ask-text');
  text.addEventListener('input', () => {
    safeSet(draftKey(), text.value || null);
    renderCount();
  });
  setupAskJump();
  $('ask-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    ask();
  });
  setupRoom((msg) => conn.submit(msg));
  $('sort-popular').addEventListener('click', () => setSort('popular'));
  $('sort-recent').addEventListener('click', () => setSort('recent'));
}

function setSort(s) {
  sort = s;
  safeSet('dialoghub.sort', s);
  renderQuestions();
}

function start() {
  receipts = loadReceipts(receiptsKey());
  $('join-view').hidden = true;
  $('dialogue-view').hidden = false;
  $('ask-text').value = safeGet(draftKey()) || '';
  conn = new Connection({
    token: session.token,
    location: session.location,
    pendingKey: `dialoghub.pending.${code}`,
    onMessage,
    onState: (state, closeCode) => {
      showConnection(state, closeCode);
      if (state === 'closed' && (closeCode === 4401 || closeCode === 4404)) {
        // The identity is no longer valid (e.g. an expired token): start afresh.
        safeSet(sessionKey(), null);
      }
      renderAskState();
    },
  });
  // Questions typed before a reload and never acknowledged go out again with their ids.
  conn.onRestoredAck = (msg, ack) => gotAck(msg, ack);
  conn.onRestoredError = (msg, err) => askFailed(msg, err);
  // A handle for the browser tests (and for curious developers in the console).
  window.dialoghub = { conn, model };
  conn.start();
  render();
}

function onMessage(msg) {
  switch (msg.type) {
    case 'welcome':
      mine.clear();
      for (const q of msg.mine) {
        mine.set(q.id, { ...q });
        keepReceipt(q.id, q.receipt, q.text, q.fate);
      }
      myVotes = new Set(msg.my_votes);
      myAnswers.clear();
      for (const a of msg.my_answers || []) myAnswers.set(a.poll_id, a.choices);
      noteRoom(msg);
      $('ask-text').maxLength = msg.max_question_chars;
      break;
    case 'snapshot':
      model.snapshot(msg);
      syncMineFromModel();
      render();
      break;
    case 'event':
      model.apply(msg.event, msg.by, msg.at);
      followMine(msg.event);
      render();
      break;
    case 'live-reset':
      model.liveReset();
      break;
    case 'live':
      model.live(msg);
      renderQuestions();
      renderPolls();
      break;
    case 'notice': {
      const q = mine.get(msg.question_id);
      if (q) {
        q.status = msg.status;
        q.reason = msg.reason;
        if (msg.status === 'rejected') announce(t('fate_rejected', { reason: t(`reason_${msg.reason || 'other'}`) }));
        if (msg.status === 'moved_to_private') announce(t('fate_moved_to_private'));
      }
      renderMine();
      break;
    }
    default:
      break;
  }
}

/** Keeps the fate of my questions in step with public events, and says it out loud. */
function followMine(e) {
  const id = e.question_id ?? (e.question && e.question.id);
  const q = mine.get(id);
  if (e.kind === 'now_answering' && mine.has(e.question_id)) announce(t('fate_now'));
  if (!q) return;
  if (e.kind === 'answer_published') announce(t('fate_written'));
  if (e.kind === 'follow_up_promised') announce(t('fate_follow_up', { owner: e.owner }));
  if (e.kind === 'follow_up_done') announce(t('fate_follow_up_done'));
  const before = q.status;
  if (e.kind === 'question_published') q.status = e.question.status;
  else if (e.kind === 'question_answered') q.status = 'answered';
  else if (e.kind === 'question_merged') {
    q.status = 'merged';
    q.merged_into = e.into;
  } else if (e.kind === 'question_archived') q.status = 'archived';
  else if (e.kind === 'question_rejected' && q.status !== 'moved_to_private') q.status = 'rejected';
  if (q.status !== before && q.status !== 'rejected') announce(t(`fate_${q.status}`));
}

function syncMineFromModel() {
  for (const q of mine.values()) {
    const m = model.questions.get(q.id);
    if (m && q.status === 'pending') q.status = m.status;
  }
}

function ask() {
  const text = $('ask-text').value.trim();
  $('ask-error').textContent = '';
  if (!text) {
    $('ask-error').textContent = t('err_ask_empty');
    $('ask-text').focus();
    return;
  }
  const name = $('ask-name').value.trim();
  renderDangerAdvice(text, safety, true);
  if ($('ask-private').checked) {
    sendTip(text, name);
    return;
  }
  const msg = { type: 'ask', text, origin: session.location };
  if (name) msg.display_name = name;
  const to = $('ask-to').value;
  if (to.startsWith('p:')) msg.addressee = { panelist: to.slice(2) };
  else if (to.startsWith('k:')) msg.addressee = { kind: to.slice(2) };
  // The next question starts afresh: it must not silently go to the same panelist.
  $('ask-to').value = '';
  $('ask-text').value = '';
  safeSet(draftKey(), null);
  renderCount();
  conn.submit(msg).then((ack) => gotAck(msg, ack), (err) => askFailed(msg, err));
  if (!conn.connected) announce(t('ask_waiting'));
  renderMine();
}

/** A private message to the panel: never public. */
function sendTip(text, name) {
  const msg = { type: 'send_tip', text };
  if (name) msg.display_name = name;
  $('ask-text').value = '';
  $('ask-private').checked = false;
  safeSet(draftKey(), null);
  renderCount();
  conn.submit(msg).then((ack) => {
    myTips.set(ack.tip_id, text);
    announce(t('tip_sent'));
    renderMine();
  }, (err) => askFailed(msg, err));
}

function answerPoll(poll, form) {
  const choices = [...form.querySelectorAll('input:checked')].map((i) => Number(i.value));
  const error = form.querySelector('.error-line');
  if (!choices.length) {
    error.textContent = t('poll_pick');
    return;
  }
  error.textContent = '';
  conn.submit({ type: 'answer_poll', poll_id: poll.id, choices }).then(() => {
    myAnswers.set(poll.id, choices);
    announce(t('poll_saved'));
    renderPolls();
  }, (err) => {
    error.textContent = errorText(err);
  });
}

function renderPolls() {
  const polls = model.pollsIn('open', 'closed').filter((p) => p.state === 'open' || model.pollResultsPublic(p));
  notePolls(polls.filter((p) => p.state === 'open' && !myAnswers.has(p.id)).map((p) => p.id));
  $('polls-section').hidden = polls.length === 0;
  const box = $('polls');
  // Keep a form being filled in: re-render only when what it shows changed.
  const sig = JSON.stringify([currentLang(), polls, polls.map((p) => (model.pollResultsPublic(p) ? model.pollResults(p.id) : null)), [...myAnswers]]);
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.replaceChildren(...polls.map((poll) => {
    const results = model.pollResultsPublic(poll) ? model.pollResults(poll.id) : null;
    return pollItem(poll, results, myAnswers.get(poll.id) || [], answerPoll);
  }));
}

function gotAck(msg, ack) {
  if (ack.question_id === undefined) return;
  if (ack.receipt) keepReceipt(ack.question_id, ack.receipt, msg.text);
  if (!mine.has(ack.question_id)) {
    const published = model.questions.get(ack.question_id);
    mine.set(ack.question_id, { id: ack.question_id, text: msg.text, status: published ? published.status : 'pending', reason: null, receipt: ack.receipt });
    if (ack.receipt) {
      lastReceipt = ack.receipt;
      renderReceipt();
      announce(`${t('fate_sent')} ${t('receipt_yours', { code: ack.receipt })}`);
    } else {
      announce(t('fate_sent'));
    }
  }
  renderMine();
}

function askFailed(msg, err) {
  // Give the words back, so nothing typed is lost.
  if (!$('ask-text').value) {
    $('ask-text').value = msg.text;
    safeSet(draftKey(), msg.text);
  }
  $('ask-error').textContent = errorText(err);
  renderMine();
}

function vote(id) {
  const on = !myVotes.has(id);
  if (on) myVotes.add(id);
  else myVotes.delete(id);
  renderQuestions();
  conn.submit({ type: 'vote', question_id: id, on }).catch(() => {
    if (on) myVotes.delete(id);
    else myVotes.add(id);
    renderQuestions();
  });
}

// ---------------------------------------------------------------- rendering

function render() {
  renderHeader();
  renderReceipt();
  renderPosts();
  renderNow();
  renderStream(model.dialogue, session && session.location);
  renderRoom(model.dialogue);
  renderAddressees();
  renderAskState();
  renderMine();
  renderQuestions();
  renderCount();
  renderPolls();
}

function renderHeader() {
  if (code) $('public-link').href = `/d/${encodeURIComponent(code)}${langQuery()}`;
  const d = model.dialogue;
  if (!d) return;
  $('dialogue-title').textContent = d.title;
  $('title').textContent = d.title;
  document.title = `${d.title} – ${t('brand')}`;
  $('dialogue-meta').textContent = [formatTime(d.starts_at), d.venue].filter(Boolean).join(' · ');
}

function renderNow() {
  const q = model.current();
  const box = $('now');
  box.classList.toggle('empty', !q);
  const text = q ? q.text : t('now_none');
  if ($('now-text').textContent !== text) {
    $('now-text').textContent = text;
    if (q && lastNow !== undefined && lastNow !== q.id) {
      box.classList.remove('flash');
      void box.offsetWidth;
      box.classList.add('flash');
    }
  }
  lastNow = q ? q.id : null;
}

function renderAddressees() {
  const select = $('ask-to');
  const before = select.value;
  const panel = (model.dialogue && model.dialogue.panel) || [];
  select.replaceChildren(...addresseeOptions(panel));
  select.value = [...select.options].some((o) => o.value === before) ? before : '';
}

function renderAskState() {
  const phase = model.dialogue && model.dialogue.phase;
  const note = $('phase-note');
  note.hidden = phase === 'live' || !phase;
  if (phase === 'open') note.textContent = t('phase_open_note');
  if (phase === 'closed') {
    // After the meeting the public page is its record: every question's fate, the answers, the follow-ups.
    note.replaceChildren(t('phase_closed_note'), ' ', h('a', { href: `/d/${encodeURIComponent(code)}${langQuery()}` }, t('record_link')));
  }
  const closed = phase === 'closed';
  $('ask-form').hidden = closed;
  $('ask-jump').hidden = closed || !phase;
  $('ask-waiting').hidden = !conn || conn.connected || conn.waiting('ask').length === 0;
}

function renderCount() {
  renderDangerAdvice($('ask-text').value, safety);
  const max = $('ask-text').maxLength > 0 ? $('ask-text').maxLength : 500;
  $('ask-count').textContent = t('chars_left', { n: max - [...$('ask-text').value].length });
}

function renderReceipt() {
  $('receipt-box').hidden = !lastReceipt;
  if (!lastReceipt) return;
  $('receipt-code').textContent = lastReceipt;
  $('receipt-link').href = `/r/${encodeURIComponent(lastReceipt)}${langQuery()}`;
}

function renderPosts() {
  const posts = model.postList();
  $('posts-section').hidden = posts.length === 0;
  syncList($('posts'), posts.map((p) => ({
    key: p.id,
    sig: JSON.stringify([currentLang(), p.text, p.source, p.link, p.edited_at, p.data]),
    render: () => postItem(p, model.dialogue && model.dialogue.code),
  })));
}

function renderMine() {
  const list = $('mine');
  const items = [];
  for (const msg of conn ? conn.waiting('ask') : []) {
    items.push(unsentItem(msg.text));
  }
  const ids = new Set([...mine.keys(), ...receipts.keys()]);
  for (const id of [...ids].sort((a, b) => b - a)) {
    const q = mine.get(id) || { id, text: receipts.get(id).text, status: null };
    const r = receipts.get(id);
    const receipt = q.receipt || (r && r.receipt);
    const fateNow = fateOf(id, model, mine, receipts);
    if (r && r.fate !== fateNow && receipt) keepReceipt(id, receipt, q.text, fateNow);
    const shown = model.questions.get(q.id);
    items.push(mineItem(q, { fate: fateNow, receipt, shown, isNow: model.nowAnswering === q.id, langQuery: langQuery() }));
  }
  for (const [id, text] of [...myTips].sort((a, b) => b[0] - a[0])) items.push(tipItem(id, text));
  list.replaceChildren(...items);
  $('mine-empty').hidden = items.length > 0;
}

function renderQuestions() {
  const list = $('questions');
  $('sort-popular').setAttribute('aria-pressed', String(sort === 'popular'));
  $('sort-recent').setAttribute('aria-pressed', String(sort === 'recent'));
  const questions = sort === 'popular' ? model.popular() : model.recent();
  syncList(list, questions.map((q) => ({ key: q.id, sig: questionSig(q), render: () => questionItem(q, questionShown(q), vote) })));
  $('questions-empty').hidden = questions.length > 0;
  const answered = model.byStatus('answered');
  $('answered-section').hidden = answered.length === 0;
  $('answered').replaceChildren(...answered.map((q) => questionItem(q, questionShown(q), null)));
}

function questionSig(q) {
  return JSON.stringify([currentLang(), q.text, q.status, q.display_name, q.addressee, model.tally(q.id), myVotes.has(q.id), model.nowAnswering === q.id, mine.has(q.id), q.answer, q.follow_up]);
}

function questionShown(q) {
  return {
    isNow: model.nowAnswering === q.id,
    count: model.tally(q.id),
    pressed: myVotes.has(q.id),
    isMine: mine.has(q.id),
    panel: (model.dialogue && model.dialogue.panel) || [],
  };
}

main();
