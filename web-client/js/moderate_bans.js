// Bans in the moderator console: asked first, undoable for a few seconds before
// the ban is sent, then reversible in the log (`unban`) for a while from the
// undo bar and at any time from the list of banned participants.
import { h, t } from './common.js';
import { UNDO_MS, UNBAN_OFFER_MS, confirmAction, offerUndo, undoable } from './confirm.js';

/** Takes a ban back: the participant may come back with the same identity. */
export const unban = (act, id) => act({ type: 'unban', participant_id: id }, t('done_unbanned'));

/** Confirmed, undoable before it is sent, and reversible for a while after. */
export async function ban(act, id) {
  const sure = await confirmAction({ title: t('ban_confirm_title'), body: t('ban_confirm_body'), choices: [['ban', t('ban_confirm_yes'), 'danger']] });
  if (!sure) return;
  const ack = await undoable(t('ban_pending'), UNDO_MS, () => act({ type: 'ban', participant_id: id }, t('done_banned')));
  if (ack) await offerUndo(t('done_banned'), t('action_unban'), UNBAN_OFFER_MS, () => unban(act, id));
}

/**
 * Who a banned participant is to the moderator: participants are anonymous, so
 * the last question they wrote (the console shows their questions anyway).
 */
function bannedLabel(model, id) {
  const theirs = [...model.questions.values()].filter((q) => q.author && q.author.id === id).sort((a, b) => b.id - a.id);
  if (!theirs.length) return t('banned_someone', { id: id.slice(0, 8) });
  const text = theirs[0].text.length > 80 ? `${theirs[0].text.slice(0, 79)}…` : theirs[0].text;
  return t('banned_wrote', { text });
}

/** The list of banned participants, each with "Ångra avstängning". */
export function renderBanned(model, act) {
  const ids = [...model.banned].sort();
  document.getElementById('banned-section').hidden = ids.length === 0;
  document.getElementById('banned').replaceChildren(...ids.map((id) => {
    const label = bannedLabel(model, id);
    return h('li', { 'data-participant': id },
      h('span', {}, label),
      ' ',
      h('button', { type: 'button', class: 'secondary small', 'aria-label': `${t('action_unban')}: ${label}`, onclick: () => unban(act, id) }, t('action_unban')));
  }));
}
