// The moderator console's building blocks that read no console state: the question
// text with its personal-data flags marked, a poll and a tip as list items, a poll's
// form checked, and a picker that submits on Enter. moderate.js owns the state.
import { addresseeLabel, answerForm, followUpForm, formatTime, h, percent, t } from './common.js';

export function markedText(q) {
  const chars = Array.from(q.text);
  const flags = [...(q.flags || [])].sort((a, b) => a.start - b.start);
  const out = [];
  let at = 0;
  for (const f of flags) {
    if (f.start < at) continue;
    out.push(chars.slice(at, f.start).join(''));
    out.push(h('mark', { class: 'flag', 'data-kind': f.kind }, chars.slice(f.start, f.end).join(''),
      h('span', { class: 'visually-hidden' }, ` (${t(`flag_${f.kind}`)})`)));
    at = f.end;
  }
  out.push(chars.slice(at).join(''));
  return out;
}

/** Enter in a picker confirms it, as in a text field, so one hand on the keys is enough. */
export function submitOnEnter(select, options) {
  if (options) select.append(...options);
  select.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      select.form.requestSubmit();
    }
  });
  return select;
}

/** A question's votes, with how many came from burst identities (`live.burst_votes`), in words. */
export function votesText(model, id) {
  const n = model.tally(id);
  const burst = model.burstTally(id);
  return burst ? t('votes_n_burst', { n, burst }) : t('votes_n', { n });
}

/** "Burst identity" beside a question its asker made as one (`burst`, staff
 * only), in words, with the meaning for the pointer (title) and for a screen reader. */
export function burstLabel(q) {
  if (!q.burst) return null;
  return h('span', { class: 'badge burst', title: t('burst_identity_title'), 'data-burst': '' }, t('burst_identity'),
    h('span', { class: 'visually-hidden' }, ` (${t('burst_identity_title')})`));
}

/** " · 3 from burst identities" after a poll figure, or nothing (`results.burst`, staff only). */
const burstOf = (n) => (n ? ` · ${t('burst_from_n', { n })}` : '');

/** A poll in the console, with the actions its state allows; `act` sends one. */
export function pollItem(p, results, act) {
  return h('li', { class: 'question', 'data-poll': p.id }, h('div', { class: 'body' },
    h('p', { class: 'text' }, p.question),
    h('p', { class: 'by' }, [t(`poll_state_${p.state}`), p.results_shown ? t('poll_results_public') : null].filter(Boolean).join(' · ')),
    results ? h('ul', { class: 'poll-results' }, p.options.map((o, i) => h('li', {}, t('poll_result_line', {
      option: o, n: results.counts[i] || 0, pct: percent(results.counts[i] || 0, results.respondents),
    }) + burstOf(results.burst && results.burst.counts[i])))) : null,
    results ? h('p', { class: 'hint' }, t('poll_respondents', { n: results.respondents }) + burstOf(results.burst && results.burst.respondents)) : null,
    h('div', { class: 'actions' },
      p.state === 'prepared' ? h('button', { type: 'button', 'data-focus': 'open', onclick: () => act({ type: 'open_poll', poll_id: p.id, expected: 'prepared' }) }, t('action_poll_open')) : null,
      p.state === 'open' ? h('button', { type: 'button', 'data-focus': 'close', onclick: () => act({ type: 'close_poll', poll_id: p.id, expected: 'open' }) }, t('action_poll_close')) : null,
      p.state !== 'prepared' ? h('button', { type: 'button', class: 'secondary', 'data-focus': 'show', onclick: () => act({ type: 'show_poll_results', poll_id: p.id, shown: !p.results_shown }) }, t(p.results_shown ? 'action_poll_hide' : 'action_poll_show')) : null)));
}

/** A private tip, as staff see it. */
export function tipItem(tip) {
  return h('li', { class: 'question', 'data-tip': tip.id }, h('div', { class: 'body' },
    h('span', { class: 'badge private' }, `#${tip.id}`),
    h('p', { class: 'text' }, tip.text),
    h('p', { class: 'by' }, [tip.display_name || t('anonymous'), formatTime(tip.at), tip.from_question ? t('tip_from_question', { id: tip.from_question }) : null].filter(Boolean).join(' · '))));
}

/** A new poll from the form's fields: { msg } to send, or { error, focus } (the field to fix). */
export function pollFromForm(questionText, kind, optionsText) {
  const question = questionText.trim();
  const options = optionsText.split('\n').map((o) => o.trim()).filter(Boolean);
  if (!question) return { error: t('err_poll_question'), focus: 'poll-question' };
  if (kind !== 'scale' && (options.length < 2 || options.length > 10)) return { error: t('err_poll_options'), focus: 'poll-options' };
  const msg = { type: 'create_poll', question, poll_kind: kind };
  if (kind !== 'scale') msg.options = options;
  return { msg };
}

/** Who wrote a question, to whom, from where, and whether its author is muted or banned. */
export function authorOf(q, model) {
  const parts = [q.display_name || t('anonymous')];
  const to = addresseeLabel(q.addressee, (model.dialogue && model.dialogue.panel) || []);
  if (to) parts.push(to);
  parts.push(t(`origin_${q.origin}`));
  if (q.author && model.banned.has(q.author.id)) parts.push(t('author_banned'));
  else if (q.author && model.muted.has(q.author.id)) parts.push(t('author_muted'));
  return parts.join(' · ');
}

/**
 * The inline editor of a question in `mode` (edit, reject, follow, answer, merge).
 * `on` holds { targets (questions it may merge into), owners, onCancel, onApprove(text),
 * onReject(reason), onMerge(into), onPromise(followUp), onAnswer(text) }.
 */
export function editorFor(q, mode, on) {
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: on.onCancel }, t('action_cancel'));
  const id = `ed-${q.id}`;
  if (mode === 'edit') {
    const area = h('textarea', { id, 'data-focus': 'editor' });
    area.value = q.redacted_text || q.text;
    return h('form', { class: 'inline-editor', onsubmit: (ev) => { ev.preventDefault(); on.onApprove(area.value.trim()); } },
      h('label', { for: id }, t('edit_label')), area,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('action_save_approve')), cancel));
  }
  if (mode === 'reject') {
    const select = h('select', { id, 'data-focus': 'editor' },
      ['personal_data', 'off_topic', 'abusive', 'duplicate', 'other'].map((r) => h('option', { value: r }, t(`reason_${r}`))));
    select.value = q.flags && q.flags.length ? 'personal_data' : 'off_topic';
    submitOnEnter(select);
    return h('form', { class: 'inline-editor', onsubmit: (ev) => { ev.preventDefault(); on.onReject(select.value); } },
      h('label', { for: id }, t('reject_label')), select,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger' }, t('action_reject_confirm')), cancel));
  }
  if (mode === 'follow') {
    return followUpForm(q, { owners: on.owners, onSubmit: on.onPromise, onCancel: on.onCancel });
  }
  if (mode === 'answer') {
    return answerForm(q, { initial: q.answer_draft || '', hint: t('answer_hint_mod'), onSubmit: on.onAnswer, onCancel: on.onCancel });
  }
  if (!on.targets.length) {
    return h('div', { class: 'inline-editor' }, h('p', { tabindex: '-1', 'data-focus': 'editor' }, t('merge_none')), cancel);
  }
  const select = submitOnEnter(h('select', { id, 'data-focus': 'editor' }), on.targets.map((x) => h('option', { value: x.id }, `#${x.id}: ${x.text.slice(0, 80)}`)));
  return h('form', { class: 'inline-editor', onsubmit: (ev) => { ev.preventDefault(); on.onMerge(Number(select.value)); } },
    h('label', { for: id }, t('merge_label')), select,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('action_merge_confirm')), cancel));
}

/** A danger alert on a question or a tip, until the moderator dismisses it. */
export function alertItem(a, onDismiss) {
  return h('p', { class: 'alert-danger', role: 'alert', 'data-alert': a.seq },
    h('span', {}, a.tip_id ? t('alert_danger_tip', { id: a.tip_id }) : t('alert_danger_question', { id: a.question_id })),
    h('button', { type: 'button', class: 'secondary small', onclick: onDismiss }, t('alert_dismiss')));
}

/**
 * The console's keyboard shortcuts on a focused question: key -> what it does, given
 * the question's state. `op` holds next, previous, approve(text), open(mode), upNext, now, answered.
 */
export function keyActions(q, op) {
  const pending = q.status === 'pending';
  const approved = q.status === 'approved';
  const approvedOrAnswered = approved || q.status === 'answered';
  return {
    j: op.next,
    k: op.previous,
    a: () => pending && op.approve(),
    r: () => pending && q.redacted_text && op.approve(q.redacted_text),
    e: () => pending && op.open('edit'),
    x: () => pending && op.open('reject'),
    m: () => (pending || approved) && op.open('merge'),
    u: () => approved && op.upNext(),
    n: () => approved && op.now(),
    d: () => approved && op.answered(),
    w: () => approvedOrAnswered && op.open('answer'),
    p: () => approvedOrAnswered && !q.follow_up && op.open('follow'),
  };
}

/** Names on the panel, with their organisation, as suggestions for who owns a follow-up. */
export function panelOwners(model) {
  return ((model.dialogue && model.dialogue.panel) || []).map((p) => [p.name, p.organisation].filter(Boolean).join(', '));
}
