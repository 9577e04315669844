// Issue 21 on the pages, in real headless Chromium against the real server:
// ban and close ask first and can be undone; the phone page puts the questions
// first, announces a new poll, resets "Till" and advises a writer in danger; the
// guard masks a named person and flags a disguised address for the moderator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, PHONE, checkAxe, visit, asOrganizer, waitText } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const send = (page, msg) => page.evaluate((m) => window.dialoghub.conn.submit(m), msg);

async function setup(title) {
  const d = await api(server, 'POST', '/api/dialogues', { title, venue: 'Tensta träff', purpose: 'Frågor om tryggheten i Tensta.', livestream_url: `${server.base}/healthz` });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Per Polis', title: 'Kommunpolis', organisation: 'Polisen', kind: 'police' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const mod = (await newPage(browser)).page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();
  return { d, mod };
}

async function joinPhone(code, location_ = 'in_room') {
  const page = (await newPage(browser, { viewport: PHONE })).page;
  await page.goto(`${server.base}/j/${code}`);
  await page.check(`input[name=location][value=${location_}]`);
  await page.getByRole('button', { name: 'Gå med' }).click();
  await page.locator('html[data-connection=open]').waitFor();
  return page;
}

test('ban asks first and can be undone; the guard masks a named person', { timeout: 120000 }, async () => {
  const { d, mod } = await setup('Trygghetsdialog i Tensta');
  const bo = await joinPhone(d.code);
  await bo.fill('#ask-text', 'Jag såg Kalle Svensson sälja knark, mejla mig på bo [at] exempel punkt se');
  await bo.click('#ask-submit');
  const card = mod.locator('#pending li', { hasText: 'Kalle Svensson' });
  await waitText(mod, '#pending li .flags', 'namn på en person', 'the named person is flagged');
  await waitText(mod, '#pending li .flags', 'e-postadress', 'the disguised address is flagged');

  // One click on "Stäng av" asks; cancelling sends nothing.
  await card.getByRole('button', { name: 'Stäng av' }).click();
  const dialog = mod.getByRole('dialog');
  await dialog.waitFor();
  await checkAxe(mod, 'moderator with the ban confirmation');
  await dialog.getByRole('button', { name: 'Avbryt' }).click();
  await dialog.waitFor({ state: 'detached' });
  // Confirmed, then undone within the grace period: still not banned.
  await card.getByRole('button', { name: 'Stäng av' }).click();
  await mod.getByRole('dialog').getByRole('button', { name: 'Ja, stäng av' }).click();
  await mod.locator('.undo-bar').getByRole('button', { name: 'Ångra' }).click();
  await mod.waitForTimeout(9000);
  assert.equal(await mod.evaluate(() => window.dialoghub.model.banned.size), 0, 'undone: nobody banned');
  assert.equal(await bo.getAttribute('html', 'data-connection'), 'open');

  // "Godkänn maskerad": neither the name nor the address reaches the room.
  await card.getByRole('button', { name: 'Godkänn maskerad' }).click();
  await waitText(bo, '#questions li', 'sälja knark', 'published');
  const published = await bo.locator('#questions li', { hasText: 'sälja knark' }).textContent();
  assert.ok(!published.includes('Kalle') && !published.includes('Svensson') && !published.includes('exempel'), published);

  // Confirmed and left alone: banned after the grace period.
  await bo.fill('#ask-text', 'Och en fråga till om cyklarna vid skolan');
  await bo.click('#ask-submit');
  await mod.locator('#pending li', { hasText: 'cyklarna' }).getByRole('button', { name: 'Stäng av' }).click();
  await mod.getByRole('dialog').getByRole('button', { name: 'Ja, stäng av' }).click();
  // Sent after the grace period; then the ban can still be taken back in the log.
  const offer = mod.locator('.undo-bar[data-offer]');
  await offer.getByRole('button', { name: 'Ångra avstängning' }).waitFor({ timeout: 15000 });
  await mod.waitForFunction(() => window.dialoghub.model.banned.size === 1);
  await bo.locator('html[data-connection=closed]').waitFor();
  const listed = mod.locator('#banned-section li', { hasText: 'cyklarna' });
  await listed.waitFor();
  await checkAxe(mod, 'moderator with a banned participant');
  await screenshot(mod, 'moderator-banned-list');
  // Undone from the list of banned participants: unbanned for everyone, and back in.
  await listed.getByRole('button', { name: /Ångra avstängning/ }).click();
  await mod.waitForFunction(() => window.dialoghub.model.banned.size === 0);
  await mod.locator('#banned-section').waitFor({ state: 'hidden' });
  await bo.reload();
  await bo.locator('html[data-connection=open]').waitFor();
  await bo.fill('#ask-text', 'Tack, nu kan jag fråga igen om belysningen');
  await bo.click('#ask-submit');
  await waitText(mod, '#pending li', 'fråga igen', 'the unbanned participant is heard again');
  assert.deepEqual(problems, []);
});

test('the phone page: questions first, a poll noticed, "Till" reset, danger advice', { timeout: 120000 }, async () => {
  const { d, mod } = await setup('Trygghetsdialog i Rinkeby');
  const anna = await joinPhone(d.code, 'in_room');
  for (const text of ['Varför är det så mörkt vid skolan?', 'Kan polisen synas mer på torget?', 'När lagas lamporna i tunneln?']) {
    const ack = await send(anna, { type: 'ask', text, origin: 'in_room' });
    await send(mod, { type: 'approve', question_id: ack.question_id, expected: 'pending' });
  }
  await anna.locator('#questions li').nth(2).waitFor();
  // The first screen shows questions; the livestream is folded away for people in the room.
  const first = await anna.locator('#questions li').first().boundingBox();
  assert.ok(first.y + first.height <= PHONE.height, `first question on the first screen (y ${first.y})`);
  assert.equal(await anna.locator('#stream-section').evaluate((el) => el.open), false, 'stream folded in the room');
  assert.ok(await anna.locator('#stream').isHidden());
  const remote = await joinPhone(d.code, 'remote');
  assert.equal(await remote.locator('#stream-section').evaluate((el) => el.open), true, 'stream open at a distance');
  // The sticky ask button takes one to the form.
  await anna.getByRole('link', { name: 'Ställ en fråga' }).click();
  assert.equal(await anna.evaluate(() => document.activeElement.id), 'ask-text');

  // "Till" resets after sending.
  await anna.selectOption('#ask-to', { label: 'Per Polis, Kommunpolis' });
  await anna.fill('#ask-text', 'Hur många poliser jobbar i Rinkeby på kvällarna?');
  await anna.click('#ask-submit');
  await waitText(anna, '#mine [data-mine]', 'Hur många poliser', 'sent');
  assert.equal(await anna.inputValue('#ask-to'), '', 'the next question goes to nobody in particular');

  // Danger: advice on the writer's own screen at once, before anything is sent, and after.
  assert.ok(await anna.locator('#danger-advice').isHidden());
  await anna.fill('#ask-text', 'Han har en kniv utanför porten … nu!');
  await waitText(anna, '#danger-advice', 'Är du i fara nu? Ring 112', 'advice while typing');
  await anna.click('#ask-submit');
  await waitText(anna, '#mine [data-mine]', 'kniv', 'sent');
  assert.ok(await anna.locator('#danger-advice').isVisible(), 'the advice stays after sending');
  assert.equal(await anna.locator('#danger-advice a').getAttribute('href'), 'tel:112');
  await checkAxe(anna, 'phone page with the danger advice');

  // A new poll: a visible notice and a polite announcement.
  const poll = await send(mod, { type: 'create_poll', question: 'Känner du dig trygg här?', poll_kind: 'single', options: ['Ja', 'Nej'] });
  await send(mod, { type: 'open_poll', poll_id: poll.poll_id, expected: 'prepared' });
  await anna.locator('#poll-notice').waitFor({ state: 'visible' });
  await waitText(anna, '#announcer', 'En ny omröstning har öppnat', 'announced to screen readers');
  await checkAxe(anna, 'phone page with a new poll');
  await screenshot(anna, 'participant-phone-first-screen');
  assert.deepEqual(problems, []);
});

test('a lost invitation link is made again on the organizer page; the old one stops working', { timeout: 90000 }, async () => {
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Husby', purpose: 'Frågor om tryggheten i Husby.' });
  const first = await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Per Polis', title: 'Kommunpolis', organisation: 'Polisen', kind: 'police' });
  // A new browser: the link shown when the panelist was invited is gone.
  const { context, page: org } = await newPage(browser);
  await asOrganizer(context, server);
  await org.goto(`${server.base}/organize`);
  await org.selectOption('#dialogue-select', d.id);
  await org.locator('#selected:not([hidden])').waitFor();
  await org.getByRole('button', { name: 'Ny länk till Per Polis' }).click();
  const dialog = org.getByRole('dialog');
  await dialog.waitFor();
  await checkAxe(org, 'organizer asked before a new link');
  await dialog.getByRole('button', { name: 'Ja, skapa en ny länk' }).click();
  const fresh = await org.locator('#invites li[data-invite=panelist] input').last().inputValue();
  assert.notEqual(fresh, first.invite_url);
  assert.match(fresh, /\/signin\//);
  // The old link signs nobody in any more.
  const old = await fetch(first.invite_url.replace(/^https?:\/\/[^/]+/, server.base), { method: 'POST', redirect: 'manual' });
  assert.equal(old.status, 404, `the old link answered ${old.status}`);
  // The same request with the fresh link signs the panelist in.
  const used = await fetch(fresh.replace(/^https?:\/\/[^/]+/, server.base), { method: 'POST', redirect: 'manual' });
  assert.ok(used.status < 400, `the fresh link answered ${used.status}`);
  assert.deepEqual(problems, []);
});

test('reject-many asks first, can be undone, then goes out as one message; the console shows the room code', { timeout: 120000 }, async () => {
  const { d, mod } = await setup('Trygghetsdialog i Hjulsta');
  // The room code the screen shows, for the moderator to read out.
  await mod.locator('#room-code-line').waitFor();
  assert.match(await mod.locator('#room-code-now').textContent(), /^\d{4}$/);

  const bo = await joinPhone(d.code, 'remote');
  const texts = ['Köp billiga klockor nu 1', 'Köp billiga klockor nu 2', 'Köp billiga klockor nu 3', 'Varför släcks gatlyktorna vid torget?'];
  for (const text of texts) await send(bo, { type: 'ask', text });
  await mod.waitForFunction(() => window.dialoghub.model.byStatus('pending').length === 4);
  await mod.evaluate(() => {
    const { conn } = window.dialoghub;
    const submit = conn.submit.bind(conn);
    window.sentTypes = [];
    conn.submit = (m) => { window.sentTypes.push(m.type); return submit(m); };
  });
  const ids = await mod.evaluate(() => window.dialoghub.model.byStatus('pending').filter((q) => q.text.includes('klockor')).map((q) => q.id));
  for (const id of ids) await mod.getByRole('checkbox', { name: `Markera fråga ${id}` }).check();
  await waitText(mod, '#bulk-count', '3 markerade', 'the bar counts the ticks');
  await mod.selectOption('#bulk-reason', 'duplicate');
  await screenshot(mod, 'moderator-reject-many');

  // Asked first; confirmed, then undone in the grace period: nothing sent, ticks kept.
  await mod.getByRole('button', { name: 'Avvisa markerade' }).click();
  const dialog = mod.getByRole('dialog', { name: 'Avvisa 3 frågor?' });
  await dialog.waitFor();
  await checkAxe(mod, 'moderator with the reject-many confirmation');
  await dialog.getByRole('button', { name: 'Ja, avvisa 3' }).click();
  await mod.locator('.undo-bar').getByRole('button', { name: 'Ångra' }).click();
  await mod.waitForTimeout(9000);
  assert.equal(await mod.evaluate(() => window.dialoghub.model.byStatus('pending').length), 4, 'undone: nothing rejected');
  assert.deepEqual(await mod.evaluate(() => window.sentTypes), [], 'undone: nothing sent');
  await waitText(mod, '#bulk-count', '3 markerade', 'the ticks stay after an undo');

  // Confirmed and left alone: one reject_many after the grace period.
  await mod.getByRole('button', { name: 'Avvisa markerade' }).click();
  await mod.getByRole('dialog').getByRole('button', { name: 'Ja, avvisa 3' }).click();
  await mod.waitForFunction(() => window.dialoghub.model.byStatus('pending').length === 1, null, { timeout: 20000 });
  assert.deepEqual(await mod.evaluate(() => window.sentTypes), ['reject_many']);
  const statuses = await mod.evaluate((qs) => qs.map((id) => window.dialoghub.model.questions.get(id).status), ids);
  assert.deepEqual(statuses, ['rejected', 'rejected', 'rejected']);
  await waitText(mod, '#pending li', 'gatlyktorna', 'the real question stays');
  assert.equal(await mod.locator('#bulk-reject').isDisabled(), true, 'no ticks left');
  await checkAxe(mod, 'moderator after reject-many');

  // In English too.
  await mod.getByRole('button', { name: 'English' }).click();
  await waitText(mod, '#bulk-count', '0 selected', 'English bar');
  await checkAxe(mod, 'moderator in English with the bar');
  assert.deepEqual(problems, []);
});
