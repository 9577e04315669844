// Errors where they are made: the field is marked (aria-invalid), described by an
// error text right beside it, and focused; a refusal that concerns no one field
// is said beside the form's buttons. Nothing lands in a banner out of sight.
import { h } from './dom.js';
import { errorText, t } from './i18n.js';

const errorIdOf = (field) => `${field.id}-error`;
const describedBy = (field) => (field.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);

/** Marks `field` as wrong, says `text` beside it and moves focus to it. */
export function fieldError(field, text) {
  const id = errorIdOf(field);
  let line = document.getElementById(id);
  if (!line) {
    line = h('p', { id, class: 'error-line field-error' });
    (field.closest('.field') || field.parentElement).append(line);
  }
  line.textContent = text;
  field.setAttribute('aria-invalid', 'true');
  if (!describedBy(field).includes(id)) field.setAttribute('aria-describedby', [...describedBy(field), id].join(' '));
  field.focus();
}

/** Says `text` at the end of `box` (a form, or the group of buttons it concerns). */
export function boxError(box, text) {
  let line = box.querySelector(':scope > .box-error');
  if (!line) {
    line = h('p', { class: 'error-line box-error', role: 'alert' });
    box.append(line);
  }
  line.textContent = text;
}

/** Takes every mark of `clearErrors`' kind off `box`: before a new try, and after success. */
export function clearErrors(box) {
  for (const field of box.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid');
    const rest = describedBy(field).filter((id) => id !== errorIdOf(field));
    if (rest.length) field.setAttribute('aria-describedby', rest.join(' '));
    else field.removeAttribute('aria-describedby');
  }
  for (const line of box.querySelectorAll('.field-error, :scope > .box-error')) line.remove();
}

/**
 * The server's refusal (`{ code, message }`) on `form`: its message names the
 * wire field it is about (`title must be …`), and `fields` maps wire names to
 * inputs; the first one named gets the error, else the form does. The text is
 * the field's own (`field_err_<name>`: every name in a map has one).
 */
export function refusalError(form, err, fields = {}) {
  const message = (err && err.code === 'bad_request' && err.message) || '';
  const named = Object.keys(fields)
    .map((name) => [name, message.search(new RegExp(`\\b${name}\\b`))])
    .filter(([, at]) => at >= 0)
    .sort((a, b) => a[1] - b[1])[0];
  const field = named && document.getElementById(fields[named[0]]);
  if (field) fieldError(field, t(`field_err_${named[0]}`));
  else boxError(form, err && err.code === 'network' ? t('err_network') : errorText(err));
}
