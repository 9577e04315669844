// Strings: Swedish first, English on request (locales/sv.json, locales/en.json),
// and what the pages say in words (dates, times, error codes, addressees).
// No dependencies and no build step: the server serves these files as they are.

import { safeGet, safeSet } from './storage.js';

const LANG_KEY = 'dialoghub.lang';

const LANGS = ['sv', 'en'];

let strings = {};

let lang = 'sv';

export function currentLang() {
  return lang;
}

/** Loads the chosen language (Swedish unless the visitor chose English before). */
export async function loadStrings(choice) {
  const stored = safeGet(LANG_KEY);
  lang = LANGS.includes(choice) ? choice : LANGS.includes(stored) ? stored : 'sv';
  const res = await fetch(`/assets/locales/${lang}.json`, { cache: 'no-cache' });
  strings = await res.json();
  document.documentElement.lang = lang;
  applyStrings(document);
}

/** A string by key; `{name}` placeholders are filled from `vars`; `{n}` = 1 picks `key_one` if there is one. */
export function t(key, vars = {}) {
  // Singular where the language has one: `votes_n_one` for n = 1.
  const s = vars.n === 1 && strings[`${key}_one`] !== undefined ? strings[`${key}_one`] : strings[key];
  if (s === undefined) {
    console.warn('missing string', key);
    return key;
  }
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** Fills `data-i18n` (text), `data-i18n-placeholder`, `data-i18n-label` (aria-label), `data-i18n-title`. */
export function applyStrings(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-alt]')) el.alt = t(el.dataset.i18nAlt);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  const title = document.querySelector('title[data-i18n-page]');
  if (title) title.textContent = t(title.dataset.i18nPage);
}

/**
 * Wires the language button: it names the other language in that language
 * ("English" on a Swedish page), remembers the choice and re-renders in place,
 * so nothing typed is lost.
 */
export function setupLanguageButton(rerender) {
  const button = document.getElementById('lang-toggle');
  if (!button) return;
  const label = () => {
    // The button names the other language in that language, so its lang is the other one.
    button.textContent = t('switch_language');
    button.lang = lang === 'sv' ? 'en' : 'sv';
  };
  label();
  button.addEventListener('click', async () => {
    const next = lang === 'sv' ? 'en' : 'sv';
    safeSet(LANG_KEY, next);
    await loadStrings(next);
    label();
    rerender();
  });
}

/** A date `YYYY-MM-DD` in words (a follow-up's due day). */
export function formatDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return day || '';
  return new Intl.DateTimeFormat(lang === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'long', timeZone: 'UTC' })
    .format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

/**
 * The dialogue's time zone: every time is shown in it, with its name, whatever
 * the device's zone is (a visitor abroad, a laptop set to UTC).
 */
export const TIME_ZONE = 'Europe/Stockholm';

function zoneParts(date) {
  const parts = new Intl.DateTimeFormat(lang === 'sv' ? 'sv-SE' : 'en-GB', {
    timeZone: TIME_ZONE, year: 'numeric', month: 'long', day: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(date);
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

/** A moment in words, as the server's pages write it: "12 mars 2026, kl. 18:00 CET". */
export function formatTime(ms) {
  if (!ms) return '';
  const p = zoneParts(new Date(ms));
  const at = lang === 'sv' ? `kl. ${p.hour}:${p.minute}` : `${p.hour}:${p.minute}`;
  return `${p.day} ${p.month} ${p.year}, ${at} ${p.timeZoneName}`;
}

/** `YYYY-MM-DDTHH:MM` in the dialogue's zone, for a datetime-local field. */
export function zoneInputValue(ms) {
  if (!ms) return '';
  const parts = new Intl.DateTimeFormat('sv-SE', {
    timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** A datetime-local value read as a time in the dialogue's zone, as milliseconds. */
export function zoneInputMs(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // The zone's offset at that moment; a second pass settles the hour a clock change moves.
  let ms = asUtc;
  for (let i = 0; i < 2; i += 1) {
    const shown = zoneInputValue(ms);
    const s = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(shown);
    ms = asUtc - (Date.UTC(+s[1], +s[2] - 1, +s[3], +s[4], +s[5]) - ms);
  }
  return ms;
}

/** A share in whole percent, rounded half up, as every page and the record write it. */
export function percent(n, total) {
  return total ? Math.floor((200 * n + total) / (2 * total)) : 0;
}

/** Who a question is for, in words: a panelist's name or a panel kind. */
export function addresseeLabel(addressee, panel) {
  if (!addressee) return null;
  if (addressee.panelist) {
    const p = panel.find((x) => x.id === addressee.panelist);
    return p ? t('to_person', { name: p.name }) : null;
  }
  if (addressee.kind) return t('to_kind', { kind: t(`kind_plural_${addressee.kind}`) });
  return null;
}

/** Error codes in words, for people. */
export function errorText(err) {
  const code = err && err.code;
  const key = `err_${code}`;
  return code && t(key) !== key ? t(key) : t('err_generic');
}
