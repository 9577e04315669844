// The district's staff on the organizer page, for admins: who has which role,
// an invitation by single-use sign-in link, and taking someone off the staff
// (which ends their sessions and closes their connections on every node).
import { announce, copyText, errorText, h, t } from './common.js';
import { confirmAction } from './confirm.js';
import { boxError, clearErrors, fieldError } from './field_errors.js';

const $ = (id) => document.getElementById(id);
const ROLES = ['organizer', 'moderator', 'admin'];

/** The districts `session` administers ('*': the whole municipality), or none. */
export function adminDistricts(session) {
  const grants = (session && session.staff && session.staff.grants) || [];
  return grants.filter((g) => g.role === 'admin').map((g) => g.district);
}

/**
 * Shows `#staff-section` to an admin and runs it. `api(method, path, body)` is
 * the page's REST call (session, CSRF token, idempotency key); it throws the
 * server's error body.
 */
export function staffDesk({ session, api }) {
  const districts = adminDistricts(session);
  const section = $('staff-section');
  if (!districts.length || !section) return null;
  section.hidden = false;
  const mine = districts.filter((d) => d !== '*');
  $('staff-district-options').replaceChildren(...mine.map((d) => h('option', { value: d })));
  if (mine.length === 1) $('staff-district').value = mine[0];
  $('staff-role').replaceChildren(...ROLES.map((r) => h('option', { value: r }, t(`staff_role_${r}`))));

  // A refusal beside the field it concerns (marked, described by it, focused), else beside the form's button.
  const form = $('staff-form');
  const fail = (err, field) => {
    const text = errorText(err);
    if (field) fieldError($(field), text);
    else boxError(form, text);
  };

  async function refresh() {
    let list;
    try {
      list = (await api('GET', '/api/staff')).staff;
    } catch (err) {
      fail(err);
      return;
    }
    const me = session.staff.id;
    $('staff-list').replaceChildren(...list.map((s) => h('li', { 'data-staff': s.id },
      h('span', { class: 'staff-name' }, s.name),
      ' ',
      h('span', { class: 'hint' }, s.grants.map((g) => t('staff_grant', { role: t(`staff_role_${g.role}`), district: g.district === '*' ? t('staff_all_districts') : g.district })).join(', ')),
      s.id === me ? null : ' ',
      s.id === me ? null : h('button', {
        type: 'button', class: 'secondary small danger', 'aria-label': t('staff_remove_for', { name: s.name }),
        onclick: () => remove(s),
      }, t('staff_remove')))));
  }

  async function remove(person) {
    const sure = await confirmAction({ title: t('staff_remove_title', { name: person.name }), body: t('staff_remove_body'), choices: [['yes', t('staff_remove_yes'), 'danger']] });
    if (!sure) return;
    try {
      await api('DELETE', `/api/staff/${person.id}`);
      announce(t('staff_removed', { name: person.name }));
      await refresh();
    } catch (err) {
      fail(err);
    }
  }

  $('staff-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const name = $('staff-name').value.trim();
    const district = $('staff-district').value.trim();
    if (!name) return fieldError($('staff-name'), t('staff_name_missing'));
    if (!/^[a-z0-9-]{1,64}$/.test(district)) return fieldError($('staff-district'), t('staff_district_bad'));
    try {
      const link = await api('POST', '/api/staff', { name, grants: [{ district, role: $('staff-role').value }] });
      const minutes = Math.round(link.expires_in / 60);
      $('staff-link').replaceChildren(
        h('p', {}, t('staff_link_for', { name, minutes })),
        h('input', { type: 'text', readonly: true, value: link.link, 'aria-label': t('staff_link_label', { name }), id: 'staff-link-url' }),
        h('button', { type: 'button', class: 'secondary small', onclick: () => copyText(link.link, $('staff-link-url')) }, t('copy')));
      $('staff-link').hidden = false;
      $('staff-name').value = '';
      announce(t('staff_invited', { name }));
      await refresh();
    } catch (err) {
      fail(err, err && err.code === 'bad_request' ? 'staff-district' : null);
    }
  });
  refresh();
  return { refresh };
}
