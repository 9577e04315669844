// What the moderator console can put on the venue screen: a poll's results and
// an information post (its chart large). Showing another post replaces the one
// shown; "stop showing" gives the screen back to the questions.
import { currentLang, h, syncList, t } from './common.js';
import { pollItem } from './moderate_parts.js';

const $ = (id) => document.getElementById(id);

/** The polls and the posts, each with its show/hide action; `act` sends one message. */
export function renderForScreen(model, act) {
  const polls = [...model.polls.values()].sort((a, b) => a.id - b.id);
  $('mod-polls-empty').hidden = polls.length > 0;
  syncList($('mod-polls'), polls.map((p) => {
    const results = model.pollResults(p.id);
    return {
      key: p.id,
      sig: JSON.stringify([currentLang(), p, results]),
      render: () => pollItem(p, results, act),
    };
  }));
  const posts = model.postList();
  $('mod-posts-empty').hidden = posts.length > 0;
  syncList($('mod-posts'), posts.map((p) => {
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
