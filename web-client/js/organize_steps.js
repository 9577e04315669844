// The organizer's flow for one dialogue in five steps: create it, invite the
// panel, open it, run it, and what is left after it. The step shown follows the
// dialogue's phase; the organizer can go to any step (back to the panel while
// the dialogue is open, say). The indicator is an ordered list of buttons: the
// step shown has aria-current="step", and the steps behind the dialogue say
// "klart" in words, so nothing is told by colour alone.
import { h, t } from './common.js';

export const STEPS = ['create', 'panel', 'open', 'during', 'after'];

/** The step a dialogue is at: a draft needs its purpose, then its panel. */
export function stepOf(d) {
  switch (d.phase) {
    case 'draft': return d.purpose ? 'panel' : 'create';
    case 'open': return 'open';
    case 'live': return 'during';
    default: return 'after';
  }
}

/**
 * Runs the indicator `#steps` over the sections `[data-step-section]`.
 * `follow(d)` shows the dialogue's step when it changes (a new phase, another
 * dialogue) and moves focus to its heading unless `quiet`; `onShow(step)`
 * after a step is shown.
 */
export function stepper({ onShow = () => {} } = {}) {
  let shown = null;
  let at = null; // the dialogue's own step
  let followed = null; // the dialogue `at` belongs to

  function draw() {
    const reached = STEPS.indexOf(at);
    document.getElementById('steps').replaceChildren(...STEPS.map((step, i) => {
      const current = step === shown;
      return h('li', { class: `step-item${current ? ' current' : ''}${i < reached ? ' done' : ''}` },
        h('button', {
          type: 'button', class: 'step-button', 'data-step': step,
          'aria-current': current ? 'step' : null,
          onclick: () => show(step, true),
        },
        h('span', { class: 'step-number', 'aria-hidden': 'true' }, `${i + 1}`),
        h('span', { class: 'step-name' }, t(`step_${step}`)),
        i < reached ? h('span', { class: 'step-state' }, t('step_done')) : null,
        step === at ? h('span', { class: 'step-state' }, t('step_here')) : null));
    }));
  }

  function show(step, focus) {
    shown = step;
    for (const section of document.querySelectorAll('[data-step-section]')) section.hidden = section.dataset.stepSection !== step;
    draw();
    onShow(step);
    if (focus) document.getElementById(`step-${step}-heading`).focus();
  }

  return {
    follow(d, { quiet = false } = {}) {
      const step = stepOf(d);
      if (step === at && d.id === followed) return draw();
      const first = followed === null;
      at = step;
      followed = d.id;
      show(step, !first && !quiet);
    },
    show,
    /** Redraws the indicator's words (after a change of language). */
    draw,
  };
}
