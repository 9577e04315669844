// The participant page's safety advice and phone layout (issue 21): emergency
// advice for a writer in danger, shown at once on their own screen; a notice when
// a poll opens; the livestream folded away for people in the room; the sticky
// "ask" button.
import { announce, embedUrl, h, t } from './common.js';

/** Words as the server matches danger phrases: lower case, punctuation as spaces. */
function words(text) {
  const clean = (text || '').normalize('NFKC').replace(/[\u200B-\u200D\u2060\uFEFF]/g, '');
  return clean.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(' ');
}

/** True when `text` holds one of the deployment's danger phrases (whole words). */
export function inDanger(text, phrases) {
  const padded = ` ${words(text)} `;
  return (phrases || []).map(words).filter(Boolean).some((p) => padded.includes(` ${p} `));
}

let sentInDanger = false;

/**
 * Shows "Är du i fara nu? Ring 112" above the ask form for what is typed now,
 * and keeps it after such a text is sent (`sent`), when the field is empty again.
 */
export function renderDangerAdvice(text, safety, sent = false) {
  const box = document.getElementById('danger-advice');
  const now = inDanger(text, safety.danger_phrases);
  if (sent && now) sentInDanger = true;
  const show = now || sentInDanger;
  const number = safety.emergency_number || '112';
  const sig = show ? `${t('danger_advice_title')}|${number}` : '';
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.hidden = !show;
  box.replaceChildren(...(show ? [
    h('div', {},
      h('p', { class: 'danger-title' }, t('danger_advice_title', { number })),
      h('p', {}, t('danger_advice_body', { number })),
      h('a', { class: 'button danger', href: `tel:${number.replace(/\s/g, '')}` }, t('danger_advice_call', { number }))),
  ] : []));
}

let knownPolls = null;

/** Says, politely and visibly, that a poll opened since the page was last drawn. */
export function notePolls(openIds) {
  const fresh = knownPolls === null ? [] : openIds.filter((id) => !knownPolls.has(id));
  knownPolls = new Set(openIds);
  const notice = document.getElementById('poll-notice');
  if (fresh.length) {
    notice.hidden = false;
    announce(t('poll_notice'));
  }
  if (!openIds.length) notice.hidden = true;
}

/** The livestream, folded away for people in the room (they are there) and open for those at a distance. */
export function renderStream(dialogue, location_) {
  const url = dialogue && dialogue.livestream_url ? embedUrl(dialogue.livestream_url) : null;
  const section = document.getElementById('stream-section');
  const frame = document.getElementById('stream');
  if (section.hidden && url) section.open = location_ !== 'in_room';
  section.hidden = !url;
  if (url && frame.getAttribute('src') !== url) frame.setAttribute('src', url);
  frame.title = t('livestream');
}

/** The sticky "ask" button on a phone: takes one to the form and puts the cursor in it. */
export function setupAskJump() {
  const jump = document.getElementById('ask-jump');
  jump.addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('ask-form').scrollIntoView({ block: 'start' });
    document.getElementById('ask-text').focus();
  });
  document.getElementById('poll-notice').addEventListener('click', () => {
    document.getElementById('poll-notice').hidden = true;
  });
}
