// Polls, private tips, the crime-reporting notice and danger alerts (issue 9), in
// real headless Chromium against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, PHONE, checkAxe, visit, asOrganizer, waitText } from './harness.mjs';


let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});


const TIP = 'Det säljs knark i trapphuset på Zorrovägen varje fredag';
const DANGER = 'Hjälp mig, han har en kniv i porten';
const CRIME = 'Jag såg Kalle Svensson stjäla cyklar vid skolan';

test('a poll, a private tip, the crime notice and a danger alert through the pages', { timeout: 180000 }, async () => {
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Rinkeby', venue: 'Rinkeby bibliotek', purpose: 'Frågor om tryggheten i Rinkeby; beslut om budget fattas inte här.' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  const police = await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Per Polis', title: 'Kommunpolis', organisation: 'Polisen', kind: 'police' });
  const politician = await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Pia Politiker', title: 'Ordförande', organisation: 'Nämnden', kind: 'politician' });
  await api(server, 'PUT', `/api/dialogues/${d.id}/tip-recipients`, { kinds: ['police'] });
  const screenInvite = await api(server, 'POST', `/api/dialogues/${d.id}/screen`);
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });

  const mod = (await newPage(browser)).page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();
  const screen = (await newPage(browser)).page;
  await visit(screen, server, local(server, screenInvite.invite_url));
  await waitText(screen, '#code', d.code, 'the screen is up');

  const policePage = (await newPage(browser)).page;
  await visit(policePage, server, local(server, police.invite_url));
  await waitText(policePage, '#whoami', 'Per Polis', 'the police panelist is up');
  const politicianPage = (await newPage(browser)).page;
  await visit(politicianPage, server, local(server, politician.invite_url));
  await waitText(politicianPage, '#whoami', 'Pia Politiker', 'the politician is up');
  const anna = (await newPage(browser, { viewport: PHONE })).page;
  const bo = (await newPage(browser, { viewport: PHONE })).page;
  for (const p of [anna, bo]) {
    await p.goto(`${server.base}/j/${d.code}`);
    await p.getByRole('button', { name: 'Gå med' }).click();
    await p.locator('html[data-connection=open]').waitFor();
  }

  // The page says where crimes are reported, with the deployment's numbers.
  await waitText(anna, '#dialogue-view [data-crime-note]', '112', 'emergency number');
  assert.match(await anna.textContent('#dialogue-view [data-crime-note]'), /114 14/);

  // The moderator prepares a poll; nobody else sees it until it opens.
  await mod.fill('#poll-question', 'Känner du dig trygg i centrum på kvällen?');
  await mod.selectOption('#poll-kind', 'single');
  await mod.fill('#poll-options', 'Ja\nNej\nVet inte');
  await mod.click('#poll-form button[type=submit]');
  const pollItem = mod.locator('#mod-polls li', { hasText: 'Känner du dig trygg' });
  await pollItem.waitFor();
  assert.ok(await anna.locator('#polls-section').isHidden(), 'a prepared poll is not shown');
  await pollItem.getByRole('button', { name: 'Öppna' }).click();

  // Participants answer (set, not toggle: Bo changes his mind).
  await anna.locator('#polls fieldset legend', { hasText: 'Känner du dig trygg' }).waitFor();
  await anna.getByLabel('Ja', { exact: true }).check();
  await anna.click('#polls button[type=submit]');
  await waitText(anna, '#polls', 'Ditt svar är sparat', 'answer saved');
  await bo.locator('#polls fieldset').waitFor();
  await bo.getByLabel('Nej', { exact: true }).check();
  await bo.click('#polls button[type=submit]');
  await waitText(bo, '#polls button', 'Ändra svaret', 'answer saved');
  await bo.getByLabel('Ja', { exact: true }).check();
  await bo.click('#polls button[type=submit]');
  await waitText(mod, '#mod-polls li', 'Ja: 2 (100 %)', 'live results for the moderator');
  assert.ok(await screen.locator('#screen-poll').isHidden(), 'results are not on the screen before shown');
  await checkAxe(anna, 'participant with an open poll');

  await pollItem.getByRole('button', { name: 'Stäng' }).click();
  await pollItem.getByRole('button', { name: 'Visa resultatet' }).click();
  await waitText(screen, '#poll-results', 'Ja: 2 (100 %)', 'results on the screen');
  await waitText(screen, '#poll-respondents', '2 har svarat', 'respondents on the screen');
  await waitText(anna, '#polls', 'Ja: 2 (100 %)', 'results for participants');
  await checkAxe(screen, 'screen with poll results');
  await screenshot(screen, 'screen-poll');

  // A private tip: to the moderators, never to the public.
  await anna.fill('#ask-text', TIP);
  await anna.check('#ask-private');
  await anna.click('#ask-submit');
  await waitText(anna, '#mine [data-tip]', 'Privat', 'own tip listed as private');
  await waitText(mod, '#tips li', 'Zorrovägen', 'the moderator reads the tip');
  await waitText(policePage, '#tips li', 'Zorrovägen', 'the police panelist reads the tip');

  // Danger: a prominent alert for the moderator.
  await anna.fill('#ask-text', DANGER);
  await anna.check('#ask-private');
  await anna.click('#ask-submit');
  await waitText(mod, '#alerts .alert-danger', 'AKUT', 'danger alert');
  await checkAxe(mod, 'moderator with polls, tips and an alert');
  await screenshot(mod, 'moderator-tips-alert');
  await mod.getByRole('button', { name: 'Kvittera' }).click();
  await mod.locator('#alerts .alert-danger').waitFor({ state: 'detached' });

  // A question that reads like a crime report: moved to the private channel in one action.
  await bo.fill('#ask-text', CRIME);
  await bo.click('#ask-submit');
  const crimeCard = mod.locator('#pending li', { hasText: 'Kalle Svensson' });
  await crimeCard.locator('.private-signals').waitFor();
  await crimeCard.getByRole('button', { name: 'Flytta till privat kanal' }).click();
  await waitText(bo, '#mine [data-mine]', 'Skickad privat till panelen', 'the asker is told where it went');
  await waitText(mod, '#tips li', 'Flyttad från fråga', 'the moved question is a tip');

  // Nothing private reached another participant or the screen.
  await bo.waitForTimeout(500);
  for (const [who, page] of [['bo', bo], ['screen', screen], ['the politician', politicianPage]]) {
    const text = await page.locator('body').innerText();
    assert.ok(!text.includes('Zorrovägen') && !text.includes('kniv'), `${who} shows a tip`);
  }
  const annaText = await anna.locator('body').innerText();
  assert.ok(!annaText.includes('Kalle Svensson'), 'another participant never sees the moved question');
  assert.deepEqual(problems, []);
});
