// The organizer's flow in five steps (create, panel and invitations, open,
// during, after), on a desktop and on a phone: a bad field is marked beside
// itself and focused (the browser's own check and the server's refusal alike),
// a server restart is waited out without a reload, and after closing the to-do
// list holds the question not reached and the follow-up without an outcome,
// each leaving the list once done. axe-core: no serious problems, sv and en.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  shareServerAndBrowser, newPage, asOrganizer, askApproved, checkAxe, screenshot, problems, PHONE,
} from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const DESKTOP = { width: 1280, height: 800 };

const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

/** The field is marked, described by the error text beside it, and has focus. */
async function inlineError(page, id, text) {
  await page.locator(`#${id}-error`, { hasText: text }).waitFor();
  assert.equal(await page.getAttribute(`#${id}`, 'aria-invalid'), 'true', `${id} is marked`);
  assert.ok((await page.getAttribute(`#${id}`, 'aria-describedby')).split(' ').includes(`${id}-error`), `${id} is described by its error`);
  await page.waitForFunction((want) => document.activeElement && document.activeElement.id === want, id);
}

/** Step `step` is shown and named the current one, and its heading has focus. */
async function atStep(page, step) {
  await page.locator(`#steps button[data-step=${step}][aria-current=step]`).waitFor();
  await page.locator(`[data-step-section=${step}]:not([hidden])`).waitFor();
  assert.equal(await page.locator('#steps [aria-current=step]').count(), 1, 'one current step');
  await page.waitForFunction((want) => document.activeElement && document.activeElement.id === want, `step-${step}-heading`);
}

function yesterday() {
  return new Date(Date.now() - 86400000).toISOString().slice(0, 10);
}

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`an organizer walks a dialogue through its five steps (${size})`, { timeout: 240000 }, async (t) => {
    const { context, page } = await newPage(browser, { viewport });
    await asOrganizer(context, server);
    await page.goto(`${server.base}/organize`);
    await page.locator('#org-main:not([hidden])').waitFor();
    const title = `Trygghetsdialog i Skärholmen (${size})`;

    // ---- 1. create: a missing purpose, then a stream address the server refuses
    await page.fill('#c-title', title);
    await page.click('#create-form button[type=submit]');
    await inlineError(page, 'c-purpose', 'syftet');
    await page.fill('#c-purpose', 'Du kan påverka var staden sätter in belysning och vakter nästa år.');
    await page.fill('#c-stream', 'skarholmen.se/live');
    await page.click('#create-form button[type=submit]');
    await inlineError(page, 'c-stream', 'https://');
    assert.equal(await page.getAttribute('#c-purpose', 'aria-invalid'), null, 'the fixed field is no longer marked');
    await page.fill('#c-stream', 'https://play.example.se/skarholmen');
    await page.click('#create-form button[type=submit]');
    await page.locator('#sel-title', { hasText: title }).waitFor();
    assert.equal(await page.locator('#create-form [aria-invalid]').count(), 0, 'no mark left after success');
    const id = await page.evaluate(() => localStorage.getItem('dialoghub.organizer.selected'));
    const code = (await page.textContent('#sel-code')).trim();

    // A draft with its purpose is at the panel; the organizer can go back to the information.
    await page.locator('#steps button[data-step=panel][aria-current=step]').waitFor();
    await page.click('#steps button[data-step=create]');
    await atStep(page, 'create');
    await page.locator('#e-title').waitFor({ state: 'visible' });
    await page.click('#steps button[data-step=panel]');
    await atStep(page, 'panel');

    // ---- 2. panel and invitations: a nameless panelist, then two with names
    await page.click('#panelist-form button[type=submit]');
    await inlineError(page, 'p-name', 'namn');
    await page.fill('#p-name', 'Anna Lind');
    await page.fill('#p-title', 'Kommunpolis');
    await page.selectOption('#p-kind', 'police');
    await page.click('#panelist-form button[type=submit]');
    await page.locator('#panel-list li', { hasText: 'Anna Lind' }).waitFor();
    assert.equal(await page.getAttribute('#p-name', 'aria-invalid'), null);
    await page.fill('#m-name', 'Maja Moderator');
    await page.click('#moderator-form button[type=submit]');
    await page.locator('#invites li[data-invite=moderator]').waitFor();
    await checkAxe(page, `organizer, panel step (${size}, sv)`, t);
    await screenshot(page, `organizer-steps-panel-${size}`);

    // ---- the server goes away mid-change: a polite status, the view stays, no reload
    await page.evaluate(() => { window.stillTheSamePage = true; });
    await server.stopForNow();
    await page.fill('#p-name', 'Karin Berg');
    await page.selectOption('#p-kind', 'politician');
    await page.click('#panelist-form button[type=submit]');
    await page.locator('#outage:not([hidden])', { hasText: 'Servern svarar inte, försöker igen' }).waitFor();
    assert.ok(await page.locator('#selected').isVisible(), 'the dialogue stays on screen');
    assert.ok(await page.locator('#panel-list li', { hasText: 'Anna Lind' }).isVisible());
    await server.start();
    await page.locator('#panel-list li', { hasText: 'Karin Berg' }).waitFor({ timeout: 30000 });
    await page.locator('#outage').waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#panel-list li', { hasText: 'Karin Berg' }).count(), 1, 'made once, though tried again');
    assert.ok(await page.evaluate(() => window.stillTheSamePage === true), 'recovered without a reload');

    // ---- 3. open, 4. during: the step follows the phase, focus to its heading
    await page.click('button[data-phase=open]');
    await atStep(page, 'open');
    assert.equal(await page.inputValue('#join-link input'), `${server.base}/j/${code}`);
    await page.click('button[data-phase=live]');
    await atStep(page, 'during');
    assert.equal(await page.getAttribute('#moderate-link', 'href'), `/moderate?dialogue=${id}`);
    const dialogue = { id, code };
    const unreached = await askApproved(page, server, dialogue, 'Varför är det så mörkt vid tunnelbanan?');
    const promised = await askApproved(page, server, dialogue, 'Kan fältassistenterna vara ute även på söndagar?', { owner: 'Fältassistenterna', due: yesterday() });
    assert.deepEqual([...unreached.acks, ...promised.acks], ['ack', 'ack', 'ack', 'ack', 'ack']);

    // ---- 5. after: the to-do list
    await page.click('button[data-phase=closed]');
    await page.getByRole('dialog').getByRole('button', { name: 'Ja, avsluta' }).click();
    await atStep(page, 'after');
    const todo = page.locator('#todo');
    const unreachedItem = todo.locator(`li[data-todo=unreached][data-question="${unreached.question}"]`);
    const followUpItem = todo.locator(`li[data-todo=follow-up][data-question="${promised.question}"]`);
    await unreachedItem.waitFor();
    await followUpItem.locator('.badge', { hasText: 'Försenad' }).waitFor();
    await todo.locator('li[data-todo=record]').waitFor();
    assert.equal(await todo.locator('li').count(), 3, 'the unreached question, the follow-up and the record');
    assert.ok(await page.locator('#steps button[data-step=during]', { hasText: 'klart' }).count() === 1, 'a step behind says so in words');
    await checkAxe(page, `organizer, after step with its to-do list (${size}, sv)`, t);
    await screenshot(page, `organizer-steps-after-${size}`, { fullPage: true });
    await page.click('#lang-toggle');
    await page.locator('#step-after-heading', { hasText: 'Step 5 of 5' }).waitFor();
    await checkAxe(page, `organizer, after step with its to-do list (${size}, en)`, t);
    await page.click('#lang-toggle');
    await page.locator('#step-after-heading', { hasText: 'Steg 5 av 5' }).waitFor();

    // The follow-up: from the list to its outcome field; recorded, it leaves the list.
    await followUpItem.getByRole('button', { name: 'Skriv utfallet' }).click();
    assert.equal(await focusedId(page), `outcome-${promised.question}`);
    await page.keyboard.type('Fältassistenterna är ute på söndagar från mars.');
    await page.click(`li[data-follow-up="${promised.question}"] button[type=submit]`);
    await followUpItem.waitFor({ state: 'detached' });

    // The question not reached: answered in writing in the moderation, it leaves the list.
    await unreachedItem.getByRole('link').click();
    await page.waitForURL(`${server.base}/moderate?dialogue=${id}`);
    const card = page.locator(`#approved li[data-qid="${unreached.question}"]`);
    await card.locator('[data-focus=write]').click();
    await page.fill(`#wa-${unreached.question}`, 'Staden sätter upp fler lampor vid tunnelbanan i vår.');
    await page.click(`form[data-answer-form="${unreached.question}"] button[type=submit]`);
    await card.locator('[data-focus=publish]').click();
    await page.locator(`li[data-qid="${unreached.question}"] .written-answer`).first().waitFor();
    await page.goBack();
    await page.locator('#steps button[data-step=after][aria-current=step]').waitFor();
    await unreachedItem.waitFor({ state: 'detached' });

    // The record, downloaded: the last item goes, and the list says all is done.
    const [download] = await Promise.all([page.waitForEvent('download'), todo.locator('a[data-export=csv]').click()]);
    assert.match(download.suggestedFilename(), new RegExp(`${code}\\.csv$`));
    await page.locator('#todo-done:not([hidden])').waitFor();
    assert.equal(await todo.locator('li').count(), 0);
    await context.close();
    assert.deepEqual(problems, []);
  });
}
