// Votes, poll answers and questions from identities made in a burst from one
// address (issue 19): the moderator console says how many, in words, beside each
// tally, and marks such a question in the queue; participants never see it. Real headless Chromium against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, PHONE, checkAxe, visit, asOrganizer, askApproved, waitText } from './harness.mjs';

let server;
let browser;

// Two identities from an address, then burst ones (every test join is from 127.0.0.1).
shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
}, { env: { DIALOGHUB_STUFFING__BURST_JOINS: '2' } });

test('the moderator reads how many votes and answers came from burst identities', { timeout: 180000 }, async () => {
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Tensta', venue: 'Tensta träff', purpose: 'Frågor om tryggheten i Tensta; beslut om budget fattas inte här.' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const mod = (await newPage(browser)).page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();

  // The first identity from the address asks; the organizer approves.
  const { context, page: org } = await newPage(browser);
  await asOrganizer(context, server);
  await org.goto(`${server.base}/organize`);
  const { question } = await askApproved(org, server, d, 'Varför är gångtunneln så mörk?');

  // The second is a person; the third comes in a burst. Both vote and answer a poll.
  const people = [];
  for (let i = 0; i < 2; i++) {
    const p = (await newPage(browser, { viewport: PHONE })).page;
    await p.goto(`${server.base}/j/${d.code}`);
    await p.getByRole('button', { name: 'Gå med' }).click();
    await p.locator('html[data-connection=open]').waitFor();
    await p.locator(`button.vote[data-qid="${question}"]`).click();
    await p.locator(`button.vote[data-qid="${question}"][aria-pressed=true]`).waitFor();
    people.push(p);
  }
  const card = mod.locator('#approved li', { hasText: 'gångtunneln' });
  await waitText(mod, '#approved li', '2 röster (1 från snabbskapade identiteter)', 'the burst share beside the tally');

  await mod.fill('#poll-question', 'Känner du dig trygg i tunneln?');
  await mod.selectOption('#poll-kind', 'single');
  await mod.fill('#poll-options', 'Ja\nNej');
  await mod.click('#poll-form button[type=submit]');
  const pollItem = mod.locator('#mod-polls li', { hasText: 'trygg i tunneln' });
  await pollItem.getByRole('button', { name: 'Öppna' }).click();
  for (const [p, choice] of [[people[0], 'Ja'], [people[1], 'Nej']]) {
    await p.locator('#polls fieldset').waitFor();
    await p.getByLabel(choice, { exact: true }).check();
    await p.click('#polls button[type=submit]');
    await waitText(p, '#polls', 'Ditt svar är sparat', 'answer saved');
  }
  await waitText(mod, '#mod-polls li', 'Nej: 1 (50 %) · 1 från snabbskapade identiteter', 'per option');
  await waitText(mod, '#mod-polls li', '2 har svarat · 1 från snabbskapade identiteter', 'respondents');
  assert.match(await pollItem.textContent(), /Ja: 1 \(50 %\)(?! ·)/, 'no burst note where there is none');
  assert.ok(await card.isVisible());
  await checkAxe(mod, 'moderator with burst votes and answers');

  // Both ask. The burst identity's question is marked in words in the queue,
  // and still after the moderator reloads the console (from the snapshot).
  const asks = [[people[0], 'Kan tunneln målas i ljusare färg?'], [people[1], 'Varför sitter det inga kameror vid tunneln?']];
  for (const [p, text] of asks) {
    await p.fill('#ask-text', text);
    await p.click('#ask-submit');
    await waitText(p, '#mine [data-mine]', text, 'own question listed');
  }
  const pendingCard = (text) => mod.locator('#pending li', { hasText: text.slice(0, 25) });
  for (const reloaded of [false, true]) {
    if (reloaded) {
      await mod.reload();
      await mod.locator('html[data-connection=open]').waitFor();
    }
    const label = pendingCard(asks[1][1]).locator('.badge.burst');
    await label.waitFor({ timeout: 20000 });
    assert.match(await label.innerText(), /^Snabbskapad identitet\b/, `the label${reloaded ? ' after a reload' : ''}`);
    assert.match(await label.getAttribute('title'), /skur från samma adress/);
    assert.match(await label.textContent(), /skur från samma adress/, 'the meaning is read out too');
    await pendingCard(asks[0][1]).waitFor();
    assert.equal(await pendingCard(asks[0][1]).locator('.badge.burst').count(), 0, 'no label on a person\'s question');
  }
  await checkAxe(mod, 'moderator with a burst identity\'s question');

  // The participants never see it, not even the burst identity.
  await pollItem.getByRole('button', { name: 'Visa resultatet' }).click();
  for (const p of people) {
    await waitText(p, '#polls', 'Nej: 1 (50 %)', 'results for participants');
    const text = await p.locator('body').innerText();
    assert.ok(!/snabbskapad/i.test(text), 'a participant sees a burst flag');
  }
  assert.deepEqual(problems, []);
});
