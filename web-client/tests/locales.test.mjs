// Every string lives in the locale files, in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (lang) => JSON.parse(readFileSync(join(root, 'locales', `${lang}.json`), 'utf8'));
const sv = load('sv');
const en = load('en');

test('Swedish and English have the same keys, none empty, same placeholders', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(sv).sort());
  for (const [key, text] of Object.entries(sv)) {
    assert.ok(text.trim() && en[key].trim(), `${key} is empty`);
    const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(names(en[key]), names(text), `${key}: placeholders differ`);
  }
});

test('every key the pages and scripts use exists', () => {
  const used = new Set();
  for (const file of readdirSync(root).filter((f) => f.endsWith('.html'))) {
    const html = readFileSync(join(root, file), 'utf8');
    for (const m of html.matchAll(/data-i18n(?:-[a-z]+)?="([a-z0-9_]+)"/g)) used.add(m[1]);
  }
  for (const file of readdirSync(join(root, 'js'))) {
    const js = readFileSync(join(root, 'js', file), 'utf8');
    for (const m of js.matchAll(/\bt\('([a-z0-9_]+)'/g)) used.add(m[1]);
  }
  const missing = [...used].filter((k) => !(k in sv));
  assert.deepEqual(missing, []);
  assert.ok(used.size > 100, `found ${used.size} keys in use`);
});
