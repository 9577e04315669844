// Every string lives in the locale files. The participant's pages speak Swedish,
// English, Arabic, Somali and plain Swedish (locales/*.json); staff pages add
// their own strings in Swedish and English (locales/staff/*.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (file) => JSON.parse(readFileSync(join(root, 'locales', file), 'utf8'));
const PUBLIC = ['sv', 'en', 'ar', 'so', 'lattlast'];
const STAFF = ['sv', 'en'];
const publicLocales = Object.fromEntries(PUBLIC.map((l) => [l, load(`${l}.json`)]));
const staffLocales = Object.fromEntries(STAFF.map((l) => [l, load(`staff/${l}.json`)]));
const CHECKED = 'checked_by_native_speaker';
const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sameKeys(locales, what) {
  const sv = locales.sv;
  for (const [code, table] of Object.entries(locales)) {
    const missing = Object.keys(sv).filter((k) => !(k in table));
    const leftover = Object.keys(table).filter((k) => !(k in sv));
    assert.deepEqual({ missing, leftover }, { missing: [], leftover: [] }, `${what} ${code}.json`);
    for (const [key, text] of Object.entries(sv)) {
      if (key === CHECKED) continue;
      assert.equal(typeof table[key], 'string', `${what} ${code}.json: ${key} is not a string`);
      assert.ok(table[key].trim(), `${what} ${code}.json: ${key} is empty`);
      assert.deepEqual(names(table[key]), names(text), `${what} ${code}.json: ${key}: placeholders differ`);
    }
  }
}

test('every language of the participant pages has every Swedish key and no other', () => {
  sameKeys(publicLocales, 'locales/');
});

test('staff strings are in Swedish and English, with the same keys, apart from the public ones', () => {
  sameKeys(staffLocales, 'locales/staff/');
  const both = Object.keys(staffLocales.sv).filter((k) => k !== CHECKED && k in publicLocales.sv);
  assert.deepEqual(both, [], 'a key lives in one place');
});

test('each locale says whether a native speaker has checked it, and the README lists those not checked', () => {
  const readme = readFileSync(join(root, '..', 'README.md'), 'utf8');
  for (const [code, table] of Object.entries(publicLocales)) {
    assert.equal(typeof table[CHECKED], 'boolean', `${code}.json: ${CHECKED}`);
    if (!table[CHECKED]) assert.ok(readme.includes(`web-client/locales/${code}.json`), `README lists ${code}.json as not checked`);
  }
});

const keysUsedIn = (files) => {
  const used = new Set();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/data-i18n(?:-[a-z]+)?="([a-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\bt\('([a-z0-9_]+)'/g)) used.add(m[1]);
  }
  return used;
};

test('every key the participant page uses is a public string', () => {
  const files = ['index.html', ...['participant.js', 'participant_parts.js', 'participant_layout.js', 'participant_join.js', 'i18n.js', 'dom.js', 'model.js', 'connection.js'].map((f) => `js/${f}`)];
  const used = keysUsedIn(files);
  const missing = [...used].filter((k) => !(k in publicLocales.sv));
  assert.deepEqual(missing, []);
  assert.ok(used.size > 80, `found ${used.size} keys in use`);
});

test('every key the pages and scripts use exists', () => {
  const files = [
    ...readdirSync(root).filter((f) => f.endsWith('.html')),
    ...readdirSync(join(root, 'js')).map((f) => `js/${f}`),
  ];
  const used = keysUsedIn(files);
  const missing = [...used].filter((k) => !(k in publicLocales.sv) && !(k in staffLocales.sv));
  assert.deepEqual(missing, []);
  assert.ok(used.size > 100, `found ${used.size} keys in use`);
});
