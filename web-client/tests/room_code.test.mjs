// The room code: the venue screen shows it large beside the join QR (never over
// it), and a participant in the room types it on the participant page ("Jag är i
// rummet") and is counted as in the room (verified). axe-core: no serious or
// critical problems, in Swedish and English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, PHONE, checkAxe, visit } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const overlaps = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

for (const [lang, join, heading, confirm, done, wrong] of [
  ['sv', 'Gå med', 'Jag är i rummet', 'Bekräfta', 'Du räknas som på plats i lokalen.', 'Det är inte koden som visas på skärmen nu.'],
  ['en', 'Join', "I'm in the room", 'Confirm', 'You are counted as present in the room.', 'That is not the code the screen shows now.'],
]) {
  test(`the screen shows the room code and a participant in the room types it (${lang})`, { timeout: 180000 }, async () => {
    const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Rinkeby', venue: 'Rinkeby folkets hus', purpose: 'Frågor om tryggheten i Rinkeby.' });
    const screenInvite = await api(server, 'POST', `/api/dialogues/${d.id}/screen`);
    await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });

    const screen = (await newPage(browser, { lang, viewport: { width: 1920, height: 1080 } })).page;
    await visit(screen, server, local(server, screenInvite.invite_url));
    await screen.locator('#code', { hasText: d.code }).waitFor();
    const code = (await screen.locator('#room-code').filter({ hasText: /^\d{4}$/ }).textContent()).trim();
    const qr = await screen.locator('#qr').boundingBox();
    const shown = await screen.locator('#room-code').boundingBox();
    assert.ok(!overlaps(qr, shown), 'the room code is beside the QR, not over it');
    assert.ok(shown.x + shown.width <= 1920 && shown.y + shown.height <= 1080, 'the room code is on screen');
    const px = await screen.locator('#room-code').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    const joinPx = await screen.locator("#code").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(px >= joinPx, `the room code is as large as the join code (${px} px)`);
    await checkAxe(screen, `screen with the room code (${lang})`);
    if (lang === 'sv') await screenshot(screen, 'screen-room-code');

    const anna = (await newPage(browser, { lang, viewport: PHONE })).page;
    await anna.goto(`${server.base}/j/${d.code}`);
    await anna.getByRole('button', { name: join }).click();
    await anna.locator('html[data-connection=open]').waitFor();
    await anna.getByRole('heading', { name: heading }).waitFor();
    const field = anna.locator('#room-code');
    await field.fill(String((Number(code) + 5000) % 10000).padStart(4, '0'));
    await anna.getByRole('button', { name: confirm }).click();
    await anna.locator('#room-error', { hasText: wrong }).waitFor();
    await checkAxe(anna, `participant with a wrong room code (${lang})`);
    await field.fill(code);
    await anna.getByRole('button', { name: confirm }).click();
    await anna.getByText(done).waitFor();
    assert.equal(await anna.locator('#room-form').isHidden(), true, 'the form gives way to the confirmation');
    await checkAxe(anna, `participant counted in the room (${lang})`);
    if (lang === 'sv') await screenshot(anna, 'participant-in-the-room');

    // The screen counts her in the room; after a reload her page still knows.
    await screen.locator('#present', { hasText: /^1 / }).waitFor();
    await anna.reload();
    await anna.locator('html[data-connection=open]').waitFor();
    await anna.getByText(done).waitFor();
    assert.deepEqual(problems, []);
  });
}
