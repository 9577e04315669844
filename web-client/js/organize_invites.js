// A lost invitation link, issued again: the server ends the old link and every
// session it opened, and answers a fresh single-use link, shown like a new one.
import { h, t } from './common.js';
import { confirmAction } from './confirm.js';

/** "Ny länk" for a panelist or moderator: asked first, as the old link stops working. */
export function reissueButton({ person, name, who, api, dialogue, onLink, onError }) {
  return h('button', {
    type: 'button', class: 'secondary small', 'data-reissue': person,
    'aria-label': t('reissue_for', { name }),
    onclick: async () => {
      const sure = await confirmAction({ title: t('reissue_confirm_title', { name }), body: t('reissue_confirm_body'), choices: [['yes', t('reissue_confirm_yes'), '']] });
      if (!sure) return;
      try {
        const inv = await api('POST', `/api/dialogues/${dialogue()}/invitees/${person}/link`);
        onLink({ who, name, url: inv.invite_url });
      } catch (err) {
        onError(err);
      }
    },
  }, t('reissue_button'));
}
