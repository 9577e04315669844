// Reject-many: the moderator ticks pending questions (a flood of one text, a run
// of duplicates) and rejects them with one reason. Asked first, then a few
// seconds in which it can still be undone; only then one `reject_many` goes out,
// so no per-message rate limit is in the way however many were ticked.
import { announce, h, t } from './common.js';
import { UNDO_MS, confirmAction, undoable } from './confirm.js';

/** The most one `reject_many` may name (protocol 2.6). */
const MAX = 200;

const REASONS = ['off_topic', 'duplicate', 'abusive', 'personal_data', 'other'];

export class Selection {
  constructor() {
    this.ids = new Set();
  }

  has(id) {
    return this.ids.has(id);
  }

  /** The tick box on a pending question's card. */
  box(q, onChange) {
    const id = `sel-${q.id}`;
    const input = h('input', { type: 'checkbox', id, 'data-select': q.id, onchange: () => {
      if (input.checked && this.ids.size < MAX) this.ids.add(q.id);
      else this.ids.delete(q.id);
      input.checked = this.ids.has(q.id);
      onChange();
    } });
    input.checked = this.ids.has(q.id);
    return h('span', { class: 'select-box' }, input,
      h('label', { for: id }, h('span', { class: 'visually-hidden' }, t('select_question', { n: q.id }))));
  }

  /** Forgets questions no longer pending (handled by someone, or by us). */
  prune(model) {
    for (const id of this.ids) if (!model.questions.has(id) || model.questions.get(id).status !== 'pending') this.ids.delete(id);
  }

  /** Ticks the pending questions shown, up to the most one command may name. */
  selectAll(shown) {
    for (const q of shown) if (this.ids.size < MAX) this.ids.add(q.id);
  }

  /** The bar above the queue: how many, the reason, reject, clear. */
  renderBar(bar, { shown, onChange, submit }) {
    const n = this.ids.size;
    const reason = bar.querySelector('#bulk-reason');
    if (!reason.options.length) for (const r of REASONS) reason.append(h('option', { value: r }, ''));
    for (const o of reason.options) o.textContent = t(`reason_${o.value}`);
    bar.querySelector('#bulk-count').textContent = t('bulk_selected', { n });
    bar.querySelector('#bulk-reject').disabled = n === 0;
    bar.querySelector('#bulk-clear').hidden = n === 0;
    bar.querySelector('#bulk-all').hidden = shown.length === 0 || shown.every((q) => this.ids.has(q.id));
    bar.hidden = shown.length === 0 && n === 0;
    bar.querySelector('#bulk-all').onclick = () => { this.selectAll(shown); onChange(); };
    bar.querySelector('#bulk-clear').onclick = () => { this.ids.clear(); onChange(); };
    bar.querySelector('#bulk-reject').onclick = () => this.reject(reason.value, submit, onChange);
  }

  /** Confirmed, undoable for a few seconds, then one `reject_many`. */
  async reject(reason, submit, onChange) {
    const ids = [...this.ids];
    if (!ids.length) return;
    const n = ids.length;
    const sure = await confirmAction({
      title: t('bulk_confirm_title', { n }),
      body: t('bulk_confirm_body', { reason: t(`reason_${reason}`) }),
      choices: [['reject', t('bulk_confirm_yes', { n }), 'danger']],
    });
    if (!sure) return;
    const ack = await undoable(t('bulk_pending', { n }), UNDO_MS, () => submit({ type: 'reject_many', question_ids: ids, reason }));
    if (!ack) return; // undone, or refused (the console shows why): the ticks stay
    for (const id of ids) this.ids.delete(id);
    announce(t('done_bulk_rejected', { n }));
    onChange();
  }
}
