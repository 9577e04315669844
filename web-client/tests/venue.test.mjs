// The venue screen on a projector (issue 21): at 1280×720, 1920×1080 and
// 3840×2160, with three long questions queued and a poll shown, the QR code is
// inside the screen and decodes to the join link, the code does not wrap, the
// poll is in projector type, and "next" is exactly what the moderator queued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, PHONE, checkAxe, visit, asOrganizer } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const jsqrSource = readFileSync(createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js'), 'utf8');

const LONG = [
  'Varför tar det så lång tid innan kommunen lagar belysningen i gångtunneln under järnvägen vid stationen, när vi har anmält det flera gånger sedan i våras och barnen går där varje morgon?',
  'Kan polisen berätta hur många fler kvällar i veckan de planerar att vara synliga i centrum och vid busstorget under vintern, och hur vi som bor här kan hjälpa till att ge dem information?',
  'Vad gör skolan och fritidsgården tillsammans för att ungdomarna ska ha någonstans att vara på kvällar och helger, så att färre står ute i trapphusen när det är kallt och mörkt ute?',
];
const UNQUEUED = 'Den här populära frågan har moderatorn inte lagt på tur';

/** Sends a command on a page's own connection and waits for the ack. */
const send = (page, msg) => page.evaluate((m) => window.dialoghub.conn.submit(m), msg);

/** Screenshots the QR where it is on screen and decodes it in the page with jsQR. */
async function decodeQr(page) {
  const box = await page.locator('#qr').boundingBox();
  const png = await page.screenshot({ clip: box });
  if (!(await page.evaluate(() => typeof window.jsQR === 'function'))) await page.evaluate(jsqrSource);
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(data.data, canvas.width, canvas.height);
    return found ? found.data : null;
  }, png.toString('base64'));
}

test('the venue screen keeps the QR and the code on screen at projector sizes', { timeout: 240000 }, async (t) => {
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Husby med en ganska lång titel för projektorn', venue: 'Husby träff', purpose: 'Frågor om tryggheten i Husby.' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  const screenInvite = await api(server, 'POST', `/api/dialogues/${d.id}/screen`);
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });

  const mod = (await newPage(browser)).page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();
  const anna = (await newPage(browser, { viewport: PHONE })).page;
  await anna.goto(`${server.base}/j/${d.code}`);
  await anna.getByRole('button', { name: 'Gå med' }).click();
  await anna.locator('html[data-connection=open]').waitFor();

  const ids = [];
  for (const text of [...LONG, UNQUEUED]) {
    const ack = await send(anna, { type: 'ask', text, origin: 'in_room' });
    await send(mod, { type: 'approve', question_id: ack.question_id, expected: 'pending' });
    ids.push(ack.question_id);
  }
  // The unqueued question is the most popular: the old screen padded "next" with it.
  await send(anna, { type: 'vote', question_id: ids[3], on: true });
  await send(mod, { type: 'set_up_next', question_ids: ids.slice(0, 3) });
  const poll = await send(mod, { type: 'create_poll', question: 'Hur trygg känner du dig i Husby centrum på kvällen, efter att affärerna har stängt?', poll_kind: 'single', options: ['Mycket trygg', 'Ganska trygg', 'Inte så trygg', 'Inte alls trygg'] });
  await send(mod, { type: 'open_poll', poll_id: poll.poll_id, expected: 'prepared' });
  await send(anna, { type: 'answer_poll', poll_id: poll.poll_id, choices: [1] });
  await send(mod, { type: 'close_poll', poll_id: poll.poll_id, expected: 'open' });
  await send(mod, { type: 'show_poll_results', poll_id: poll.poll_id, shown: true });

  const screen = (await newPage(browser, { viewport: { width: 1920, height: 1080 } })).page;
  await visit(screen, server, local(server, screenInvite.invite_url));
  await screen.locator('#code', { hasText: d.code }).waitFor();
  await screen.locator('#poll-results li').first().waitFor();
  await screen.locator('#next li').nth(2).waitFor();

  // The moderator's own "up next" list and the screen name the same questions, in order.
  const modNext = await mod.locator('#upnext > li').evaluateAll((lis) => lis.map((li) => li.textContent));
  const screenNext = await screen.locator('#next li').allTextContents();
  assert.equal(screenNext.length, 3);
  screenNext.forEach((text, i) => assert.ok(modNext[i].includes(text), `screen item ${i + 1} is the moderator's item ${i + 1}`));
  assert.ok(!screenNext.some((x) => x.includes(UNQUEUED)), 'the screen shows only what the moderator queued');

  for (const size of [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }, { width: 3840, height: 2160 }]) {
    const what = `${size.width}×${size.height}`;
    await screen.setViewportSize(size);
    await screen.waitForTimeout(200);
    const qr = await screen.locator('#qr').boundingBox();
    assert.ok(qr.x >= 0 && qr.y >= 0 && qr.x + qr.width <= size.width && qr.y + qr.height <= size.height, `${what}: QR inside the screen (${JSON.stringify(qr)})`);
    assert.ok(qr.height >= size.height * 0.2, `${what}: QR large enough to scan from the room (${qr.height} px)`);
    assert.equal(await decodeQr(screen), `${server.base}/j/${d.code}`, `${what}: the QR decodes to the join link`);
    const code = await screen.locator('#code').evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { lines: Math.round(r.height / parseFloat(getComputedStyle(el).lineHeight)), bottom: r.bottom, overflow: el.scrollWidth > el.clientWidth };
    });
    assert.equal(code.lines, 1, `${what}: the join code is on one line`);
    assert.ok(code.bottom <= size.height && !code.overflow, `${what}: the join code is whole and on screen`);
    // The page uses the whole width, not a column in the middle.
    const main = await screen.locator('#main').boundingBox();
    assert.ok(main.width >= size.width * 0.99, `${what}: the layout fills the width (${main.width})`);
    // Poll text at projector size: at least 1/40 of the screen height.
    const pollPx = await screen.locator('#poll-results li').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(pollPx >= size.height / 40, `${what}: poll text ${pollPx} px`);
    // Each "next" item takes at most two lines.
    const nextLines = await screen.locator('#next li > span').evaluateAll((spans) => spans.map((s) => s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight)));
    assert.ok(nextLines.every((n) => n <= 2.05), `${what}: next items clamped to two lines (${nextLines})`);
    t.diagnostic(`${what}: QR ${Math.round(qr.width)} px at y ${Math.round(qr.y)}, poll text ${pollPx} px`);
    if (size.width === 1920) await checkAxe(screen, `screen at ${what}`);
  }
  await screen.setViewportSize({ width: 1920, height: 1080 });
  await screenshot(screen, 'screen-projector-1080p');

  // Nothing queued: an honest empty line, not a numbered list item.
  await send(mod, { type: 'set_up_next', question_ids: [] });
  await screen.locator('#next-empty').waitFor({ state: 'visible' });
  assert.equal(await screen.locator('#next li').count(), 0, 'no "1. Ingen fråga står på tur."');
  assert.deepEqual(problems, []);
});
