// Strings: Swedish first. The participant's pages speak the districts'
// languages (locales/sv.json, en.json, ar.json, so.json and lattlast.json, plain
// Swedish); staff pages speak Swedish and English and add their own strings
// (locales/staff/). Also what the pages say in words (dates, times, error codes,
// addressees). No dependencies and no build step: the server serves these files
// as they are.

import { safeGet, safeSet } from './storage.js';

const LANG_KEY = 'dialoghub.lang';

/**
 * Every language a page may speak, named in itself. `lang` is the document's
 * language tag (plain Swedish is Swedish to a screen reader), `intl` the one
 * dates and numbers are written in (Arabic with the digits of the join codes).
 */
export const LANGUAGES = {
  sv: { name: 'Svenska', lang: 'sv', dir: 'ltr', intl: 'sv-SE' },
  lattlast: { name: 'Lättläst svenska', lang: 'sv', dir: 'ltr', intl: 'sv-SE' },
  en: { name: 'English', lang: 'en', dir: 'ltr', intl: 'en-GB' },
  ar: { name: 'العربية', lang: 'ar', dir: 'rtl', intl: 'ar-u-nu-latn' },
  so: { name: 'Soomaali', lang: 'so', dir: 'ltr', intl: 'so-SO' },
};

/** The participant's pages offer every language; staff pages Swedish and English. */
const OFFERED = { public: ['sv', 'lattlast', 'en', 'ar', 'so'], staff: ['sv', 'en'] };

let strings = {};

let lang = 'sv';

let offered = OFFERED.staff;

let scope = 'staff';

export function currentLang() {
  return lang;
}

/** The language the browser asks for first, among those offered (never plain Swedish: no browser asks for it). */
export function browserLang(langs, offer) {
  for (const tag of langs || []) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (primary !== 'lattlast' && offer.includes(primary)) return primary;
  }
  return null;
}

/**
 * Loads the page's language: `choice` if given, else the one chosen before on
 * this browser, else the browser's own (on a first visit), else Swedish.
 * `pageScope` is 'public' on the participant's page, 'staff' elsewhere.
 */
export async function loadStrings(choice, pageScope = scope) {
  scope = pageScope;
  offered = OFFERED[scope] || OFFERED.staff;
  const stored = safeGet(LANG_KEY);
  lang = [choice, stored, browserLang(navigator.languages, offered)].find((l) => offered.includes(l)) || 'sv';
  const files = [`/assets/locales/${lang}.json`];
  if (scope === 'staff') files.push(`/assets/locales/staff/${lang}.json`);
  const tables = await Promise.all(files.map((f) => fetch(f, { cache: 'no-cache' }).then((r) => r.json())));
  strings = Object.assign({}, ...tables);
  const info = LANGUAGES[lang];
  document.documentElement.lang = info.lang;
  document.documentElement.dir = info.dir;
  document.documentElement.dataset.language = lang;
  applyStrings(document);
}

/** The `?lang=` of the server-rendered pages (/d, /r) in this page's language; plain Swedish reads them in Swedish. */
export function langQuery() {
  return ['en', 'ar', 'so'].includes(lang) ? `?lang=${lang}` : '';
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

/**
 * A walk's category by its code, named from the deployment's list (the
 * snapshot's `walk.categories`, `{code, sv, en}`): English on an English page,
 * Swedish on every other, as the server's pages name them; a code no longer
 * listed is shown as it is.
 */
export function categoryName(categories, code) {
  const c = (categories || []).find((x) => x.code === code);
  if (!c) return code;
  return lang === 'en' ? c.en : c.sv;
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
 * Wires the language choice, remembers it and re-renders in place, so nothing
 * typed is lost. A staff page has one button that names the other language in
 * that language ("English" on a Swedish page); the participant's page has a
 * list of every language, each named in itself.
 */
export function setupLanguageButton(rerender) {
  const choose = async (next) => {
    safeSet(LANG_KEY, next);
    await loadStrings(next);
    label();
    rerender();
  };
  const button = document.getElementById('lang-toggle');
  const select = document.getElementById('lang-select');
  const label = () => {
    if (button) {
      // The button names the other language in that language, so its lang is the other one.
      button.textContent = t('switch_language');
      button.lang = lang === 'sv' ? 'en' : 'sv';
    }
    if (select) select.value = lang;
  };
  if (select) {
    select.replaceChildren(...offered.map((code) => {
      const option = document.createElement('option');
      option.value = code;
      option.textContent = LANGUAGES[code].name;
      option.lang = LANGUAGES[code].lang;
      option.dir = LANGUAGES[code].dir;
      return option;
    }));
    select.addEventListener('change', () => choose(select.value));
  }
  if (button) button.addEventListener('click', () => choose(lang === 'sv' ? 'en' : 'sv'));
  label();
}

/** A date `YYYY-MM-DD` in words (a follow-up's due day). */
export function formatDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return day || '';
  return new Intl.DateTimeFormat(LANGUAGES[lang].intl, { dateStyle: 'long', timeZone: 'UTC' })
    .format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

/**
 * The deployment's time zone (`[meetings] time_zone`, named by the server in
 * `<meta name="dialoghub-time-zone">`): every time is shown in it, with its
 * name, whatever the device's zone is (a visitor abroad, a laptop set to UTC).
 */
export const TIME_ZONE = (typeof document !== 'undefined'
  && document.querySelector('meta[name="dialoghub-time-zone"]')?.content) || 'Europe/Stockholm';

function zoneParts(date) {
  const parts = new Intl.DateTimeFormat(LANGUAGES[lang].intl, {
    timeZone: TIME_ZONE, year: 'numeric', month: 'long', day: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(date);
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

/** A moment in words, as the server's pages write it: "12 mars 2026, kl. 18:00 CET". */
export function formatTime(ms) {
  if (!ms) return '';
  const p = zoneParts(new Date(ms));
  const at = LANGUAGES[lang].lang === 'sv' ? `kl. ${p.hour}:${p.minute}` : `${p.hour}:${p.minute}`;
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

/** The day it is now in the dialogue's zone, `YYYY-MM-DD`: the day due dates are counted in. */
export function zoneToday(now = Date.now()) {
  return zoneInputValue(now).slice(0, 10);
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
