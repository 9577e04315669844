// The moderator's blur tool for one private photo of a walk: rectangles drawn
// with the mouse (or a finger) over the photo, or typed in as numbers in the
// photo's own pixels; a preview of the blur as the server would publish it;
// approve (the blurred copy is published, the original deleted) or reject.
// No dependencies and no build step: the server serves these files as they are.

import { announce, h, t } from './common.js';
import { sessionFetch } from './session.js';

/** A `data:` URL of a response's image (the pages' policy allows `data:` images, not `blob:`). */
async function dataUrl(res) {
  const blob = await res.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function failure(res) {
  const body = await res.json().catch(() => ({}));
  return body.reason ? t(`photo_err_${body.reason}`) : (body.message || t('photo_err_unavailable'));
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

/**
 * The tool for photo `photo` of observation `n`. `base` is the photo's REST path
 * (`/api/dialogues/{id}/photos/{photo}`), read and changed with the session.
 * `onDecided(state)` is told `published` or `rejected`.
 */
export function blurTool({ n, photo, base, onDecided }) {
  const regions = [];
  let natural = { w: 0, h: 0 };
  const uid = `blur-${photo.slice(0, 12)}`;
  const img = h('img', { class: 'blur-photo', alt: t('photo_private_alt', { n }), draggable: false });
  const overlay = h('div', { class: 'blur-overlay', 'aria-hidden': 'true' });
  const frame = h('div', { class: 'blur-frame' }, img, overlay);
  const list = h('ul', { class: 'blur-regions', 'aria-label': t('photo_regions_label') });
  const status = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'error-line', role: 'alert' });
  const preview = h('img', { class: 'blur-preview', alt: t('photo_preview_alt', { n }), hidden: true });
  const size = h('p', { class: 'hint' });

  const num = (key, label) => h('div', { class: 'field blur-field' },
    h('label', { for: `${uid}-${key}` }, label),
    h('input', { id: `${uid}-${key}`, type: 'number', min: '0', step: '1', inputmode: 'numeric', 'data-part': key }));
  const fields = h('fieldset', { class: 'blur-numbers' },
    h('legend', {}, t('photo_numbers_legend')),
    h('div', { class: 'row' }, num('x', t('photo_x')), num('y', t('photo_y')), num('width', t('photo_width')), num('height', t('photo_height'))),
    h('button', { type: 'button', class: 'secondary small', 'data-focus': 'add', onclick: addTyped }, t('photo_add_region')));

  const buttons = h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'secondary', onclick: showPreview }, t('photo_preview')),
    h('button', { type: 'button', onclick: approve }, t('photo_approve')),
    h('button', { type: 'button', class: 'secondary danger', onclick: reject }, t('photo_reject')));

  const root = h('div', { class: 'blur-tool' },
    frame, size,
    h('p', { class: 'hint' }, t('photo_blur_hint')),
    fields, list, error, buttons, preview, status);

  function drawRegions() {
    overlay.replaceChildren(...regions.map((r) => box(r)));
    list.replaceChildren(...regions.map((r, i) => h('li', {},
      t('photo_region_line', { i: i + 1, x: r.x, y: r.y, w: r.width, h: r.height }), ' ',
      h('button', {
        type: 'button', class: 'secondary small',
        'aria-label': t('photo_remove_region_n', { i: i + 1 }),
        onclick: () => {
          regions.splice(i, 1);
          drawRegions();
          announce(t('photo_region_removed', { i: i + 1 }));
          fields.querySelector('input').focus();
        },
      }, t('photo_remove_region')))));
  }

  /** A rectangle over the photo, placed in percent so it follows the photo's displayed size. */
  function box(r, draft = false) {
    const el = h('div', { class: draft ? 'blur-box draft' : 'blur-box' });
    if (!natural.w) return el;
    el.style.left = `${(r.x / natural.w) * 100}%`;
    el.style.top = `${(r.y / natural.h) * 100}%`;
    el.style.width = `${(r.width / natural.w) * 100}%`;
    el.style.height = `${(r.height / natural.h) * 100}%`;
    return el;
  }

  function add(r) {
    error.textContent = '';
    regions.push(r);
    drawRegions();
    announce(t('photo_region_added', { i: regions.length, x: r.x, y: r.y, w: r.width, h: r.height }));
  }

  function addTyped() {
    const v = Object.fromEntries([...fields.querySelectorAll('input')].map((i) => [i.dataset.part, Number(i.value)]));
    const ok = ['x', 'y', 'width', 'height'].every((k) => Number.isInteger(v[k]) && v[k] >= 0)
      && v.width > 0 && v.height > 0 && v.x + v.width <= natural.w && v.y + v.height <= natural.h;
    if (!ok) {
      error.textContent = t('photo_region_bad', { w: natural.w, h: natural.h });
      return;
    }
    add({ x: v.x, y: v.y, width: v.width, height: v.height });
  }

  // Drawing: a pointer dragged over the photo, in the photo's own pixels.
  let start = null;
  let draft = null;
  const at = (ev) => {
    const rect = img.getBoundingClientRect();
    return {
      x: Math.round(clamp((ev.clientX - rect.left) / rect.width, 0, 1) * natural.w),
      y: Math.round(clamp((ev.clientY - rect.top) / rect.height, 0, 1) * natural.h),
    };
  };
  const spanOf = (a, b) => ({ x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) });
  frame.addEventListener('pointerdown', (ev) => {
    if (!natural.w || ev.button !== 0) return;
    ev.preventDefault();
    frame.setPointerCapture(ev.pointerId);
    start = at(ev);
  });
  frame.addEventListener('pointermove', (ev) => {
    if (!start) return;
    draft?.remove();
    draft = box(spanOf(start, at(ev)), true);
    overlay.append(draft);
  });
  const end = (ev) => {
    if (!start) return;
    const r = spanOf(start, at(ev));
    start = null;
    draft?.remove();
    draft = null;
    // A click is not a rectangle.
    if (r.width >= 4 && r.height >= 4) add(r);
  };
  frame.addEventListener('pointerup', end);
  frame.addEventListener('pointercancel', () => {
    start = null;
    draft?.remove();
    draft = null;
  });

  async function post(path, body) {
    error.textContent = '';
    const res = await sessionFetch('POST', `${base}${path}`, body).catch(() => null);
    if (!res) error.textContent = t('photo_err_unavailable');
    else if (!res.ok) error.textContent = await failure(res);
    return res && res.ok ? res : null;
  }

  async function showPreview() {
    const res = await post('/preview', { regions });
    if (!res) return;
    preview.src = await dataUrl(res);
    preview.hidden = false;
    status.textContent = t('photo_preview_shown', { k: regions.length });
  }

  async function approve() {
    const res = await post('/approve', { regions });
    if (!res) return;
    const decided = await res.json();
    root.dataset.publishedId = decided.published_id || '';
    status.textContent = t('photo_published');
    announce(t('photo_published'));
    onDecided('published', decided);
  }

  async function reject() {
    if (!(await post('/reject'))) return;
    status.textContent = t('photo_rejected');
    announce(t('photo_rejected'));
    onDecided('rejected');
  }

  // The private photo, read with the staff's credential.
  (async () => {
    const res = await sessionFetch('GET', base).catch(() => null);
    if (!res || !res.ok) {
      error.textContent = res ? await failure(res) : t('photo_err_unavailable');
      return;
    }
    img.addEventListener('load', () => {
      natural = { w: img.naturalWidth, h: img.naturalHeight };
      size.textContent = t('photo_size', { w: natural.w, h: natural.h });
      for (const i of fields.querySelectorAll('input')) i.max = String(['x', 'width'].includes(i.dataset.part) ? natural.w : natural.h);
      root.dataset.ready = 'true';
      drawRegions();
    }, { once: true });
    img.src = await dataUrl(res);
  })();
  return root;
}
