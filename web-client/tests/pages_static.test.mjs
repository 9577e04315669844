// Checks on the pages as files, without a browser (issue 21's small bugs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pages = readdirSync(root).filter((f) => f.endsWith('.html'));

test('no page has an id twice', () => {
  for (const file of pages) {
    const ids = [...readFileSync(join(root, file), 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(twice, [], `${file} repeats ids`);
  }
});

test('one word for the livestream in each language', () => {
  for (const lang of ['sv', 'en']) {
    const text = readFileSync(join(root, 'locales', `${lang}.json`), 'utf8');
    const words = lang === 'sv' ? ['Direktsändning', 'Livesändning'] : ['Livestream', 'Live stream'];
    const used = words.filter((w) => text.toLowerCase().includes(w.toLowerCase()));
    assert.ok(used.length <= 1, `${lang}: both ${used.join(' and ')}`);
  }
});
