// "I'm in the room": the participant types the code the venue screen shows and is
// counted as in the room (verified). The code reaches only the screen; here it is typed.
import { announce, errorText, t } from './common.js';

const $ = (id) => document.getElementById(id);
let verified = false;

/** Wires the form; `submit` sends a message and resolves with its ack. */
export function setupRoom(submit) {
  $('room-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = $('room-code').value.replace(/\s+/g, '');
    $('room-error').textContent = '';
    if (!code) {
      $('room-error').textContent = t('err_room_code_empty');
      return;
    }
    submit({ type: 'enter_room', code }).then(() => {
      verified = true;
      $('room-code').value = '';
      announce(t('room_verified'));
      renderRoom();
    }, (err) => {
      $('room-error').textContent = errorText(err);
    });
  });
}

/** From `welcome`: whether this participant already entered the code. */
export function noteRoom(welcome) {
  verified = Boolean(welcome.room_verified);
}

/** Shown while the dialogue takes questions; once entered, only the confirmation. */
export function renderRoom(dialogue) {
  const phase = dialogue ? dialogue.phase : null;
  const section = $('room-section');
  if (phase) section.hidden = !(phase === 'open' || phase === 'live');
  $('room-form').hidden = verified;
  $('room-done').hidden = !verified;
}
