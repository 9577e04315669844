// The moderator console's information posts: which one the venue screen shows.
// A post with a chart is what the room is meant to see large; showing another
// replaces it, and "stop showing" gives the screen back to the questions.
import { currentLang, h, syncList, t } from './common.js';

/** Lists the dialogue's posts with a show/hide button each; `act` sends one message. */
export function renderScreenPosts(model, act) {
  const posts = model.postList();
  document.getElementById('mod-posts-empty').hidden = posts.length > 0;
  syncList(document.getElementById('mod-posts'), posts.map((p) => {
    const shown = model.shownPost === p.id;
    return {
      key: p.id,
      sig: JSON.stringify([currentLang(), p.text, p.source, Boolean(p.data), shown]),
      render: () => h('li', { class: 'question', 'data-post': p.id }, h('div', { class: 'body' },
        h('p', { class: 'text' }, p.text),
        h('p', { class: 'by' }, [`${t('rec_source')} ${p.source}`, p.data ? t('mod_post_has_chart') : null, shown ? t('mod_post_on_screen') : null].filter(Boolean).join(' · ')),
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: shown ? 'secondary' : null, 'data-focus': 'screen',
            onclick: () => act({ type: 'show_post', post_id: shown ? null : p.id }, t(shown ? 'done_post_hidden' : 'done_post_shown')),
          }, t(shown ? 'action_post_hide' : 'action_post_show'))))),
    };
  }));
}
