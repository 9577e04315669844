// The moderator console's walk view (a dialogue that is a safety walk): where
// each group is, the stops and the observations made at them, and each
// observation's private photo with the blur tool. The observation's text is
// moderated in the queue like any question; its photo is decided here.
// No dependencies and no build step: the server serves these files as they are.

import { categoryName, h, syncList, t } from './common.js';
import { blurTool } from './photo_blur.js';
import { WalkMap } from './walk_map.js';

const $ = (id) => document.getElementById(id);

/** Keeps a walk's state from the staff's snapshot and events. */
export class WalkState {
  constructor() {
    this.active = false;
    this.stops = [];
    this.groups = [];
    this.categories = []; // the deployment's list: {code, sv, en}
    this.observations = new Map(); // question id -> observation
    this.published = new Map(); // photo id -> its published copy's id
    this.actions = new Map();
  }

  snapshot(walk) {
    this.active = Boolean(walk);
    if (!walk) return;
    this.stops = walk.stops;
    this.groups = walk.groups;
    this.categories = walk.categories;
    this.observations = new Map(walk.observations.map((o) => [o.question_id, o]));
    this.published = new Map(walk.photos.filter((p) => p.published_id).map((p) => [p.photo, p.published_id]));
    this.actions = new Map(walk.actions.map((a) => [a.id, a]));
  }

  /** True when the event changed the walk. */
  apply(e, at) {
    switch (e.kind) {
      case 'walk_planned': {
        const where = new Map(this.groups.map((g) => [g.id, g.at]));
        this.active = true;
        this.stops = e.stops;
        this.groups = e.groups.map((g) => ({ ...g, at: where.get(g.id) }));
        return true;
      }
      case 'group_moved': {
        const g = this.groups.find((x) => x.id === e.group);
        if (g) g.at = e.at ?? undefined;
        return Boolean(g);
      }
      case 'observation_placed': {
        const { kind: _kind, ...o } = e;
        this.observations.set(o.question_id, o);
        return true;
      }
      case 'question_published':
        if (!e.observation) return false;
        this.observations.set(e.observation.question_id, e.observation);
        return true;
      case 'photo_published':
        this.published.set(e.photo, e.published_id);
        return true;
      case 'action_created':
        this.actions.set(e.action_id, {
          id: e.action_id, title: e.title, responsible: e.responsible, due: e.due, status: 'reported',
          observation_ids: e.observation_ids, history: [{ status: 'reported', at, note: '' }],
        });
        return true;
      case 'action_status_changed': {
        const a = this.actions.get(e.action_id);
        if (a) {
          a.status = e.status;
          a.history.push({ status: e.status, at, note: e.note });
        }
        return Boolean(a);
      }
      default:
        return false;
    }
  }

  stopName(id) {
    return this.stops.find((s) => s.id === id)?.name || '';
  }

  where(o) {
    return o.stop ? `${o.stop}. ${this.stopName(o.stop)}` : t('walk_near');
  }
}

/**
 * The walk section of the console. `model` holds the questions (an
 * observation's text and status), `photoBase(photo)` is a photo's REST path.
 */
export function walkDesk({ model, photoBase }) {
  const walk = new WalkState();
  const rejected = new Set(); // photo ids rejected on this page (a rejection is not in the log)
  const tools = new Map(); // photo id -> its tool, built once so typing and drawing survive updates
  let map = null;
  const approved = (o) => ['approved', 'answered'].includes(model.questions.get(o.question_id)?.status);

  function groupLine(g) {
    const name = g.leader ? `${g.name} (${g.leader})` : g.name;
    if (g.at === undefined || g.at === null) return t('walk_group_waiting', { group: name, state: t('walk_not_started') });
    return t('walk_at_stop', { group: name, n: g.at, name: walk.stopName(g.at) });
  }

  /** What became of a photo: published (the log says so), rejected here, or nothing yet. */
  function decision(photo) {
    if (walk.published.has(photo)) return { state: 'published', published: walk.published.get(photo) };
    return rejected.has(photo) ? { state: 'rejected' } : null;
  }

  function photoItem(o) {
    const q = model.questions.get(o.question_id);
    const state = decision(o.photo);
    let tool = tools.get(o.photo);
    if (!tool && !state) {
      tool = blurTool({
        n: o.question_id,
        photo: o.photo,
        base: photoBase(o.photo),
        onDecided: (s, answer) => {
          // A publication also comes back as `photo_published`, for every console.
          if (s === 'published') walk.published.set(o.photo, answer?.published_id);
          else rejected.add(o.photo);
          render();
        },
      });
      tools.set(o.photo, tool);
    }
    const meta = `${t('mod_observation_n', { n: o.question_id })} · ${walk.where(o)} · ${categoryName(walk.categories, o.category)} · ${t('walk_felt_value', { n: o.felt_safety })}`;
    return h('li', { class: 'question', 'data-photo': o.photo, 'data-published-id': state?.published },
      h('h3', { class: 'meta' }, meta),
      q ? h('p', { class: 'answer-text' }, q.text) : null,
      state ? h('p', { class: 'overview-ok' }, t(state.state === 'published' ? 'photo_published' : 'photo_rejected')) : tool);
  }

  function render() {
    $('walk-section').hidden = !walk.active;
    if (!walk.active) return;
    syncList($('walk-groups'), walk.groups.map((g) => ({
      key: g.id, sig: `${groupLine(g)}`, render: () => h('li', { class: 'question' }, groupLine(g)),
    })));
    const shown = [...walk.observations.values()].filter(approved);
    if (!map) map = new WalkMap($('walk-map'));
    map.draw({ stops: walk.stops, groups: walk.groups, observations: shown });
    syncList($('walk-stops'), walk.stops.map((s) => {
      const count = shown.filter((o) => o.stop === s.id).length;
      const line = [`${s.id}. ${s.name}`, s.address, t('mod_walk_observations_n', { n: count })].filter(Boolean).join(' · ');
      return { key: s.id, sig: line, render: () => h('li', {}, line) };
    }));
    const withPhotos = [...walk.observations.values()].filter((o) => o.photo);
    $('walk-photos-empty').hidden = withPhotos.length > 0;
    syncList($('walk-photos'), withPhotos.map((o) => ({
      key: o.question_id,
      sig: JSON.stringify([o.photo, decision(o.photo)?.state || '', model.questions.get(o.question_id)?.text || '']),
      render: () => photoItem(o),
    })));
  }

  return {
    walk,
    onMessage(msg) {
      if (msg.type === 'snapshot') {
        walk.snapshot(msg.walk);
        render();
      } else if (msg.type === 'event' && walk.apply(msg.event, msg.at)) {
        render();
      }
    },
    render,
  };
}
