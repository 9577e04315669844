// A post's data series as the clients show it: the chart the server draws (the
// same picture as on the public page), its source, and the numbers as a table for
// screen readers. The post form's series fields live in info_form.js.
import { currentLang, h, t } from './common.js';

function numbers() {
  // Plain Swedish writes numbers as Swedish does.
  const lang = currentLang() === 'lattlast' ? 'sv' : currentLang();
  try {
    return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  } catch {
    return new Intl.NumberFormat('sv', { maximumFractionDigits: 2 });
  }
}

/** Post `p`'s chart in the dialogue with join code `code`, or null for a post without data. */
export function postChart(p, code) {
  const d = p.data;
  if (!d || !code) return null;
  const fmt = numbers();
  return h('div', { class: 'post-chart' },
    h('figure', { class: 'chart' },
      h('img', {
        src: `/d/${encodeURIComponent(code)}/posts/${p.id}/chart.svg`, width: '720', height: '360',
        alt: t('chart_alt', { names: d.names.join(', ') }),
      }),
      h('figcaption', {}, `${t('dist_data_source')}: ${d.source}`)),
    h('div', { class: 'scroll' },
      h('table', { class: 'figures data' },
        h('caption', {}, t('dist_data_table')),
        h('thead', {}, h('tr', {}, [d.label, ...d.names].map((n) => h('th', { scope: 'col' }, n)))),
        h('tbody', {}, d.rows.map((r) => h('tr', {},
          h('th', { scope: 'row' }, r.label),
          r.values.map((v) => h('td', {}, fmt.format(v)))))))));
}
