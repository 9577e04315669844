// The page: elements built from data (never HTML), lists updated in place, the
// shared inline forms, announcements to screen readers, the livestream's address.
// No dependencies and no build step: the server serves these files as they are.

import { formatDay, t } from './i18n.js';

/** Builds an element. Text children become text nodes, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Updates a list in place: an item whose signature did not change keeps its
 * node, so focus, an open editor and a screen reader's place survive updates.
 * Each item is `{key, sig, render}`; focusable parts name themselves with
 * `data-focus` so focus can follow a node that had to be rebuilt.
 */
export function syncList(parent, items) {
  const active = document.activeElement;
  const activeItem = active && parent.contains(active) ? active.closest('[data-key]') : null;
  const focusKey = activeItem ? activeItem.dataset.key : null;
  const focusPart = active && active.dataset ? active.dataset.focus : null;
  const old = new Map([...parent.children].map((n) => [n.dataset.key, n]));
  const nodes = items.map((it) => {
    const prev = old.get(String(it.key));
    if (prev && prev.dataset.sig === it.sig) return prev;
    const node = it.render();
    node.dataset.key = String(it.key);
    node.dataset.sig = it.sig;
    return node;
  });
  const keep = new Set(nodes);
  for (const n of [...parent.children]) if (!keep.has(n)) n.remove();
  nodes.forEach((n, i) => {
    if (parent.children[i] !== n) parent.insertBefore(n, parent.children[i] || null);
  });
  if (focusKey && !parent.contains(document.activeElement)) {
    const item = parent.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    const target = item && (focusPart ? item.querySelector(`[data-focus="${CSS.escape(focusPart)}"]`) : item);
    if (target) target.focus();
  }
}

/** Copies text to the clipboard (or selects it where the clipboard API is missing) and says so. */
export async function copyText(text, selectEl, said = t('copied')) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Outside a secure context the clipboard API is missing; selecting and copying still works.
    if (selectEl) {
      if (selectEl.select) selectEl.select();
      else {
        const range = document.createRange();
        range.selectNodeContents(selectEl);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      try {
        document.execCommand('copy');
      } catch {
        /* selected: the visitor can copy it themselves */
      }
    }
  }
  announce(said);
}

/** A written answer and a follow-up under a question, for every view that shows questions. */
export function answerParts(q) {
  const out = [];
  if (q.answer) {
    out.push(h('div', { class: 'written-answer' },
      h('p', { class: 'label' }, t('rec_written_answer')),
      h('p', { class: 'answer-text' }, q.answer)));
  }
  if (q.follow_up) {
    const f = q.follow_up;
    out.push(h('div', { class: 'follow-up' },
      h('p', { class: 'label' }, t('rec_follow_up')),
      h('p', {}, t('follow_up_line', { owner: f.owner, due: formatDay(f.due) })),
      h('p', {}, f.outcome ? `${t('rec_outcome')} ${f.outcome}` : t('rec_outcome_pending'))));
  }
  return out;
}

/** Today plus `days`, as `YYYY-MM-DD` in local time. */
export function dayFromNow(days) {
  const d = new Date(Date.now() + days * 86400000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * An inline form to promise a follow-up on question `q`: who owns it and by when.
 * `owners` are suggestions (the panel); `onSubmit({owner, due})`.
 */
export function followUpForm(q, { owner = '', owners = [], onSubmit, onCancel }) {
  const ownerId = `fo-${q.id}`;
  const dueId = `fd-${q.id}`;
  const listId = `fl-${q.id}`;
  const ownerInput = h('input', { type: 'text', id: ownerId, maxlength: '200', list: listId, 'data-focus': 'editor', autocomplete: 'off' });
  ownerInput.value = owner;
  const due = h('input', { type: 'date', id: dueId });
  due.value = dayFromNow(30);
  const error = h('p', { class: 'error-line', role: 'alert' });
  return h('form', {
    class: 'inline-editor follow-up-form',
    'data-follow-form': q.id,
    novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      if (!ownerInput.value.trim()) {
        error.textContent = t('err_owner_empty');
        ownerInput.focus();
        return;
      }
      if (!/^\d{4}-\d{2}-\d{2}$/.test(due.value)) {
        error.textContent = t('err_due_empty');
        due.focus();
        return;
      }
      onSubmit({ owner: ownerInput.value.trim(), due: due.value });
    },
  },
  h('p', { class: 'label' }, t('follow_up_heading', { n: q.id })),
  h('div', { class: 'field' }, h('label', { for: ownerId }, t('follow_up_owner')), ownerInput,
    h('datalist', { id: listId }, owners.map((o) => h('option', { value: o })))),
  h('div', { class: 'field' }, h('label', { for: dueId }, t('follow_up_due')), due),
  error,
  h('div', { class: 'actions' },
    h('button', { type: 'submit' }, t('action_promise_confirm')),
    h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('action_cancel'))));
}

/** An inline form to write (or rewrite) the written answer to question `q`; `onSubmit(text)`. */
export function answerForm(q, { initial = '', hint, onSubmit, onCancel }) {
  const id = `wa-${q.id}`;
  const hintId = `wah-${q.id}`;
  const area = h('textarea', { id, maxlength: '4000', 'data-focus': 'editor', 'aria-describedby': hintId });
  area.value = initial;
  const error = h('p', { class: 'error-line', role: 'alert' });
  return h('form', {
    class: 'inline-editor answer-form',
    'data-answer-form': q.id,
    novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      if (!area.value.trim()) {
        error.textContent = t('err_answer_empty');
        area.focus();
        return;
      }
      onSubmit(area.value.trim());
    },
  },
  h('label', { for: id }, t('answer_label', { n: q.id })), area,
  h('span', { class: 'hint', id: hintId }, hint || t('answer_hint')),
  error,
  h('div', { class: 'actions' },
    h('button', { type: 'submit' }, t('action_answer_save')),
    h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('action_cancel'))));
}

/** Says something to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeated message be read again.
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/**
 * The address to put in the livestream frame. Organizers paste the link they
 * have; YouTube's watch and share links cannot be framed, their embed link can.
 */
export function embedUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const host = u.hostname.replace(/^www\.|^m\./, '');
  let id = null;
  if (host === 'youtube.com' && u.pathname === '/watch') id = u.searchParams.get('v');
  else if (host === 'youtube.com' && u.pathname.startsWith('/live/')) id = u.pathname.split('/')[2];
  else if (host === 'youtu.be') id = u.pathname.slice(1);
  if (id && /^[\w-]{6,20}$/.test(id)) return `https://www.youtube-nocookie.com/embed/${id}`;
  return u.href;
}

/** The "to whom" choices: anyone, a kind of panelist, or one panelist by name. */
export function addresseeOptions(panel) {
  const options = [h('option', { value: '' }, t('to_anyone'))];
  const kinds = [...new Set(panel.map((p) => p.kind))].filter((k) => k !== 'other');
  if (kinds.length) {
    options.push(h('optgroup', { label: t('to_group_kind') }, kinds.map((k) => h('option', { value: `k:${k}` }, t(`kind_plural_${k}`)))));
  }
  if (panel.length) {
    options.push(h('optgroup', { label: t('to_group_person') }, panel.map((p) => h('option', { value: `p:${p.id}` }, [p.name, p.title].filter(Boolean).join(', ')))));
  }
  return options;
}

/** Focuses the first of these that exists and is enabled, once the page has been drawn. */
export function focusLater(...selectors) {
  requestAnimationFrame(() => {
    for (const s of selectors) {
      const el = document.querySelector(s);
      if (el && !el.disabled) {
        el.focus();
        return;
      }
    }
  });
}
