// Following a walk from home without joining (issue 22): the walk's public page
// (/d/CODE) on a phone shows where the group is and the approved observations,
// and changes live when the leader moves the group on and a moderator approves
// an observation, without a reload and without joining; without JavaScript the
// page as rendered is there, and says to reload. axe in Swedish and English.
// Real headless Chromium against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, PHONE, checkAxe, visit, waitText } from './harness.mjs';
import { asStaff } from './walk_helpers.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** A participant on site observes at the group's stop, from a page of this server; the ack. */
function observe(page, code, text) {
  return page.evaluate(async ({ code, text }) => {
    const joined = await fetch('/api/join', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, location: 'in_room' }),
    }).then((r) => r.json());
    const ws = new WebSocket(`ws://${location.host}/ws`);
    await new Promise((r) => { ws.onopen = r; });
    const ack = new Promise((resolve, reject) => {
      ws.onmessage = (m) => {
        const v = JSON.parse(m.data);
        if (v.client_msg_id === 'obs-1') resolve(v);
      };
      setTimeout(() => reject(new Error('no ack')), 10000);
    });
    ws.send(JSON.stringify({ type: 'hello', v: 1, token: joined.token, location: 'in_room' }));
    ws.send(JSON.stringify({ type: 'observe', client_msg_id: 'obs-1', text, group: 1, category: 'lighting', felt_safety: 2 }));
    const answer = await ack;
    ws.close();
    return answer;
  }, { code, text });
}

test('a follower at home sees the group move on and an observation approved, live, without joining', { timeout: 180000 }, async (t) => {
  const d = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsvandring i Fruängen',
    kind: 'walk',
    purpose: 'Vi går tillsammans och noterar vad som gör platserna otrygga.',
    livestream_url: 'https://play.example.se/vandring',
    walk: {
      stops: [
        { id: 1, name: 'Tunneln', address: 'Parkvägen 1', lat_e6: 59334500, lon_e6: 18063200 },
        { id: 2, name: 'Lekparken', address: 'Klubbacken 2', lat_e6: 59335500, lon_e6: 18064500 },
      ],
      groups: [{ id: 1, name: 'Grupp norr', leader: 'Lena', route: [1, 2] }],
    },
  });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Lena Ledare' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const lead = (await newPage(browser)).page;
  await visit(lead, server, local(server, moderator.invite_url));
  await lead.locator('html[data-connection=open]').waitFor();

  // Two followers at home, in Swedish and English: the public page, nobody joins.
  const sv = (await newPage(browser, { viewport: PHONE })).page;
  const en = (await newPage(browser, { viewport: PHONE, lang: 'en' })).page;
  await sv.goto(`${server.base}/d/${d.code}`);
  await en.goto(`${server.base}/d/${d.code}?lang=en`);
  for (const page of [sv, en]) {
    await page.locator('html[data-follow=open]').waitFor();
    // A mark that a reload would wipe.
    await page.evaluate(() => { window.stillTheSamePage = true; });
  }
  await waitText(sv, '#live-groups li', 'Grupp norr (Lena): inte startat', 'not set off yet');
  await waitText(en, '#live-groups li', 'not started', 'not set off yet, in English');
  assert.equal(await sv.locator('#live-stream a').getAttribute('href'), 'https://play.example.se/vandring');
  assert.match(await sv.locator('#live-note').textContent(), /JavaScript/);

  // The leader moves the group on: both pages show it, live.
  const [moved] = await asStaff(lead, d.id, [{ type: 'move_group', group: 1, to: 1, expected: null }]);
  assert.equal(moved.type, 'ack', JSON.stringify(moved));
  await waitText(sv, '#live-groups li', 'Grupp norr (Lena): vid stopp 1, Tunneln', 'the stop, live');
  await waitText(en, '#live-groups li', 'at stop 1, Tunneln', 'the stop, live, in English');

  // An observation waits for a moderator: the follower sees nothing of it.
  const ack = await observe(lead, d.code, 'Lampan i tunneln är trasig');
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  await sv.waitForTimeout(500);
  assert.equal(await sv.locator('#live-observations li').count(), 0);
  assert.ok(!(await sv.content()).includes('Lampan i tunneln'), 'no pending text on the page');

  // Approved, it arrives at once.
  const approved = await asStaff(lead, d.id, ['approve_pending']);
  assert.ok(approved.length === 1 && approved[0].type === 'ack', JSON.stringify(approved));
  await waitText(sv, '#live-observations li', 'Lampan i tunneln är trasig', 'the approved observation, live');
  await waitText(sv, '#live-observations li .meta', '1. Tunneln · Belysning · trygghet 2 av 5', 'where and what');
  await waitText(en, '#live-observations li .meta', 'Lighting', 'the category in English');
  await waitText(sv, '#announcer', 'Ny iakttagelse', 'said to a screen reader');

  // The leader moves on again.
  await asStaff(lead, d.id, [{ type: 'move_group', group: 1, to: 2, expected: 1 }]);
  await waitText(sv, '#live-groups li', 'vid stopp 2, Lekparken', 'the next stop, live');
  for (const page of [sv, en]) assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'no reload');

  await screenshot(sv, 'walk-follow-phone', { fullPage: true });
  await checkAxe(sv, 'the followed walk page in Swedish', t);
  await checkAxe(en, 'the followed walk page in English', t);

  // Without JavaScript the page as rendered serves: the stop and the observation
  // as they were when it was loaded, and the note to reload.
  const plain = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false, locale: 'sv-SE' });
  const still = await plain.newPage();
  await still.goto(`${server.base}/d/${d.code}`);
  assert.match(await still.locator('#live-groups li').first().textContent(), /vid stopp 2, Lekparken/);
  assert.match(await still.locator('#live-observations li').first().textContent(), /Lampan i tunneln är trasig/);
  assert.match(await still.locator('#live-note').textContent(), /ladda om sidan/);
  await plain.close();
  assert.deepEqual(problems, []);
});
