// The participant page's join view (/ and /j/CODE): the code, or the dialogue's
// title and purpose when the link names it; after the meeting its record instead
// of the form; the receipts this browser kept.
import { langQuery } from './common.js';
import { keptReceiptItem, keptReceipts } from './participant_parts.js';

const $ = (id) => document.getElementById(id);

export function showJoin(dialogue, code, codeKnown, error) {
  $('join-view').hidden = false;
  $('dialogue-view').hidden = true;
  $('code-field').hidden = codeKnown;
  $('join-error').textContent = error || '';
  renderJoin(dialogue, code);
}

/** The join view: the dialogue's title and purpose when the code is known, and after the meeting its record instead of the form. */
export function renderJoin(dialogue, code) {
  const d = $('code-field').hidden && dialogue;
  if (d) {
    $('join-heading').textContent = d.title;
    // What one can influence decides whether one takes part: say it before joining.
    $('join-purpose').hidden = !d.purpose;
    $('join-purpose-text').textContent = d.purpose || '';
    $('join-public-link').href = `/d/${encodeURIComponent(code)}${langQuery()}`;
  }
  // After the meeting there is nothing to ask: the record says what came of the questions.
  const closed = Boolean(d && d.phase === 'closed');
  $('join-closed').hidden = !closed;
  $('join-form').hidden = closed;
  if (closed) $('join-record-link').href = `/d/${encodeURIComponent(code)}${langQuery()}`;
  $('receipt-lookup-link').href = `/r${langQuery()}`;
  renderKeptReceipts();
}

function renderKeptReceipts() {
  const kept = keptReceipts();
  $('kept-receipts').hidden = kept.length === 0;
  $('kept-list').replaceChildren(...kept.map((r) => keptReceiptItem(r, langQuery())));
}
