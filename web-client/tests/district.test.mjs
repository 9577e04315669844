// The district's page about its safety work (server-rendered, no JavaScript) in
// real headless Chromium: upcoming dialogues, a past one with its record, a
// promise that is overdue and one that is done, and an information post with its
// chart and table; axe-core in Swedish and in English, and the screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, screenshot, checkAxe, asOrganizer, askApproved, PHONE } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const PURPOSE = 'Du kan påverka var stadsdelen sätter in belysning och fältassistenter nästa år. Budgeten är redan beslutad.';

function day(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

/** A question asked, approved and given a follow-up (harness `askApproved`). */
const promiseFollowUp = (page, dialogue, text, owner, due) => askApproved(page, server, dialogue, text, { owner, due });

test('the district page: what is coming, what was, every promise and the facts, in Swedish and English', { timeout: 180000 }, async (t) => {
  const soon = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsdialog på torget', purpose: PURPOSE,
    starts_at: new Date(Date.now() + 9 * 86400000).toISOString(),
    venue: 'Medborgarhuset', address: 'Torget 1', livestream_url: 'https://play.example.se/trygghet',
  });
  await api(server, 'POST', `/api/dialogues/${soon.id}/phase`, { phase: 'open', expected: 'draft' });
  const spring = await api(server, 'POST', '/api/dialogues', {
    title: 'Vårens trygghetsdialog', purpose: PURPOSE,
    starts_at: new Date(Date.now() - 20 * 86400000).toISOString(), venue: 'Biblioteket', address: 'Skolvägen 3',
  });
  await api(server, 'POST', `/api/dialogues/${spring.id}/phase`, { phase: 'live', expected: 'draft' });

  const { context, page } = await newPage(browser);
  await asOrganizer(context, server);
  await page.goto(`${server.base}/organize`);
  const late = await promiseFollowUp(page, spring, 'Varför är det så mörkt i gångtunneln vid skolan?', 'Trafikkontoret', day(-3));
  const kept = await promiseFollowUp(page, spring, 'Kan fritidsgården ha öppet längre på fredagar?', 'Fritidsgården', day(14));
  assert.deepEqual(late.acks, ['ack', 'ack', 'ack']);
  assert.deepEqual(kept.acks, ['ack', 'ack', 'ack']);
  await api(server, 'POST', `/api/dialogues/${spring.id}/questions/${kept.question}/outcome`, { outcome: 'Fritidsgården har öppet till 23 på fredagar från februari.' });
  await api(server, 'POST', `/api/dialogues/${spring.id}/phase`, { phase: 'closed', expected: 'live' });
  await api(server, 'POST', '/api/districts/default/posts', {
    title: 'Anmälda brott i stadsdelen',
    text: 'Antalet anmälda brott har minskat under våren.',
    source: 'Stadsdelsförvaltningen',
    data: { csv: 'Månad;Anmälda brott;Varav inbrott\njan;41;7\nfeb;38;6\nmar;33;5\napr;29;4\n', source: 'Brå, anmälda brott per månad' },
  });

  for (const [lang, query, name] of [['sv', '', 'district-sv'], ['en', '?lang=en', 'district-en']]) {
    await page.goto(`${server.base}/o/default${query}`);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    await page.locator('#h-upcoming').waitFor();
    const upcoming = await page.locator('section[aria-labelledby=h-upcoming]').innerText();
    assert.match(upcoming, /Trygghetsdialog på torget/);
    assert.match(upcoming, /CES?T/, 'the time zone is named');
    const statuses = await page.locator('tr.promise').evaluateAll((rows) => rows.map((r) => r.className));
    assert.deepEqual(statuses.sort(), ['promise status-done', 'promise status-overdue']);
    assert.equal(await page.locator('table.data tbody tr').count(), 4, 'the chart’s numbers as a table');
    const chart = page.locator('figure.chart img');
    assert.ok((await chart.getAttribute('alt')).length > 20, 'the chart is described in words');
    assert.ok(await chart.evaluate((img) => img.complete && img.naturalWidth > 0), 'the chart loads');
    await checkAxe(page, `district page (${lang})`, t);
    await screenshot(page, name, { fullPage: true });
  }

  // The filter works without JavaScript: a form that submits itself.
  await page.goto(`${server.base}/o/default`);
  await page.selectOption('#f-status', 'overdue');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/status=overdue/);
  assert.equal(await page.locator('tr.promise').count(), 1);
  await checkAxe(page, 'district page, filtered', t);

  // On a phone the promises stack, one card each with its columns named: no table to scroll sideways.
  await page.setViewportSize(PHONE);
  await page.goto(`${server.base}/o/default`);
  const promises = page.locator('table.promises');
  assert.ok(await promises.evaluate((t) => t.scrollWidth <= t.parentElement.clientWidth + 1), 'the promises fit the phone');
  const cell = page.locator('tr.promise td').nth(2);
  assert.equal(await cell.evaluate((td) => getComputedStyle(td).display), 'block');
  assert.equal(await cell.getAttribute('data-label'), 'Ansvarig');
  assert.notEqual(await cell.evaluate((td) => getComputedStyle(td, '::before').content), 'none', 'the column is named');
  await checkAxe(page, 'district page on a phone', t);
  await screenshot(page, 'district-phone', { fullPage: true });

  // At 200 % text on a phone nothing pushes the page sideways but the tables, which scroll in their box.
  await page.setViewportSize(PHONE);
  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(scroll <= 1, `the page scrolls sideways by ${scroll}px`);
  await context.close();
});
