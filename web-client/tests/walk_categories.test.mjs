// A deployment's own observation categories (issue 22): the server's list, not
// one the page knows, is what the walk page offers, in Swedish and in English,
// and what it names observations by. Real headless Chromium against the real
// server started with a configuration file that adds one category and drops one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, api, local, problems, visit, PHONE, waitText } from './harness.mjs';
import { asStaff } from './walk_helpers.mjs';

const CATEGORIES = [
  { code: 'lighting', sv: 'Belysning', en: 'Lighting' },
  { code: 'snow', sv: 'Snöröjning', en: 'Snow clearing' },
  { code: 'other', sv: 'Övrigt', en: 'Other' },
];

let server;
let browser;
let configDir;

before(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'dialoghub-categories-'));
  const file = join(configDir, 'categories.toml');
  await writeFile(file, CATEGORIES.map((c) => `[[walks.categories]]\ncode = "${c.code}"\nsv = "${c.sv}"\nen = "${c.en}"\n`).join('\n'));
  server = await startServer({ env: { DIALOGHUB_CONFIG: file } });
  browser = await launchBrowser();
}, { timeout: 90000 });

after(async () => {
  await browser?.close();
  await server?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
}, { timeout: 30000 });

/** The observation form's categories as (value, label). */
const offered = (page) => page.locator('#obs-category option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));

test('the observation form offers exactly the deployment\'s categories, in Swedish and English', { timeout: 120000 }, async () => {
  const d = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsvandring i vinterväder',
    kind: 'walk',
    purpose: 'Vi går tillsammans och noterar vad som gör platserna otrygga.',
    walk: {
      stops: [{ id: 1, name: 'Trappan', address: 'Backvägen 3' }],
      groups: [{ id: 1, name: 'Grupp 1', leader: 'Lena', route: [1] }],
    },
  });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Lena Ledare' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const join = async (lang, button) => {
    const { page } = await newPage(browser, { viewport: PHONE, lang });
    await page.goto(`${server.base}/w/${d.code}`);
    await page.getByRole('button', { name: button }).click();
    await page.locator('html[data-connection=open]').waitFor();
    await page.locator('#obs-category option').first().waitFor({ state: 'attached' });
    return page;
  };
  const anna = await join('sv', 'Gå med');
  const bo = await join('en', 'Join');
  assert.deepEqual(await offered(anna), CATEGORIES.map((c) => [c.code, c.sv]));
  assert.deepEqual(await offered(bo), CATEGORIES.map((c) => [c.code, c.en]));

  // An observation in the added category, named by the list once approved.
  await anna.locator('#obs-stop').selectOption('1');
  await anna.getByLabel('Kategori').selectOption('snow');
  await anna.getByLabel('Vad ser du?').fill('Ingen har skottat trappan');
  await anna.getByRole('button', { name: 'Skicka iakttagelsen' }).click();
  await waitText(anna, '#obs-result', 'kvittokod', 'Anna gets a receipt');
  const lead = (await newPage(browser)).page;
  await visit(lead, server, local(server, moderator.invite_url));
  await lead.locator('html[data-connection=open]').waitFor();
  const approved = await asStaff(lead, d.id, ['approve_pending']);
  assert.equal(approved.length, 1, JSON.stringify(approved));
  await waitText(bo, '#observations li', 'Snow clearing', 'Bo sees the category in English');
  await waitText(anna, '#observations li', 'Snöröjning', 'Anna sees it in Swedish');
  assert.deepEqual(problems, []);
});
