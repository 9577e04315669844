// The participant page's building blocks that read no page state: a poll, its
// results, an information post, a question in the feed, and the receipts kept in
// this browser. participant.js owns the state and passes in what each one shows.
import { addresseeLabel, answerParts, errorText, h, percent, safeGet, safeSet, t } from './common.js';
import { postChart } from './post_chart.js';

export function pollResultList(poll, results) {
  const total = results.respondents || 0;
  return h('div', { class: 'poll-results' },
    h('ul', {}, poll.options.map((option, i) => {
      const n = results.counts[i] || 0;
      const pct = percent(n, total);
      return h('li', {},
        h('span', {}, t('poll_result_line', { option, n, pct })),
        h('progress', { max: '100', value: String(pct), 'aria-hidden': 'true' }));
    })),
    h('p', { class: 'hint' }, t('poll_respondents', { n: total })));
}

/** One poll: a closed one with its public results, or an open one as a form. */
export function pollItem(poll, results, mineNow, onAnswer) {
  if (poll.state !== 'open') {
    return h('div', { class: 'poll', 'data-poll': poll.id },
      h('h3', {}, poll.question),
      h('p', { class: 'hint' }, t('poll_closed_note')),
      results ? pollResultList(poll, results) : null);
  }
  const many = poll.poll_kind === 'multiple';
  const name = `poll-${poll.id}`;
  const hint = many ? t('poll_many_hint') : poll.poll_kind === 'scale' ? t('poll_scale_hint') : null;
  const form = h('form', { class: 'poll', 'data-poll': poll.id, novalidate: '' },
    h('fieldset', {},
      h('legend', {}, poll.question),
      hint ? h('p', { class: 'hint' }, hint) : null,
      poll.options.map((option, i) => {
        const input = h('input', { type: many ? 'checkbox' : 'radio', name, value: String(i) });
        input.checked = mineNow.includes(i);
        return h('label', { class: 'choice' }, input, ' ', option);
      })),
    h('p', { class: 'error-line', role: 'alert' }),
    mineNow.length ? h('p', { class: 'hint' }, t('poll_saved')) : null,
    h('button', { type: 'submit' }, mineNow.length ? t('poll_change_button') : t('poll_answer_button')),
    results ? pollResultList(poll, results) : null);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onAnswer(poll, form);
  });
  return form;
}

/** An information post of the dialogue with join code `code`, with its chart if it has data. */
export function postItem(p, code) {
  return h('li', { class: 'post', 'data-post': p.id },
    h('p', { class: 'post-text' }, p.text),
    h('p', { class: 'post-source' }, `${t('rec_source')} ${p.source}`,
      p.link ? [' · ', h('a', { href: p.link, rel: 'noopener noreferrer', target: '_blank' }, t('post_link'))] : null,
      p.edited_at ? ` · ${t('rec_edited')}` : null),
    postChart(p, code));
}

export function statusBadge(status) {
  return h('span', { class: `badge ${status}` }, t(`status_${status}`));
}

/**
 * A question in the feed. `shown` says what the page knows of it:
 * { isNow, count, pressed, isMine, panel }; `onVote` is set when it can be voted on.
 */
export function questionItem(q, shown, onVote) {
  const textId = `q-${q.id}-text`;
  const { isNow, count, pressed, isMine, panel } = shown;
  const meta = [q.display_name || t('anonymous'), addresseeLabel(q.addressee, panel)].filter(Boolean).join(' · ');
  const button = onVote
    ? h('button', {
        type: 'button', class: 'vote', 'aria-pressed': String(pressed), 'data-qid': q.id,
        'aria-describedby': textId, 'data-focus': 'vote', onclick: () => onVote(q.id),
      },
      h('span', { class: 'count', 'aria-hidden': 'true' }, String(count)),
      h('span', { class: 'word', 'aria-hidden': 'true' }, t('vote_word', { n: count })),
      h('span', { class: 'visually-hidden' }, t('vote_label', { n: count })))
    : h('span', { class: 'badge' }, t('votes_n', { n: count }));
  return h('li', { class: `question${isNow ? ' is-now' : ''}`, 'data-question': q.id },
    button,
    h('div', { class: 'body' },
      isNow ? h('span', { class: 'badge now' }, t('now_answering')) : null,
      isMine ? h('span', { class: 'badge mine' }, t('badge_mine')) : null,
      h('p', { class: 'text', id: textId }, q.text),
      h('span', { class: 'by' }, meta),
      answerParts(q)));
}

/** A question of my own that has not reached the server yet. */
export function unsentItem(text) {
  return h('li', { class: 'question' }, h('div', { class: 'body' },
    h('p', { class: 'text' }, text),
    h('span', { class: 'badge pending' }, t('status_unsent'))));
}

/**
 * A question of my own with its fate. `seen` holds { fate, receipt, shown (the
 * published question, if any), isNow, langQuery }.
 */
export function mineItem(q, seen) {
  const { fate: fateNow, receipt, shown, isNow, langQuery } = seen;
  const fate = [q.status ? statusBadge(q.status) : null];
  if (['answered_in_writing', 'follow_up', 'not_reached'].includes(fateNow) || !q.status) {
    fate.push(h('span', { class: `badge fate-${fateNow}` }, t(`rec_fate_${fateNow}`)));
  }
  if (q.status === 'rejected') fate.push(h('span', {}, t('reason_line', { reason: t(`reason_${q.reason || 'other'}`) })));
  if (q.status === 'merged') fate.push(h('span', {}, t('merged_line')));
  if (q.status === 'moved_to_private') fate.push(h('span', {}, t('fate_moved_to_private')));
  if (isNow) fate.unshift(h('span', { class: 'badge now' }, t('now_answering')));
  // A moderator may have masked personal data: show the author what was published.
  const publishedAs = shown && shown.text !== q.text ? h('p', { class: 'published-as' }, t('published_as', { text: shown.text })) : null;
  return h('li', { class: 'question', 'data-mine': q.id }, h('div', { class: 'body' },
    h('p', { class: 'text' }, q.text),
    publishedAs,
    h('div', { class: 'fate' }, fate),
    shown ? answerParts(shown) : null,
    receipt ? h('p', { class: 'receipt-line' },
      `${t('receipt_label')} `, h('code', { class: 'receipt', dir: 'ltr' }, receipt), ' · ',
      h('a', { href: `/r/${encodeURIComponent(receipt)}${langQuery}` }, t('receipt_look_up'))) : null));
}

/** A private tip I sent from this page. */
export function tipItem(id, text) {
  return h('li', { class: 'question', 'data-tip': id }, h('div', { class: 'body' },
    h('p', { class: 'text' }, text),
    h('div', { class: 'fate' }, h('span', { class: 'badge private' }, t('badge_private')), h('span', {}, t('tip_sent')))));
}

/** Receipt codes of my questions, kept in this browser under `key`: question id -> {id, receipt, text, fate}. */
export function loadReceipts(key) {
  try {
    return new Map(JSON.parse(safeGet(key) || '[]').map((r) => [r.id, r]));
  } catch {
    return new Map();
  }
}

export function keepReceipt(receipts, key, id, receipt, text, fate) {
  if (!receipt) return;
  const old = receipts.get(id) || {};
  receipts.set(id, { id, receipt, text: text || old.text || '', fate: fate || old.fate || 'pending' });
  safeSet(key, JSON.stringify([...receipts.values()]));
}

/** Every receipt this browser kept, from any dialogue, in a stable order. */
export function keptReceipts() {
  const kept = [];
  try {
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (!key || !key.startsWith('dialoghub.receipts.')) continue;
      for (const r of JSON.parse(localStorage.getItem(key) || '[]')) if (r && r.receipt) kept.push(r);
    }
  } catch {
    /* no storage: nothing kept */
  }
  return kept.sort((a, b) => a.receipt.localeCompare(b.receipt) || b.id - a.id);
}

/** A kept receipt, linked to its lookup page. */
export function keptReceiptItem(r, langQuery) {
  return h('li', { class: 'question', 'data-receipt': r.receipt }, h('div', { class: 'body' },
    h('p', { class: 'text' }, r.text),
    h('span', { class: `badge fate-${r.fate}` }, t(`rec_fate_${r.fate || 'pending'}`)),
    h('p', { class: 'receipt-line' }, `${t('receipt_label')} `, h('code', { class: 'receipt', dir: 'ltr' }, r.receipt), ' · ',
      h('a', { href: `/r/${encodeURIComponent(r.receipt)}${langQuery}` }, t('receipt_look_up')))));
}

/** The join code in a /j/CODE address, if there is one. */
export function codeFromPath() {
  const m = location.pathname.match(/^\/j\/([A-Za-z0-9]{1,16})\/?$/);
  return m ? m[1].toUpperCase() : null;
}

/** What came of one of my questions: from the live model when it is public, else what I was told. */
export function fateOf(id, model, mine, receipts) {
  const shown = model.questions.get(id);
  if (shown) return model.fate(shown);
  const q = mine.get(id);
  if (q) return q.fate && !['pending', 'queued'].includes(q.fate) ? q.fate : model.fate(q);
  const r = receipts.get(id);
  return r ? r.fate : 'pending';
}

/** Joins by code (POST /api/join): { joined } or { error } as text to show. */
export async function joinDialogue(code, where) {
  let res;
  try {
    res = await fetch('/api/join', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, location: where }),
    });
  } catch {
    return { error: t('err_network') };
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    return { error: body.code === 'not_found' ? t('err_no_dialogue') : errorText(body) };
  }
  return { joined: await res.json() };
}

/** The note that crimes are reported to the police, with this server's numbers. */
export function renderCrimeNotes(safety) {
  // "114 14" must not break across lines: its spaces are no-break spaces.
  const whole = (n) => String(n).replace(/ /g, '\u00a0');
  const text = t('crime_note', { emergency: whole(safety.emergency_number), police: whole(safety.police_number) });
  for (const el of document.querySelectorAll('[data-crime-note]')) el.textContent = text;
}
