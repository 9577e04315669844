// One whole meeting in real headless Chromium: an organizer sets it up on the
// organizer page; a moderator, a panelist, the venue screen and three
// participants take part, each in their own browser context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, local, screenshot, problems, PHONE, DESKTOP, visit, asOrganizer, waitText } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const FLAGGED = 'Jag blev rånad vid tunnelbanan, mitt personnummer är 811228-9874 och ni når mig på 070-123 45 67. Vad gör polisen?';
const DARK = 'Varför är det så mörkt i parken vid torget på kvällarna?';
const VISIBLE = 'Kan polisen synas mer i centrum efter klockan 22?';
const OFF_TOPIC = 'Vem vinner allsvenskan i år?';
const OFFLINE = 'Kommer det fler lampor längs gångvägen till skolan?';

/** Text of an element, waiting until it contains `expected`. */
async function shots(page, name) {
  const before_ = page.viewportSize();
  await page.setViewportSize(PHONE);
  // On a phone the whole page, as one scrolls it (the venue screen never scrolls).
  await screenshot(page, `${name}-phone`, { fullPage: !name.startsWith('screen') });
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(before_);
}

async function join(page, code, location_) {
  await page.goto(`${server.base}/j/${code}`);
  await page.check(`input[name=location][value=${location_}]`);
  await page.getByRole('button', { name: 'Gå med' }).click();
  await page.locator('html[data-connection=open]').waitFor();
}

async function ask(page, text, to) {
  await page.fill('#ask-text', text);
  if (to) await page.selectOption('#ask-to', { label: to });
  await page.click('#ask-submit');
  await waitText(page, '#mine [data-mine]', text, 'own question listed');
}

/** The pending card of a question on the moderator's page. */
const card = (mod, text) => mod.locator('#pending li', { hasText: text.slice(0, 30) });

test('a whole meeting from setup to close', { timeout: 180000 }, async () => {
  // ---- the organizer sets the dialogue up on the organizer page
  const org = (await newPage(browser)).page;
  await asOrganizer(org.context(), server);
  await org.goto(`${server.base}/organize`);
  await org.fill('#c-title', 'Trygghetsdialog i Järva');
  await org.fill('#c-purpose', 'Du kan påverka vilka platser i Järva som prioriteras för belysning och vakter nästa år.');
  await org.fill('#c-description', 'Samtal om trygghet i stadsdelen med polis, politiker och förvaltningen.');
  await org.fill('#c-starts', '2026-12-03T18:00');
  await org.fill('#c-venue', 'Biblioteket, Järva torg');
  await org.fill('#c-stream', `${server.base}/healthz`);
  await org.click('#create-form button[type=submit]');
  await org.locator('#sel-code').filter({ hasText: /^[A-Z0-9]{4,}$/ }).waitFor();
  const code = (await org.textContent('#sel-code')).trim();

  const invite = async (who) => local(server, await org.locator(`#invites li[data-invite=${who}] input`).last().inputValue());
  await org.fill('#p-name', 'Anna Lind');
  await org.fill('#p-title', 'Kommunpolis');
  await org.fill('#p-org', 'Polisen');
  await org.selectOption('#p-kind', 'police');
  await org.click('#panelist-form button[type=submit]');
  await waitText(org, '#panel-list li', 'Anna Lind', 'panelist listed');
  const panelUrl = await invite('panelist');
  await org.fill('#p-name', 'Karin Berg');
  await org.fill('#p-title', 'Ordförande i stadsdelsnämnden');
  await org.selectOption('#p-kind', 'politician');
  await org.click('#panelist-form button[type=submit]');
  await waitText(org, '#panel-list li', 'Karin Berg', 'second panelist listed');
  await org.fill('#m-name', 'Maja Moderator');
  await org.click('#moderator-form button[type=submit]');
  await org.locator('#invites li[data-invite=moderator]').waitFor();
  const modUrl = await invite('moderator');
  await org.click('#screen-button');
  await org.locator('#invites li[data-invite=screen]').waitFor();
  const screenUrl = await invite('screen');
  assert.match(panelUrl, /\/signin\//);
  assert.match(modUrl, /\/signin\//);
  assert.match(screenUrl, /\/signin\//);
  await org.click('button[data-phase=open]');
  await waitText(org, '#sel-phase', 'Öppen för frågor', 'phase open');
  await shots(org, 'organizer');

  // ---- staff and the room connect
  const mod = (await newPage(browser)).page;
  await visit(mod, server, modUrl);
  await mod.locator('html[data-connection=open]').waitFor();
  const panel = (await newPage(browser, { viewport: { width: 1024, height: 768 } })).page;
  await visit(panel, server, panelUrl);
  await waitText(panel, '#whoami', 'Anna Lind', 'panelist knows who she is');
  const screen = (await newPage(browser)).page;
  await visit(screen, server, screenUrl);
  await waitText(screen, '#code', code, 'screen shows the join code');
  assert.equal(await screen.getAttribute('#qr', 'src'), `/qr/${code}`);
  assert.ok(await screen.locator('#qr').evaluate((img) => img.complete && img.naturalWidth > 0), 'QR code loads');

  // ---- three participants join: two on phones in the room, one remote on a laptop
  const p1ctx = await newPage(browser, { viewport: PHONE });
  const p2ctx = await newPage(browser, { viewport: PHONE });
  const p3ctx = await newPage(browser, { viewport: DESKTOP });
  const [p1, p2, p3] = [p1ctx.page, p2ctx.page, p3ctx.page];
  await join(p1, code, 'in_room');
  await join(p2, code, 'in_room');
  await join(p3, code, 'remote');
  await waitText(p3, '#phase-note', 'inte börjat', 'participants see the dialogue is open but not live');
  assert.equal(await p3.locator('#stream').getAttribute('src'), `${server.base}/healthz`, 'livestream embedded');
  await waitText(screen, '#present', '2 i lokalen · 1 på distans', 'screen counts the room and remote');

  await org.click('button[data-phase=live]');
  await waitText(org, '#sel-phase', 'Pågår', 'phase live');
  await p1.locator('#phase-note').waitFor({ state: 'hidden' });

  // ---- questions come in; pending text reaches nobody but its author and the moderators
  await ask(p1, FLAGGED, 'polisen');
  await waitText(p1, '#mine [data-mine]', 'Väntar på granskning', 'own pending question');
  await ask(p2, DARK, 'Karin Berg, Ordförande i stadsdelsnämnden');
  await ask(p3, VISIBLE);
  await ask(p3, OFF_TOPIC);
  await waitText(mod, '#pending-count', '4', 'four questions to review');
  for (const p of [p2, p3, panel, screen]) {
    assert.ok(!(await p.content()).includes('811228'), 'pending text stays private');
  }

  // The confidentiality guard's flags are marked in the text.
  const flagged = card(mod, FLAGGED);
  await flagged.locator('mark.flag').nth(1).waitFor();
  assert.deepEqual(await flagged.locator('mark.flag').evaluateAll((ms) => ms.map((m) => m.dataset.kind)), ['personnummer', 'phone']);
  await waitText(mod, '#pending .flags', 'personnummer', 'flag kinds listed');
  await shots(mod, 'moderator');

  // ---- moderation: one-action redaction, keyboard approve, edit, reject with reason
  await flagged.getByRole('button', { name: /Godkänn maskerad/ }).click();
  await waitText(p2, '#questions li', 'Vad gör polisen?', 'redacted question published');
  const published = await p2.locator('#questions li', { hasText: 'Vad gör polisen?' }).textContent();
  assert.ok(!published.includes('811228') && !published.includes('070-123'), `published text is redacted: ${published}`);
  await waitText(p1, '#mine [data-mine]', 'Publicerad', 'author sees the question published');

  await card(mod, DARK).focus();
  await mod.keyboard.press('a');
  await waitText(p3, '#questions li', DARK, 'keyboard-approved question published');

  await card(mod, VISIBLE).focus();
  await mod.keyboard.press('e');
  const editor = card(mod, VISIBLE).locator('textarea');
  await editor.fill('Kan polisen synas mer i centrum sent på kvällen?');
  await editor.press('Tab');
  await mod.keyboard.press('Enter');
  await waitText(p1, '#questions li', 'sent på kvällen', 'edited question published');

  await card(mod, OFF_TOPIC).focus();
  await mod.keyboard.press('x');
  await card(mod, OFF_TOPIC).locator('select').selectOption('off_topic');
  await card(mod, OFF_TOPIC).getByRole('button', { name: 'Avvisa frågan' }).click();
  await waitText(p3, '#mine [data-mine]', 'hör inte till dialogens ämne', 'author told why');
  await mod.locator('#pending-empty').waitFor();

  // A duplicate is merged into the published question, with the keyboard.
  const DUPLICATE = 'Det är alldeles för mörkt i parken vid torget!';
  await ask(p2, DUPLICATE);
  await card(mod, DUPLICATE).waitFor();
  await card(mod, DUPLICATE).focus();
  await mod.keyboard.press('m');
  const target = card(mod, DUPLICATE).locator('select');
  const darkOption = await target.locator('option', { hasText: 'Varför är det så mörkt' }).getAttribute('value');
  await target.selectOption(darkOption);
  await target.press('Enter');
  await waitText(p2, '#mine [data-mine]', 'Sammanslagen', 'author sees the merge');
  await mod.locator('#pending-empty').waitFor();

  // ---- upvotes: set on and off, tallies everywhere
  const voteOn = (p, text) => p.locator('#questions li', { hasText: text }).locator('button.vote');
  await voteOn(p2, 'Vad gör polisen?').click();
  await voteOn(p3, 'Vad gör polisen?').click();
  await voteOn(p1, DARK).click();
  await voteOn(p3, DARK).click();
  await voteOn(p3, DARK).click(); // and off again
  assert.equal(await voteOn(p3, DARK).getAttribute('aria-pressed'), 'false');
  assert.equal(await voteOn(p2, 'Vad gör polisen?').getAttribute('aria-pressed'), 'true');
  await waitText(p1, '#questions li:first-child .count', '2', 'most popular first with 2 votes');
  await waitText(p1, '#questions li:first-child', 'Vad gör polisen?', 'sorted by popularity');
  await p1.click('#sort-recent');
  await waitText(p1, '#questions li:first-child', 'sent på kvällen', 'sorted by time');
  assert.equal(await p1.getAttribute('#sort-recent', 'aria-pressed'), 'true');

  // ---- order the queue, answer, and follow it on every screen
  const approved = (text) => mod.locator('#approved li', { hasText: text });
  await approved(DARK).getByRole('button', { name: /Sätt på tur/ }).click();
  await mod.locator('#upnext li', { hasText: DARK }).waitFor();
  await approved('sent på kvällen').focus();
  await mod.keyboard.press('u');
  await mod.locator('#upnext li', { hasText: 'sent på kvällen' }).waitFor();
  await mod.locator('#upnext li', { hasText: 'sent på kvällen' }).getByRole('button', { name: /^Upp/ }).click();
  await waitText(mod, '#upnext li:first-child', 'sent på kvällen', 'reordered up next');
  await waitText(screen, '#next li:first-child', 'sent på kvällen', 'screen shows up next in order');

  // ---- a question from the floor is published at once
  await mod.keyboard.press('f');
  await mod.keyboard.type('Från salen: när öppnar fritidsgården igen?');
  await mod.click('#floor-form button[type=submit]');
  await waitText(p2, '#questions li', 'fritidsgården', 'floor question published');

  await approved('Vad gör polisen?').getByRole('button', { name: /Besvara nu/ }).click();
  for (const [p, what] of [[p1, 'author'], [p2, 'participant'], [p3, 'remote participant'], [screen, 'screen'], [panel, 'panel']]) {
    await waitText(p, '#now-text', 'Vad gör polisen?', `${what} sees now answering`);
  }
  await waitText(p1, '#mine [data-mine]', 'Besvaras nu', 'author sees own question answered now');
  await waitText(panel, '#now-by', 'Till dig', 'panelist sees it is for her (the police)');
  await waitText(screen, '#next', DARK, 'screen shows what is up next');
  // Exactly what the moderator queued: nothing the moderator cannot see.
  assert.equal(await screen.locator('#next li').count(), await mod.locator('#upnext > li').count());
  await shots(screen, 'screen');
  await shots(panel, 'panel');
  await shots(p1, 'participant');

  await panel.getByRole('button', { name: 'Markera som besvarad' }).click();
  await waitText(p1, '#mine [data-mine]', 'Besvarad', 'author sees the answer happened');
  await waitText(screen, '#now-text', 'Ingen fråga', 'screen clears');

  // ---- a participant's connection is cut while typing; nothing is lost
  await p2.fill('#ask-text', OFFLINE.slice(0, 20));
  await p2ctx.context.setOffline(true);
  await waitText(p2, '#connection', 'Återansluter', 'reconnecting state is shown');
  await p2.locator('#ask-text').pressSequentially(OFFLINE.slice(20), { delay: 5 });
  await p2.click('#ask-submit');
  await waitText(p2, '#mine li', 'Väntar på anslutning', 'unsent question kept and shown');
  // Meanwhile the meeting goes on.
  await mod.locator('#upnext li', { hasText: DARK }).getByRole('button', { name: /Besvara nu/ }).click();
  await waitText(p1, '#now-text', DARK, 'others follow along');
  await screenshot(p2, 'participant-reconnecting-phone');
  await p2ctx.context.setOffline(false);
  await p2.locator('html[data-connection=open]').waitFor({ timeout: 15000 });
  assert.ok(await p2.locator('#connection').isHidden(), 'the reconnecting notice goes away');
  await waitText(p2, '#now-text', DARK, 'missed events replayed after resume');
  assert.equal(await p2.evaluate(() => window.dialoghub.conn.lastWelcome.recovered), true, 'resumed from its position, no snapshot needed');
  await waitText(p2, '#mine [data-mine]', OFFLINE, 'the question went out after reconnecting');
  await waitText(mod, '#pending li', OFFLINE, 'moderator got it');
  assert.equal(await mod.locator('#pending li', { hasText: OFFLINE }).count(), 1, 'exactly once');
  assert.equal(await p2.locator('#mine li', { hasText: OFFLINE }).count(), 1, 'listed once');
  assert.equal(await p2.inputValue('#ask-text'), '', 'the form was cleared by the send, not by the cut');

  // ---- the author is muted; then the dialogue closes
  await card(mod, OFFLINE).getByRole('button', { name: 'Tysta' }).click();
  await waitText(mod, '#pending li', 'tystad', 'moderator sees the author muted');
  await org.click('button[data-phase=closed]');
  await org.getByRole('dialog').getByRole('button', { name: 'Ja, avsluta' }).click();
  await waitText(org, '#sel-phase', 'Avslutad', 'phase closed');
  await waitText(p3, '#phase-note', 'avslutad', 'participants see the end');
  await waitText(p3, '#mine [data-mine]', 'hör inte till', 'the fate of a question stays visible afterwards');
  assert.deepEqual(problems, [], 'no page threw, hit the CSP or missed a string');
});
