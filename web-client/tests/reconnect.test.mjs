// Lost connections: the page says so, keeps what was typed, resumes without a
// reload and sends an unacknowledged question again under its first id, so it
// arrives exactly once, also across a server restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, PHONE, visit, asOrganizer } from './harness.mjs';

let server;
let browser;
let code;
let modUrl;

shareServerAndBrowser(async (s, b) => {
  server = s;
  browser = b;
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Tensta', purpose: 'Frågor om tryggheten i Tensta.' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Mo' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  code = d.code;
  modUrl = local(server, moderator.invite_url);
});

async function participant() {
  const ctx = await newPage(browser, { viewport: PHONE });
  await ctx.page.goto(`${server.base}/j/${code}`);
  await ctx.page.getByRole('button', { name: 'Gå med' }).click();
  await ctx.page.locator('html[data-connection=open]').waitFor();
  return ctx;
}

async function moderator() {
  const { page } = await newPage(browser);
  await visit(page, server, modUrl);
  await page.locator('html[data-connection=open]').waitFor();
  return page;
}

test('a question sent just as the socket drops arrives once and its ack still comes', { timeout: 90000 }, async () => {
  const { page } = await participant();
  const mod = await moderator();
  const text = 'Varför tar det så lång tid innan polisen kommer till Tensta?';
  await page.fill('#ask-text', text);
  // Send and drop the socket in the same breath: the ack is lost with the connection.
  const sentId = await page.evaluate(() => {
    document.getElementById('ask-submit').click();
    const [waiting] = window.dialoghub.conn.waiting('ask');
    window.dialoghub.conn.ws.close();
    return waiting.client_msg_id;
  });
  await page.locator('#mine [data-mine]', { hasText: text }).waitFor({ timeout: 15000 });
  await mod.locator('#pending li', { hasText: text }).waitFor();
  await page.waitForTimeout(500);
  assert.equal(await mod.locator('#pending li', { hasText: text }).count(), 1, 'never duplicated');
  assert.equal(await page.locator('#mine li', { hasText: text }).count(), 1);
  assert.equal(await page.evaluate(() => window.dialoghub.conn.waiting().length), 0, 'nothing left waiting');
  assert.ok(sentId.length > 0);
});

test('the server restarts: pages show it, reconnect by themselves and nothing typed is lost', { timeout: 90000 }, async () => {
  const { page } = await participant();
  const mod = await moderator();
  await page.fill('#ask-text', 'Kan vi få fler vuxna ute på helgerna');
  await server.stopForNow();
  await page.locator('#connection', { hasText: 'Återansluter' }).waitFor({ timeout: 15000 });
  await mod.locator('#connection', { hasText: 'Återansluter' }).waitFor({ timeout: 15000 });
  await page.locator('#ask-text').pressSequentially(', särskilt vid centrum?', { delay: 5 });
  await page.click('#ask-submit');
  await page.locator('#mine li', { hasText: 'Väntar på anslutning' }).waitFor();
  await server.start();
  await page.locator('html[data-connection=open]').waitFor({ timeout: 20000 });
  await mod.locator('html[data-connection=open]').waitFor({ timeout: 20000 });
  const text = 'Kan vi få fler vuxna ute på helgerna, särskilt vid centrum?';
  await page.locator('#mine [data-mine]', { hasText: text }).waitFor();
  await mod.locator('#pending li', { hasText: text }).waitFor();
  assert.equal(await mod.locator('#pending li', { hasText: text }).count(), 1);
  // The moderator's console works after the restart: approve, and the participant sees it.
  await mod.locator('#pending li', { hasText: text }).getByRole('button', { name: 'Godkänn' }).first().click();
  await page.locator('#questions li', { hasText: text }).waitFor();
  await page.locator('#mine [data-mine]', { hasText: 'Publicerad' }).waitFor();
  assert.deepEqual(problems, []);
});

test('a page opened on a banned identity or a bad link says so and does not retry', { timeout: 90000 }, async () => {
  // A staff link that is unknown (or used, or expired) says so on a page of its own.
  const { page } = await newPage(browser);
  const gone = await page.goto(`${server.base}/signin/not-a-link`);
  assert.equal(gone.status(), 404);
  await page.getByRole('heading', { name: 'Länken fungerar inte' }).waitFor();
  // A banned participant is told so, also after a reload, and the page stops trying.
  const { page: banned } = await participant();
  const mod = await moderator();
  await banned.fill('#ask-text', 'Ni är alla idioter');
  await banned.click('#ask-submit');
  await mod.locator('#pending li', { hasText: 'idioter' }).getByRole('button', { name: 'Stäng av' }).click();
  await mod.getByRole('dialog').getByRole('button', { name: 'Ja, stäng av' }).click();
  await mod.locator('#pending li', { hasText: 'avstängd' }).waitFor();
  await banned.reload();
  await banned.locator('#connection', { hasText: 'stängt av dig' }).waitFor();
  await banned.waitForTimeout(1500);
  assert.equal(await banned.evaluate(() => window.dialoghub.conn.attempt), 0, 'no reconnect after 4403');
  const joinPage = (await newPage(browser)).page;
  await joinPage.goto(`${server.base}/j/NOSUCH`);
  await joinPage.locator('#join-error', { hasText: 'Det finns ingen öppen dialog' }).waitFor();
});
