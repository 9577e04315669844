// Safe destructive actions: a confirmation in a modal dialog, then a few seconds
// in which the action can still be undone before it is sent. Nothing irreversible
// happens on one click.
import { h, announce } from './dom.js';
import { t } from './i18n.js';

/** How long a confirmed action waits, undoable, before it is sent. */
export const UNDO_MS = 8000;

/**
 * Asks in a modal <dialog>. `choices` are `[value, label, cls]`; resolves to the
 * chosen value, or null when cancelled (the button, Escape).
 */
export function confirmAction({ title, body, choices }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      body ? h('p', {}, body) : null,
      h('div', { class: 'row' },
        ...choices.map(([value, label, cls]) => h('button', { type: 'button', class: cls || '', 'data-choice': value, onclick: () => done(value) }, label)),
        h('button', { type: 'button', class: 'secondary', 'data-choice': 'cancel', onclick: () => done(null) }, t('action_cancel'))));
    const before = document.activeElement;
    function done(value) {
      dialog.close();
      dialog.remove();
      if (before && before.focus) before.focus();
      resolve(value);
    }
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    // The safe choice has focus: Enter on a reflex does not ban or close.
    dialog.querySelector('[data-choice=cancel]').focus();
  });
}

/**
 * Shows "`said` – Ångra" for `ms`, then runs `run()`. Resolves to run's result,
 * or to null when undone.
 */
export function undoable(said, ms, run) {
  return new Promise((resolve) => {
    let timer = null;
    const bar = h('div', { class: 'undo-bar', role: 'status' },
      h('span', {}, said),
      h('button', { type: 'button', class: 'secondary small', 'data-undo': '', onclick: () => {
        clearTimeout(timer);
        bar.remove();
        announce(t('undone'));
        resolve(null);
      } }, t('action_undo')));
    document.body.append(bar);
    timer = setTimeout(async () => {
      bar.remove();
      resolve(await run());
    }, ms);
  });
}

/** How long "Ångra avstängning" stays offered after a ban went out. */
export const UNBAN_OFFER_MS = 60000;

/**
 * After an action went out: shows "`said` – `label`" for `ms`; the button runs
 * `undo()` (a reversing command, such as `unban`). Resolves to undo's result, or
 * to null when the offer ran out.
 */
export function offerUndo(said, label, ms, undo) {
  return new Promise((resolve) => {
    let timer = null;
    const bar = h('div', { class: 'undo-bar', role: 'status', 'data-offer': '' },
      h('span', {}, said),
      h('button', { type: 'button', class: 'secondary small', 'data-undo': '', onclick: async () => {
        clearTimeout(timer);
        bar.remove();
        resolve(await undo());
      } }, label));
    document.body.append(bar);
    timer = setTimeout(() => {
      bar.remove();
      resolve(null);
    }, ms);
  });
}
