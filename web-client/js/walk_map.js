// A walk's map (Leaflet, vendored under /assets/vendor/leaflet/): each group's
// route, the stops (the group's current stop stands out) and the observations
// away from every stop. The same content is always in a list beside it: the map
// only repeats it for those who see it. With no tile server configured, Leaflet
// missing or tiles that never load, the list alone serves and nothing waits for
// the map (tiles load on their own; no code awaits them).
// No dependencies and no build step: the server serves these files as they are.

import { t } from './common.js';

const COLOURS = ['#0b5394', '#a4161a', '#38761d', '#7f4f00', '#674ea7', '#0c5f6b'];

/** The tile server the page was served with (`[walks] tile_url`), or null for no map. */
export function mapConfig() {
  const meta = document.querySelector('meta[name="dialoghub-map"]');
  const url = meta ? meta.content : '';
  return url && window.L ? { url, attribution: meta.dataset.attribution || '' } : null;
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const point = (p) => (p && p.lat_e6 !== null && p.lat_e6 !== undefined && p.lon_e6 !== null && p.lon_e6 !== undefined
  ? [p.lat_e6 / 1e6, p.lon_e6 / 1e6] : null);

export class WalkMap {
  /** `el` is the map's box; it stays hidden while there is no map to show. */
  constructor(el) {
    this.el = el;
    this.map = null;
    this.drawn = null;
    this.fitted = false;
    this.sig = '';
  }

  /** Draws `{stops, groups, observations}` (observations the reader may see). */
  draw({ stops, groups, observations }) {
    const config = mapConfig();
    const placed = stops.filter((s) => point(s));
    if (!config || !placed.length) {
      this.el.hidden = true;
      return;
    }
    const L = window.L;
    this.el.hidden = false;
    const sig = JSON.stringify([placed, groups.map((g) => [g.route, g.at]), observations.map(point)]);
    if (sig === this.sig) return;
    this.sig = sig;
    if (!this.map) {
      this.el.setAttribute('role', 'region');
      this.el.setAttribute('aria-label', t('walk_map_label'));
      // Keyboard users have the list; the map takes no focus of its own.
      // No fading: a stop's label is replaced at once when the walk changes.
      this.map = L.map(this.el, { keyboard: false, scrollWheelZoom: false, zoomControl: false, fadeAnimation: false });
      L.control.zoom({ zoomInTitle: t('walk_map_zoom_in'), zoomOutTitle: t('walk_map_zoom_out') }).addTo(this.map);
      this.map.attributionControl.setPrefix(false);
      L.tileLayer(config.url, { attribution: escapeHtml(config.attribution), maxZoom: 19 }).addTo(this.map);
      this.drawn = L.layerGroup().addTo(this.map);
    }
    this.drawn.clearLayers();
    const byId = new Map(stops.map((s) => [s.id, s]));
    const here = new Set(groups.map((g) => g.at).filter((a) => a !== null && a !== undefined));
    groups.forEach((g, i) => {
      const line = g.route.map((id) => point(byId.get(id))).filter(Boolean);
      if (line.length > 1) L.polyline(line, { color: COLOURS[i % COLOURS.length], weight: 4, opacity: 0.8, interactive: false }).addTo(this.drawn);
    });
    for (const s of placed) {
      const now = here.has(s.id);
      L.circleMarker(point(s), {
        radius: now ? 12 : 8, color: '#1a1a1a', weight: now ? 4 : 2, fillColor: now ? '#ffbf00' : '#ffffff', fillOpacity: 1, interactive: false,
      }).bindTooltip(`${s.id}. ${escapeHtml(s.name)}`, { permanent: true, direction: 'right', offset: [10, 0] }).addTo(this.drawn);
    }
    for (const o of observations) {
      const p = point(o);
      if (p) L.circleMarker(p, { radius: 6, color: '#a4161a', weight: 2, fillColor: '#a4161a', fillOpacity: 0.6, interactive: false }).addTo(this.drawn);
    }
    if (!this.fitted) {
      this.fitted = true;
      // The box was hidden until now: let Leaflet measure it before fitting.
      this.map.invalidateSize();
      const all = [...placed.map(point), ...observations.map(point).filter(Boolean)];
      if (all.length === 1) this.map.setView(all[0], 16);
      else this.map.fitBounds(all, { padding: [30, 30], maxZoom: 17 });
    }
  }
}
