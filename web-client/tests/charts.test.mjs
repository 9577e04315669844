// Facts with pictures (issue 23): an information post with figures shows its
// chart and its numbers as a table on the participant's phone (Swedish and
// English), and large on the venue screen at 1920×1080 once a moderator shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, screenshotDir, PHONE, checkAxe, visit } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const CSV = 'Månad;Anmälda brott;Varav rån\njul;198;12\naug;221;9,5\nsep;240;14\nokt;212;11';

/** Joins as a participant on a phone and waits for the connection. */
async function participant(code, lang) {
  const page = (await newPage(browser, { viewport: PHONE, lang })).page;
  await page.goto(`${server.base}/j/${code}`);
  await page.locator('#join-form button[type=submit]').click();
  await page.locator('html[data-connection=open]').waitFor();
  return page;
}

test('a post with figures: chart and table for participants, large on the screen when shown', { timeout: 240000 }, async (t) => {
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Hägersten', venue: 'Hägerstens medborgarhus', purpose: 'Frågor om tryggheten i Hägersten.' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  const screenInvite = await api(server, 'POST', `/api/dialogues/${d.id}/screen`);
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  await api(server, 'POST', `/api/dialogues/${d.id}/posts`, {
    text: 'Anmälda brott per månad i Hägersten, från polisens öppna statistik.',
    source: 'Polisen',
    data: { csv: CSV, source: 'Brå, anmälda brott per månad' },
  });

  for (const lang of ['sv', 'en']) {
    const phone = await participant(d.code, lang);
    const post = phone.locator('#posts .post').first();
    await post.locator('.post-chart img').waitFor();
    // The picture loads (the server drew it) and the table holds the posted numbers.
    const img = post.locator('.post-chart img');
    await assert.doesNotReject(img.evaluate((el) => el.decode()));
    assert.ok(await img.evaluate((el) => el.naturalWidth) > 0, `${lang}: the chart loaded`);
    const rows = await post.locator('.post-chart tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(rows, lang === 'sv'
      ? [['jul', '198', '12'], ['aug', '221', '9,5'], ['sep', '240', '14'], ['okt', '212', '11']]
      : [['jul', '198', '12'], ['aug', '221', '9.5'], ['sep', '240', '14'], ['okt', '212', '11']]);
    assert.ok((await img.getAttribute('alt')).includes('Anmälda brott, Varav rån'), `${lang}: the picture is named`);
    assert.ok((await post.textContent()).includes('Brå, anmälda brott per månad'), `${lang}: the figures' source`);
    await checkAxe(phone, `participant page with a chart (${lang})`, t);
    if (lang === 'sv') {
      await post.scrollIntoViewIfNeeded();
      // The post itself, where the participant scrolls to it.
      await post.screenshot({ path: join(screenshotDir, 'participant-post-chart.png') });
    }
  }

  // The moderator shows the post on the screen.
  const mod = (await newPage(browser)).page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();
  const screen = (await newPage(browser, { viewport: { width: 1920, height: 1080 } })).page;
  await visit(screen, server, local(server, screenInvite.invite_url));
  await screen.locator('#code', { hasText: d.code }).waitFor();
  assert.ok(await screen.locator('#screen-post').isHidden(), 'nothing shown before the moderator says so');
  await mod.locator('#mod-posts [data-post] button', { hasText: 'Visa på skärmen' }).click();
  await mod.locator('#mod-posts [data-post] button', { hasText: 'Sluta visa' }).waitFor();

  const chart = screen.locator('#screen-post-chart img');
  await chart.waitFor();
  await chart.evaluate((el) => el.decode());
  const box = await chart.boundingBox();
  assert.ok(box.height >= 1080 * 0.3, `the chart is large on the projector (${Math.round(box.width)}×${Math.round(box.height)})`);
  assert.ok(box.y + box.height <= 1080 && box.x + box.width <= 1920, 'the chart is inside the screen');
  const qr = await screen.locator('#qr').boundingBox();
  assert.ok(qr.y + qr.height <= 1080, 'the QR stays on screen');
  assert.ok((await screen.locator('#screen-post').textContent()).includes('Brå, anmälda brott per månad'), 'the source is on the screen');
  t.diagnostic(`screen chart ${Math.round(box.width)}×${Math.round(box.height)} px`);
  await checkAxe(screen, 'screen showing a chart (sv)', t);
  await screenshot(screen, 'screen-post-chart-1080p');
  await screenshot(mod, 'moderate-post-on-screen');

  // And takes it off again.
  await mod.locator('#mod-posts [data-post] button', { hasText: 'Sluta visa' }).click();
  await screen.locator('#screen-post').waitFor({ state: 'hidden' });
  assert.deepEqual(problems, []);
});
