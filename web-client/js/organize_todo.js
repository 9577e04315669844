// The "after" step's lists, read from the staff snapshot: every promised
// follow-up with a form for its outcome, and what is left to do: approved
// questions it did not reach (to be answered in writing, in the moderator
// console), promised follow-ups without an outcome (by due date, the overdue
// ones marked in words), and the record to export. An item leaves the list as
// soon as it is done: a written answer published, an outcome recorded, the
// record downloaded.
import { formatDay, h, safeGet, safeSet, t, zoneToday } from './common.js';

const $ = (id) => document.getElementById(id);
const exportedKey = (id) => `dialoghub.organizer.exported.${id}`;

/** The questions the meeting did not reach, and the follow-ups still open, of `snapshot`. */
export function leftToDo(snapshot) {
  const questions = snapshot.questions || [];
  return {
    unreached: questions.filter((q) => q.status === 'approved' && !q.answer && !q.follow_up).sort((a, b) => a.id - b.id),
    followUps: questions.filter((q) => q.follow_up && !q.follow_up.outcome).sort((a, b) => a.follow_up.due.localeCompare(b.follow_up.due)),
  };
}

/** From the to-do list to the follow-up's outcome field, in the same step. */
function toOutcome(q) {
  const area = $(`outcome-${q.id}`);
  if (area) area.focus();
}

/** Fills `#followups` with every promised follow-up of `snapshot`; `onOutcome(q, textarea)` records one. */
export function renderFollowUps(snapshot, { onOutcome }) {
  const today = zoneToday();
  const promised = snapshot.questions.filter((q) => q.follow_up).sort((a, b) => a.follow_up.due.localeCompare(b.follow_up.due));
  $('followups-empty').hidden = promised.length > 0;
  // An outcome being written survives a refresh: its text, and focus if it had it.
  const typed = Object.fromEntries([...$('followups').querySelectorAll('textarea')].map((a) => [a.id, a.value]));
  const focused = $('followups').contains(document.activeElement) ? document.activeElement.id : null;
  $('followups').replaceChildren(...promised.map((q) => {
    const f = q.follow_up;
    const overdue = !f.outcome && f.due < today;
    const id = `outcome-${q.id}`;
    const area = h('textarea', { id, maxlength: '2000' });
    return h('li', { class: 'question', 'data-follow-up': q.id }, h('div', { class: 'body' },
      h('span', { class: `badge ${overdue ? 'rejected' : 'approved'}` }, `#${q.id}`),
      overdue ? h('span', { class: 'badge rejected' }, t('overdue')) : null,
      h('p', { class: 'text' }, q.text),
      h('p', { class: 'by' }, t('follow_up_line', { owner: f.owner, due: formatDay(f.due) })),
      f.outcome
        ? h('p', {}, `${t('rec_outcome')} ${f.outcome}`)
        : h('form', { class: 'inline-editor', novalidate: true, onsubmit: (ev) => { ev.preventDefault(); onOutcome(q, area); } },
          h('label', { for: id }, t('outcome_label', { n: q.id })), area,
          h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('outcome_button'))))));
  }));
  for (const [id, value] of Object.entries(typed)) if ($(id)) $(id).value = value;
  if (focused && $(focused)) $(focused).focus();
}

/** Fills `#todo` for the closed dialogue of `snapshot`; `rerender()` after the record was downloaded. */
export function renderTodo(snapshot, { rerender }) {
  const d = snapshot.dialogue;
  const closed = d.phase === 'closed';
  $('todo-not-yet').hidden = closed;
  if (!closed) {
    $('todo').replaceChildren();
    $('todo-done').hidden = true;
    return;
  }
  const { unreached, followUps } = leftToDo(snapshot);
  const today = zoneToday();
  const items = [
    ...unreached.map((q) => h('li', { class: 'todo-item', 'data-todo': 'unreached', 'data-question': q.id },
      h('p', { class: 'todo-what' }, t('todo_unreached', { n: q.id })),
      h('p', { class: 'text' }, q.text),
      q.answer_draft ? h('p', { class: 'hint' }, t('todo_unreached_draft')) : null,
      h('a', { href: `/moderate?dialogue=${encodeURIComponent(d.id)}`, 'aria-label': t('todo_unreached_link_label', { n: q.id }) }, t('todo_unreached_link')))),
    ...followUps.map((q) => {
      const f = q.follow_up;
      const overdue = f.due < today;
      return h('li', { class: `todo-item${overdue ? ' overdue' : ''}`, 'data-todo': 'follow-up', 'data-question': q.id },
        h('p', { class: 'todo-what' }, t('todo_follow_up', { n: q.id }), overdue ? [' ', h('span', { class: 'badge rejected' }, t('overdue'))] : null),
        h('p', { class: 'text' }, q.text),
        h('p', { class: 'by' }, t('follow_up_line', { owner: f.owner, due: formatDay(f.due) })),
        h('button', { type: 'button', class: 'secondary small', 'aria-label': t('todo_follow_up_button_label', { n: q.id }), onclick: () => toOutcome(q) }, t('todo_follow_up_button')));
    }),
  ];
  if (safeGet(exportedKey(d.id)) !== 'yes') {
    const pub = `/d/${encodeURIComponent(d.code)}`;
    const downloaded = () => {
      safeSet(exportedKey(d.id), 'yes');
      // After the download has started: the item goes, and focus, which was on
      // its link, goes to the step's heading rather than to the page's start.
      setTimeout(() => {
        rerender();
        $('step-after-heading').focus();
      }, 0);
    };
    items.push(h('li', { class: 'todo-item', 'data-todo': 'record' },
      h('p', { class: 'todo-what' }, t('todo_record')),
      h('p', { class: 'hint' }, t('todo_record_hint')),
      h('p', {},
        h('a', { href: pub, 'data-link': 'record-page' }, t('org_public_page')), ' · ',
        h('a', { href: `${pub}/record.csv`, download: '', 'data-export': 'csv', onclick: downloaded }, t('rec_csv')), ' · ',
        h('a', { href: `${pub}/record.json`, download: '', 'data-export': 'json', onclick: downloaded }, t('rec_json')))));
  }
  $('todo').replaceChildren(...items);
  $('todo-done').hidden = items.length > 0;
}
