// The districts' languages on the participant's pages, in real headless Chromium
// against the real server: Arabic right to left, Somali and plain Swedish with
// their own texts, the browser's language on a first visit; and issue 21's small
// bugs of these pages (the title on a language switch, the join page after the
// meeting, the danger advice in the new language).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, problems, screenshot, PHONE, checkAxe, waitText } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** A phone whose browser speaks `locale` and has never been here: no language stored. */
async function firstVisit(locale) {
  const context = await browser.newContext({ viewport: PHONE, locale, timezoneId: 'Europe/Stockholm', reducedMotion: 'reduce' });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'warning' && m.text().startsWith('missing string')) problems.push(m.text());
  });
  return { context, page };
}

async function liveDialogue(title) {
  const d = await api(server, 'POST', '/api/dialogues', { title, venue: 'Rinkeby folkets hus', purpose: 'Frågor om tryggheten i Rinkeby.' });
  await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Per Polis', title: 'Kommunpolis', organisation: 'Polisen', kind: 'police' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  return d;
}

async function join(page) {
  await page.locator('#join-form button[type=submit]').click();
  await page.locator('html[data-connection=open]').waitFor();
}

test('Arabic: the browser asks for it, the pages read right to left, codes stay left to right', { timeout: 120000 }, async (t) => {
  const d = await liveDialogue('Trygghetsdialog i Rinkeby');
  const { context, page } = await firstVisit('ar');
  await page.goto(`${server.base}/j/${d.code}`);
  await page.locator('html[lang=ar][dir=rtl]').waitFor();
  await waitText(page, '#join-form button', 'انضم', 'the join button in Arabic');
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), 'rtl');
  assert.equal(await page.inputValue('#lang-select'), 'ar', 'the language list shows the language in use');
  assert.equal(await page.textContent('#join-heading'), 'Trygghetsdialog i Rinkeby', 'the title, not the generic heading');
  await checkAxe(page, 'join page ar', t);
  await join(page);
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('ask-form')).direction), 'rtl');
  // Right to left, the form's first button sits at its right edge.
  const form = await page.locator('#ask-form').boundingBox();
  const button = await page.locator('#ask-submit').boundingBox();
  assert.ok(button.x + button.width > form.x + form.width * 0.75, `the ask button on the right (${button.x}+${button.width} in ${form.x}+${form.width})`);
  assert.ok(button.x > form.x + form.width / 3, 'and not on the left');
  await page.fill('#ask-text', 'متى ستُصلَح الإضاءة في الحديقة؟');
  await page.click('#ask-submit');
  await page.locator('#receipt-box:not([hidden])').waitFor();
  assert.equal(await page.getAttribute('#receipt-code', 'dir'), 'ltr', 'the receipt code reads left to right');
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('receipt-code')).direction), 'ltr');
  await waitText(page, '#mine [data-mine]', 'الإضاءة', 'the question among my own');
  await checkAxe(page, 'participant page ar', t);
  await screenshot(page, 'participant-ar-phone', { fullPage: true });

  // The server-rendered pages follow the browser's language too, and link on in it.
  await page.goto(`${server.base}/d/${d.code}`);
  await page.locator('html[lang=ar][dir=rtl]').waitFor();
  await waitText(page, 'main', 'اطرح سؤالًا الآن', 'the public page in Arabic');
  assert.equal(await page.getAttribute('a.cta', 'href'), `/j/${d.code}?lang=ar`);
  assert.equal(await page.locator("bdi[dir=ltr]").filter({ hasText: new RegExp(`^${d.code}$`) }).count(), 1, 'the join code isolated left to right');
  await checkAxe(page, 'public page ar', t);
  await page.goto(`${server.base}/r`);
  await page.locator('html[lang=ar][dir=rtl]').waitFor();
  await checkAxe(page, 'receipt lookup ar', t);
  // Every language is named in itself on every page, and choosing one sticks to its links.
  for (const name of ['Svenska', 'English', 'العربية', 'Soomaali']) {
    assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, `${name} in the list`);
  }
  await page.getByRole('link', { name: 'Soomaali', exact: true }).click();
  await page.locator('html[lang=so][dir=ltr]').waitFor();
  await waitText(page, 'h1', "Maxaa ku dhacay su'aashayda?", 'the receipt lookup in Somali');
  await context.close();
  assert.deepEqual(problems, []);
});

test('Somali: a first visit with a Somali browser joins in Somali', { timeout: 90000 }, async (t) => {
  const d = await liveDialogue('Trygghetsdialog i Tensta');
  const { context, page } = await firstVisit('so');
  await page.goto(`${server.base}/j/${d.code}`);
  await page.locator('html[lang=so][dir=ltr]').waitFor();
  await waitText(page, '#join-form legend', 'Xaggee joogtaa?', 'where are you, in Somali');
  await waitText(page, '#join-form button', 'Ku biir', 'the join button in Somali');
  await checkAxe(page, 'join page so', t);
  await screenshot(page, 'join-so-phone', { fullPage: true });
  await join(page);
  await waitText(page, '#ask-heading', "Weydii su'aal", 'the ask form in Somali');
  await context.close();
  assert.deepEqual(problems, []);
});

test('plain Swedish: chosen from the list, remembered, its own short sentences', { timeout: 90000 }, async (t) => {
  const d = await liveDialogue('Trygghetsdialog i Husby');
  const { context, page } = await newPage(browser, { viewport: PHONE });
  await page.goto(`${server.base}/j/${d.code}`);
  await page.selectOption('#lang-select', 'lattlast');
  await page.locator('html[data-language=lattlast][lang=sv]').waitFor();
  await waitText(page, '#join-form fieldset', 'Hemma eller någon annanstans', 'plain Swedish on the join page');
  assert.equal(await page.textContent('#join-heading'), 'Trygghetsdialog i Husby');
  await join(page);
  await page.reload();
  await page.locator('html[data-language=lattlast]').waitFor();
  await waitText(page, '#ask-hint', 'En moderator läser frågan först.', 'plain Swedish remembered after a reload');
  await checkAxe(page, 'participant page, plain Swedish', t);
  await screenshot(page, 'participant-lattlast-phone', { fullPage: true });
  await context.close();
  assert.deepEqual(problems, []);
});

test('/j/CODE keeps the title on a language switch and the danger advice follows the language', { timeout: 90000 }, async () => {
  const d = await liveDialogue('Trygghetsdialog i Akalla');
  const { context, page } = await newPage(browser, { viewport: PHONE });
  await page.goto(`${server.base}/j/${d.code}`);
  await waitText(page, '#join-heading', 'Trygghetsdialog i Akalla', 'the title');
  await page.selectOption('#lang-select', 'en');
  await page.locator('html[lang=en]').waitFor();
  await waitText(page, '#join-form button', 'Join', 'the page in English');
  assert.equal(await page.textContent('#join-heading'), 'Trygghetsdialog i Akalla', 'the title survives the switch');
  await page.selectOption('#lang-select', 'sv');
  await join(page);
  await page.fill('#ask-text', 'Han har en kniv utanför porten … nu!');
  await waitText(page, '#danger-advice', 'Är du i fara nu? Ring 112', 'the advice in Swedish');
  await page.selectOption('#lang-select', 'ar');
  await waitText(page, '#danger-advice', 'هل أنت في خطر الآن؟', 'the advice in Arabic after the switch');
  assert.ok(!(await page.textContent('#danger-advice')).includes('Är du i fara'), 'no Swedish left in it');
  await context.close();
  assert.deepEqual(problems, []);
});

test('/j/CODE after the meeting says it has closed and links to the record', { timeout: 90000 }, async (t) => {
  const d = await liveDialogue('Trygghetsdialog i Kista');
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'closed', expected: 'live' });
  const { context, page } = await newPage(browser, { viewport: PHONE });
  await page.goto(`${server.base}/j/${d.code}`);
  await waitText(page, '#join-closed', 'Dialogen är avslutad', 'closed, in words');
  assert.ok(await page.locator('#join-form').isHidden(), 'no invitation to join and ask');
  assert.equal(await page.getAttribute('#join-record-link', 'href'), `/d/${d.code}`);
  await checkAxe(page, 'join page after the meeting', t);
  await page.click('#join-record-link');
  await waitText(page, 'main', 'Mötet är avslutat', 'the record');
  await context.close();
  assert.deepEqual(problems, []);
});
