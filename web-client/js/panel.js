// The panelist dashboard (/panel#token=…): the current question large, what is next, what is for me.
import {
  Connection, Model, addresseeLabel, applyStrings, claimsOf, currentLang, errorText, h,
  loadStrings, setupLanguageButton, showConnection, syncList, t, tokenFromFragment,
} from './common.js';

const $ = (id) => document.getElementById(id);
const model = new Model();
let conn = null;
let me = null;

async function main() {
  await loadStrings();
  setupLanguageButton(() => {
    applyStrings(document);
    render(true);
  });
  const token = tokenFromFragment('dialoghub.panelist.token');
  if (!token) {
    $('no-token').hidden = false;
    return;
  }
  me = claimsOf(token).sub;
  conn = new Connection({ token, onMessage, onState: showConnection });
  // A handle for the browser tests (and for curious developers in the console).
  window.dialoghub = { conn, model };
  conn.start();
}

function onMessage(msg) {
  if (msg.type === 'welcome') me = msg.you;
  else if (msg.type === 'snapshot') model.snapshot(msg);
  else if (msg.type === 'event') model.apply(msg.event, msg.by, msg.at);
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

function item(q, extra) {
  const panel = (model.dialogue && model.dialogue.panel) || [];
  const meta = [q.display_name || t('anonymous'), addresseeLabel(q.addressee, panel), t('votes_n', { n: model.tally(q.id) })].filter(Boolean).join(' · ');
  return h('li', { class: 'question' }, h('div', { class: 'body' },
    extra,
    forMe(q) ? h('span', { class: 'badge to-me' }, t('badge_to_me')) : null,
    h('p', { class: 'text' }, q.text),
    h('span', { class: 'by' }, meta)));
}

const sig = (q, extra) => JSON.stringify([currentLang(), q.text, q.status, model.tally(q.id), forMe(q), extra]);

function render(force) {
  if (force) for (const ul of document.querySelectorAll('#next, #tome, #all')) ul.replaceChildren();
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
  syncList($('all'), open.map((x) => ({ key: x.id, sig: sig(x), render: () => item(x) })));
  const tips = [...model.tips.values()].sort((a, b) => b.id - a.id);
  $('tips-section').hidden = tips.length === 0;
  $('tips').replaceChildren(...tips.map((tip) => h('li', { class: 'question', 'data-tip': tip.id }, h('div', { class: 'body' },
    h('span', { class: 'badge private' }, `#${tip.id}`),
    h('p', { class: 'text' }, tip.text),
    h('p', { class: 'by' }, tip.display_name || t('anonymous'))))));
}

main();
