// The venue screen (/screen?dialogue=…): read-only, for a projector at the back of the room.
import {
  Connection, Model, addresseeLabel, applyStrings, h, loadStrings, percent, setupLanguageButton,
  t,
} from './common.js';
import { postChart } from './post_chart.js';
import { staffCredential } from './session.js';

const $ = (id) => document.getElementById(id);
const model = new Model();
let roomCode = null; // the code of now (`room_code`): shown to the room, never sent to participants

async function main() {
  await loadStrings(new URLSearchParams(location.hash.slice(1)).get('lang'));
  setupLanguageButton(() => {
    applyStrings(document);
    render();
  });
  const cred = await staffCredential();
  if (!cred) return;
  const conn = new Connection({ ...cred.connection, onMessage, onState: cred.onState });
  // A handle for the browser tests (and for curious developers in the console).
  window.dialoghub = { conn, model };
  conn.start();
}

function onMessage(msg) {
  if (msg.type === 'snapshot') model.snapshot(msg);
  else if (msg.type === 'event') model.apply(msg.event, msg.by, msg.at);
  else if (msg.type === 'live-reset') model.liveReset();
  else if (msg.type === 'live') model.live(msg);
  else if (msg.type === 'room_code') roomCode = msg.code;
  else return;
  render();
}

function render() {
  const d = model.dialogue;
  if (!d) return;
  $('title').textContent = d.title;
  document.title = `${d.title} – ${t('page_screen')}`;
  // In the room: those who entered the room code and those who only said so.
  const inRoom = model.present.in_room + (model.present.verified || 0);
  $('present').textContent = t('screen_present', { in_room: inRoom, remote: model.present.remote });
  const q = model.current();
  const text = q ? q.text : d.phase === 'closed' ? t('screen_closed') : t('now_none');
  if ($('now-text').textContent !== text) $('now-text').textContent = text;
  $('now-by').textContent = q ? [q.display_name || t('anonymous'), addresseeLabel(q.addressee, d.panel)].filter(Boolean).join(' · ') : '';
  // Exactly what the moderator queued, in the moderator's order: the room is told nothing the moderator cannot see.
  const next = model.next(3);
  $('next').replaceChildren(...next.map((x) => h('li', {}, h('span', {}, x.text))));
  $('next').hidden = next.length === 0;
  $('next-empty').hidden = next.length > 0;
  $('code').textContent = d.code;
  $('join-url').replaceChildren(location.host, h('wbr'), h('span', { class: 'path' }, `/j/${d.code}`));
  if ($('qr').getAttribute('src') !== `/qr/${d.code}`) $('qr').src = `/qr/${d.code}`;
  $('qr').alt = t('qr_alt', { code: d.code });
  const showRoom = Boolean(roomCode) && (d.phase === 'open' || d.phase === 'live');
  $('screen-room').hidden = !showRoom;
  if (showRoom) $('room-code').textContent = roomCode;
  renderPoll();
  renderShownPost();
}

let shownSig = null;

/** The post a moderator shows: its text, its chart large, its source. */
function renderShownPost() {
  const p = model.shownPost !== null ? model.posts.get(model.shownPost) : null;
  $('screen-post').hidden = !p;
  document.body.classList.toggle('post-shown', Boolean(p));
  if (!p) return;
  // Drawn again only when the post changes, so the picture does not flicker with every vote.
  const sig = JSON.stringify([p.id, p.text, p.source, p.data, document.documentElement.lang]);
  if (sig === shownSig) return;
  shownSig = sig;
  $('screen-post-text').textContent = p.text;
  const chart = postChart(p, model.dialogue.code);
  // The room reads the picture; the table stays for a screen reader only.
  if (chart) chart.querySelector('.scroll').className = 'visually-hidden';
  $('screen-post-chart').replaceChildren(...(chart ? [chart] : []));
  $('screen-post-source').textContent = `${t('rec_source')} ${p.source}`;
}

/** The poll whose results a moderator shows: the open one first, else the latest. */
function renderPoll() {
  const shown = model.pollsIn('open', 'closed').filter((p) => model.pollResultsPublic(p));
  const poll = shown.find((p) => p.state === 'open') || shown[shown.length - 1];
  const results = poll ? model.pollResults(poll.id) : null;
  $('screen-poll').hidden = !results;
  document.body.classList.toggle('poll-shown', Boolean(results));
  if (!results) return;
  $('poll-question').textContent = poll.question;
  const total = results.respondents || 0;
  $('poll-results').replaceChildren(...poll.options.map((option, i) => {
    const n = results.counts[i] || 0;
    const pct = percent(n, total);
    return h('li', { 'data-option': i },
      h('span', {}, t('poll_result_line', { option, n, pct })),
      h('progress', { max: '100', value: String(pct), 'aria-hidden': 'true' }));
  }));
  $('poll-respondents').textContent = t('poll_respondents', { n: total });
}

main();
