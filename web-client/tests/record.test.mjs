// Before and after the meeting (issue #8) in real headless Chromium: the organizer's
// overview and its warnings, a participant's receipt code, a panelist's written
// answer published by a moderator and seen live, a promised follow-up and its
// outcome, information posts, and after closing the receipt lookup page and the
// public record (server-rendered), each checked with axe-core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  shareServerAndBrowser, newPage, api, local, screenshot, screenshotDir, problems, PHONE, DESKTOP, checkAxe, visit, asOrganizer,
  waitText,
} from './harness.mjs';


let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const ASKED = 'Varför är det så mörkt i gångtunneln vid skolan på kvällarna?';
const FOLLOW = 'Kan fritidsgården ha öppet längre på fredagar?';
// Planted: a rejected question's text must never reach the record or an export.
const SECRET = 'PLANTERAD-AVVISAD Sven Svensson på Storgatan 5 säljer knark';
const ANSWER = 'Trafikkontoret byter belysningen i tunneln i januari och sätter upp två nya lampor.';
const PANEL_POST = 'Anmälda rån i Rinkeby: 41 år 2024 och 29 år 2025.';
const ORG_POST = 'Nästa trygghetsvandring är den 14 januari klockan 18 från torget.';
const OUTCOME = 'Fritidsgården har öppet till 23 på fredagar från och med februari.';
const FLOOR = 'Fråga från salen: när öppnar simhallen igen?';
const RECEIPT = /^[A-Z0-9]{4,}-[A-Z0-9]{6,}$/;

/** Runs axe-core and fails on any serious or critical violation. */

/** At 200 % text on a phone nothing may push the page sideways (WCAG 1.4.4, 1.4.10). */
async function noSideScroll(page, what) {
  const before_ = page.viewportSize();
  await page.setViewportSize(PHONE);
  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return {
      scroll: document.documentElement.scrollWidth - width,
      culprits: [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1))
        .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 5),
    };
  });
  await page.evaluate(() => { document.documentElement.style.fontSize = ''; });
  await page.setViewportSize(before_);
  assert.ok(overflow.scroll <= 1, `${what} at 200 % scrolls sideways by ${overflow.scroll}px: ${overflow.culprits.join(', ')}`);
}

/** `YYYY-MM-DD`, `days` from today (negative: in the past). */
function day(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

test('a dialogue needs its purpose before it can be published', { timeout: 60000 }, async () => {
  const bare = await api(server, 'POST', '/api/dialogues', { title: 'Utan syfte' });
  await assert.rejects(api(server, 'POST', `/api/dialogues/${bare.id}/phase`, { phase: 'open', expected: 'draft' }), /409/);
  // On the organizer page: the refusal says what is missing and takes you to the field.
  const { context, page } = await newPage(browser);
  await asOrganizer(context, server);
  await context.addInitScript((id) => localStorage.setItem('dialoghub.organizer.selected', id), bare.id);
  await page.goto(`${server.base}/organize`);
  await page.locator('#selected:not([hidden])').waitFor();
  assert.equal(await page.locator('#info-details').getAttribute('open'), '', 'the details open by themselves while the purpose is missing');
  await page.click('button[data-phase=open]');
  await waitText(page, '#e-purpose-error', 'syftet', 'the organizer is told beside the field that the purpose is missing');
  assert.equal(await page.getAttribute('#e-purpose', 'aria-invalid'), 'true');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'e-purpose'); // focus is on the purpose field
  await page.fill('#e-purpose', 'Du kan påverka vad som tas upp på nästa möte.');
  await page.click('#info-form button[type=submit]');
  await waitText(page, '#announcer', 'sparade', 'saved');
  await page.click('button[data-phase=open]');
  await waitText(page, '#sel-phase', 'Öppen för frågor', 'opened once the purpose is there');
  await context.close();
});

test('receipt, written answer, follow-up, information and the public record', { timeout: 240000 }, async (t) => {
  // ---- set up: soon (a late invitation), police expected and a politician expected but missing
  const d = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsdialog i Rinkeby',
    purpose: 'Du kan påverka var stadsdelen sätter in belysning, fältassistenter och vakter nästa år. Budgeten för året är redan beslutad.',
    description: 'Samtal om tryggheten kring torget och skolan.',
    starts_at: new Date(Date.now() + 3 * 86400000).toISOString(),
    ends_at: new Date(Date.now() + 3 * 86400000 + 2 * 3600000).toISOString(),
    venue: 'Rinkeby bibliotek',
    address: 'Rinkebytorget 1, Spånga',
    expected_kinds: ['police', 'politician'],
    unreached_plan: 'Panelen svarar skriftligt inom två veckor på frågor som inte hinns med.',
  });
  const police = await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Anna Lind', title: 'Kommunpolis', organisation: 'Polisen', kind: 'police' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });

  // ---- the organizer's overview warns on load, and stops warning when the data changes
  const orgCtx = await newPage(browser);
  await asOrganizer(orgCtx.context, server);
  await orgCtx.context.addInitScript((id) => localStorage.setItem('dialoghub.organizer.selected', id), d.id);
  const org = orgCtx.page;
  await org.goto(`${server.base}/organize`);
  await org.locator('#selected:not([hidden])').waitFor();
  const mine = `#overview li[data-overview="${d.id}"]`;
  await org.locator(`${mine} [data-warning=late_invitation]`).waitFor();
  await waitText(org, `${mine} [data-warning=missing_panel_kind]`, 'politiker', 'missing politician');
  await waitText(org, `${mine} [data-warning=invitation_not_opened]`, 'Anna Lind', 'unopened invitation');
  await org.fill('#p-name', 'Karin Berg');
  await org.fill('#p-title', 'Ordförande i stadsdelsnämnden');
  await org.selectOption('#p-kind', 'politician');
  await org.click('#panelist-form button[type=submit]');
  await org.locator(`${mine} [data-warning=missing_panel_kind]`).waitFor({ state: 'detached' });
  // The expected roles are a checkbox group with a legend; the purpose is required and explained.
  assert.equal(await org.locator('#info-form fieldset legend').textContent(), 'Vilka roller ska finnas i panelen?');
  assert.ok(await org.locator('#e-kinds-police').count() === 0 && await org.locator('input[name=e-kinds][value=police]').isChecked(), 'police is ticked');
  assert.equal(await org.getAttribute('#e-purpose', 'aria-describedby'), 'e-purpose-hint');
  assert.equal(await org.getAttribute('a[data-link=public]', 'href'), `/d/${d.code}`);
  await checkAxe(org, 'organizer with warnings', t);
  await screenshot(org, 'organizer-overview-desktop');
  // The per-invitee calendar carries that person's own link.
  const [download] = await Promise.all([org.waitForEvent('download'), org.click(`button[data-calendar="${police.id}"]`)]);
  const ics = readFileSync(await download.path(), 'utf8');
  assert.match(ics, /BEGIN:VCALENDAR/);
  assert.match(ics.replace(/\r\n[ \t]/g, ''), /\/panel\?dialogue=/, 'the invitee calendar links to the panel page');
  await org.click('button[data-phase=live]');
  await waitText(org, '#sel-phase', 'Pågår', 'live');

  // ---- staff connect
  const modCtx = await newPage(browser);
  const mod = modCtx.page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();
  const panelCtx = await newPage(browser, { viewport: { width: 1024, height: 900 } });
  const panel = panelCtx.page;
  await visit(panel, server, local(server, police.invite_url));
  await waitText(panel, '#whoami', 'Anna Lind', 'panelist connected');

  // ---- the public page while the dialogue runs: purpose, panel, how to take part
  const liveCtx = await newPage(browser, { viewport: PHONE });
  await liveCtx.page.goto(`${server.base}/d/${d.code}`);
  await waitText(liveCtx.page, 'main', 'Budgeten för året', 'the public page states the purpose');
  await checkAxe(liveCtx.page, 'public page while live', t);
  await liveCtx.context.close();

  // ---- a participant asks and gets a receipt code, shown large and copyable
  const pCtx = await newPage(browser, { viewport: PHONE });
  const p = pCtx.page;
  await p.goto(`${server.base}/j/${d.code}`);
  await waitText(p, '#join-purpose', 'Budgeten för året', 'the purpose is shown before joining');
  await p.getByRole('button', { name: 'Gå med' }).click();
  await p.locator('html[data-connection=open]').waitFor();
  assert.equal(await p.getAttribute('#public-link', 'href'), `/d/${d.code}`);
  const askUi = async (text) => {
    await p.fill('#ask-text', text);
    await p.click('#ask-submit');
    await waitText(p, '#mine [data-mine]', text, 'own question listed');
    return Number(await p.locator('#mine [data-mine]', { hasText: text }).getAttribute('data-mine'));
  };
  // The planted one and the one to follow up first, so the receipt shown large is the answered one's.
  const qSecret = await askUi(SECRET);
  const qFollow = await askUi(FOLLOW);
  const qAsked = await askUi(ASKED);
  await p.locator('#receipt-box:not([hidden])').waitFor();
  await waitText(p, '#receipt-code', /\S/, 'a receipt code');
  const receipt = (await p.locator(`#mine [data-mine="${qAsked}"] code.receipt`).textContent()).trim();
  assert.equal((await p.textContent('#receipt-code')).trim(), receipt, 'the newest receipt is the one shown large');
  assert.match(receipt, RECEIPT);
  await waitText(p, '#announcer', receipt, 'the receipt is announced');
  assert.equal(await p.getAttribute('#receipt-link', 'href'), `/r/${receipt}`);
  await p.click('#receipt-copy');
  await waitText(p, '#announcer', 'kopierad', 'copying is announced');
  await waitText(p, `#mine [data-mine="${qAsked}"] code.receipt`, receipt, 'the receipt is listed with the question');
  const kept = await p.evaluate((c) => JSON.parse(localStorage.getItem(`dialoghub.receipts.${c}`)), d.code);
  assert.deepEqual(kept.map((r) => r.id).sort(), [qAsked, qFollow, qSecret].sort(), 'every receipt is kept in the browser');

  // ---- the moderator approves two and rejects the planted one
  for (const q of [qAsked, qFollow]) {
    await mod.locator(`#pending li[data-qid="${q}"] button[data-focus=approve]`).click();
    await mod.locator(`#approved li[data-qid="${q}"]`).waitFor();
  }
  await mod.locator(`#pending li[data-qid="${qSecret}"]`).waitFor();
  await mod.evaluate((q) => window.dialoghub.conn.submit({ type: 'reject', question_id: q, expected: 'pending', reason: 'personal_data' }), qSecret);

  // ---- the panelist writes an answer, promises a follow-up and publishes a figure
  await panel.locator(`#all [data-key="${qAsked}"] button[data-focus=write]`).click();
  await panel.waitForFunction((q) => document.activeElement && document.activeElement.id === `wa-${q}`, qAsked); // focus moves into the answer field
  await panel.fill(`#wa-${qAsked}`, ANSWER);
  await panel.click(`[data-answer-form="${qAsked}"] button[type=submit]`);
  await waitText(panel, `#all [data-key="${qAsked}"] .draft-answer`, ANSWER, 'the panelist sees the answer waits for a moderator');
  await panel.locator(`#all [data-key="${qFollow}"] button[data-focus=follow]`).click();
  assert.equal(await panel.inputValue(`#fo-${qFollow}`), 'Anna Lind, Polisen', 'the panelist owns it by default');
  await panel.fill(`#fd-${qFollow}`, day(-2)); // already overdue, so the organizer is warned
  await checkAxe(panel, 'panel with the follow-up form open', t);
  await screenshot(panel, 'panel-follow-up', { fullPage: true });
  await panel.click(`[data-follow-form="${qFollow}"] button[type=submit]`);
  await waitText(panel, `#all [data-key="${qFollow}"] .follow-up`, 'Anna Lind', 'the promise shows');
  await panel.fill('#post-text', PANEL_POST);
  await panel.fill('#post-source', 'Polisen, anmälda brott');
  await panel.fill('#post-link', 'https://polisen.se/statistik');
  await panel.click('#post-form button[type=submit]');
  await waitText(panel, '#posts .post', PANEL_POST, 'the post is listed');
  // The panelist corrects the figure; the edit is marked, the first wording stays in the log.
  await panel.locator('#posts .post', { hasText: PANEL_POST }).locator('button[data-focus=edit]').click();
  assert.equal(await panel.inputValue('#post-text'), PANEL_POST);
  await panel.fill('#post-source', 'Polisen, anmälda brott (öppen statistik)');
  await panel.click('#post-form button[type=submit]');
  await waitText(panel, '#posts .post', 'öppen statistik', 'the edit is listed');
  await waitText(panel, '#posts .post', 'ändrad', 'and marked as edited');

  // ---- the moderator sees the draft and publishes it; the participant sees it live
  await waitText(mod, `#drafts li[data-draft="${qAsked}"]`, ANSWER, 'the moderator sees the draft');
  await waitText(mod, '#announcer', 'skriftligt svar att publicera', 'and hears of it');
  await checkAxe(mod, 'moderator with a draft answer', t);
  await screenshot(mod, 'moderator-draft-answer-desktop', { fullPage: true });
  // From the keyboard: Tab from the top of the page reaches the publish button.
  await mod.locator('body').focus();
  for (let i = 0; i < 30 && !(await mod.evaluate(() => document.activeElement && document.activeElement.matches('#drafts button[data-focus=publish]'))); i += 1) await mod.keyboard.press('Tab');
  await mod.keyboard.press('Enter');
  await mod.locator('#drafts-section').waitFor({ state: 'hidden' });
  await waitText(p, `#questions li[data-question="${qAsked}"] .written-answer`, ANSWER, 'the participant sees the written answer live');
  await waitText(p, `#mine [data-mine="${qAsked}"]`, 'Besvarad skriftligt', 'the asker sees the fate');
  await waitText(p, `#questions li[data-question="${qFollow}"] .follow-up`, 'Anna Lind', 'the follow-up shows under the question');
  await waitText(p, '#posts .post', PANEL_POST, 'information beside the questions');
  await waitText(p, '#posts .post', 'Källa: Polisen, anmälda brott (öppen statistik)', 'with its source, as edited');
  await checkAxe(p, 'participant with receipt, answer and information', t);
  await screenshot(p, 'participant-receipt-phone', { fullPage: true });

  // ---- a floor question gets a receipt to read out
  await mod.fill('#floor-text', FLOOR);
  await mod.click('#floor-form button[type=submit]');
  await mod.locator('#floor-receipt:not([hidden])').waitFor();
  assert.match((await mod.textContent('#floor-receipt-code')).trim(), RECEIPT);
  await waitText(mod, '#announcer', 'läsa upp', 'the floor receipt is announced');
  // The moderator promises a follow-up on it from the keyboard: focus the card, p, type, Enter.
  const floorId = Number(await mod.locator('#approved li[data-qid]', { hasText: FLOOR }).getAttribute('data-qid'));
  await mod.locator(`#approved li[data-qid="${floorId}"]`).focus();
  await mod.keyboard.press('p');
  await mod.waitForFunction((q) => document.activeElement && document.activeElement.id === `fo-${q}`, floorId);
  await mod.keyboard.type('Idrottsförvaltningen');
  await mod.keyboard.press('Enter');
  await waitText(mod, `#approved li[data-qid="${floorId}"] .follow-up`, 'Idrottsförvaltningen', 'promised from the keyboard');
  assert.ok(!(await mod.textContent(`#approved li[data-qid="${floorId}"]`)).includes('[object'), 'no element turned into text');

  // ---- the organizer: the overdue follow-up, its outcome, a post of their own, then close
  await org.reload();
  await org.locator(`${mine} [data-overdue="${qFollow}"]`).waitFor();
  await org.fill('#op-text', ORG_POST);
  await org.fill('#op-source', 'Stadsdelsförvaltningen');
  await org.click('#org-post-form button[type=submit]');
  await waitText(org, '#org-posts .post', ORG_POST, 'the organizer post is listed');
  await waitText(p, '#posts .post', ORG_POST, 'and reaches the participant live');
  await org.locator('#org-posts .post', { hasText: ORG_POST }).locator('button').click();
  assert.equal(await org.inputValue('#op-text'), ORG_POST);
  await org.fill('#op-text', `${ORG_POST} Alla är välkomna.`);
  await org.click('#org-post-form button[type=submit]');
  await waitText(p, '#posts .post', 'Alla är välkomna', 'the organizer edit reaches the participant live');
  assert.ok(await org.locator('#org-post-cancel').isHidden(), 'the form is back to new posts');
  // Outcomes are written in the last step; the organizer may go there while the meeting is on.
  await org.click('#steps button[data-step=after]');
  await org.fill(`#outcome-${qFollow}`, OUTCOME);
  await org.click(`li[data-follow-up="${qFollow}"] button[type=submit]`);
  await org.locator(`${mine} [data-overdue="${qFollow}"]`).waitFor({ state: 'detached' });
  await waitText(p, `#questions li[data-question="${qFollow}"] .follow-up`, OUTCOME, 'the outcome reaches the participant');
  await org.click('button[data-phase=closed]');
  await org.getByRole('dialog').getByRole('button', { name: 'Ja, avsluta' }).click();
  await waitText(org, '#sel-phase', 'Avslutad', 'closed');
  await waitText(p, '#phase-note', 'avslutad', 'the participant sees the end');
  assert.equal(await p.getAttribute('#phase-note a', 'href'), `/d/${d.code}`, 'and is pointed to the record');

  // ---- the receipt lookup page shows that one question's fate, without JavaScript
  const rCtx = await newPage(browser, { viewport: PHONE });
  const r = rCtx.page;
  const res = await r.goto(`${server.base}/r/${receipt}`);
  assert.equal(res.status(), 200);
  await waitText(r, 'main', 'Besvarad skriftligt', 'the receipt page shows the fate');
  await waitText(r, 'main', ANSWER, 'and the answer');
  assert.ok(!(await r.textContent('body')).includes(FOLLOW), 'only that one question');
  await checkAxe(r, 'receipt page sv', t);
  await screenshot(r, 'receipt', { fullPage: true });
  await r.goto(`${server.base}/r/${receipt}?lang=en`);
  await checkAxe(r, 'receipt page en', t);
  // Typed into the page's own form (no JavaScript needed), wrong: it says so.
  await r.goto(`${server.base}/r`);
  await r.locator('input[name=code]').fill(`${d.code}-AAAAAAAAAA`);
  await r.locator('form button, form input[type=submit]').first().click();
  await waitText(r, '[role=alert]', 'Ingen fråga', 'a wrong code finds nothing');

  // ---- the public record: the question with its answer, the follow-up, the posts; no rejected text
  const recCtx = await newPage(browser, { viewport: DESKTOP });
  const rec = recCtx.page;
  await rec.goto(`${server.base}/d/${d.code}`);
  await waitText(rec, 'main', ASKED, 'the record lists the question');
  await waitText(rec, 'main', ANSWER, 'with its written answer');
  await waitText(rec, 'main', OUTCOME, 'and the follow-up outcome');
  await waitText(rec, 'main', PANEL_POST, 'and the information posts');
  await waitText(rec, 'main', FLOOR, 'and the floor question');
  await waitText(rec, 'main', 'Idrottsförvaltningen', 'with its follow-up');
  const body = await rec.textContent('body');
  assert.ok(!body.includes('PLANTERAD'), 'no rejected text in the record');
  await checkAxe(rec, 'public record sv', t);
  await screenshot(rec, 'record', { fullPage: true });
  await rec.setViewportSize(PHONE);
  await screenshot(rec, 'record-phone', { fullPage: true });
  await rec.goto(`${server.base}/d/${d.code}?lang=en`);
  await checkAxe(rec, 'public record en', t);
  for (const file of ['record.json', 'record.csv']) {
    const text = await (await fetch(`${server.base}/d/${d.code}/${file}`)).text();
    assert.ok(text.includes(ANSWER), `${file} has the answer`);
    assert.ok(!text.includes('PLANTERAD'), `${file} has no rejected text`);
  }

  // ---- the asker's list after the close still has every receipt and its fate
  await waitText(p, `#mine [data-mine="${qSecret}"]`, 'Inte publicerad', 'the rejected one is told, privately');
  await waitText(p, `#mine [data-mine="${qFollow}"]`, 'Uppföljning utlovad', 'the followed-up one');

  for (const [page, what] of [[org, 'organizer'], [mod, 'moderator'], [panel, 'panel'], [p, 'participant'], [rec, 'public record']]) {
    await noSideScroll(page, what);
  }
  await r.goto(`${server.base}/r/${receipt}`);
  await noSideScroll(r, 'receipt page');

  // The start page lists every receipt this browser kept, with its last known fate.
  await p.goto(`${server.base}/`);
  await waitText(p, `#kept-list li[data-receipt="${receipt}"]`, 'Besvarad skriftligt', 'kept receipts on the start page');
  assert.equal(await p.locator('#kept-list li').count(), 3);
  await checkAxe(p, 'start page with kept receipts', t);

  for (const c of [orgCtx, modCtx, panelCtx, pCtx, rCtx, recCtx]) await c.context.close();
  assert.deepEqual(problems, [], 'no page threw, hit the CSP or missed a string');
});
