// Staff sign-in in real headless Chromium through a real OpenID provider (the
// npm `oidc-provider`, tests/oidc-provider/): sign in with the municipality's
// account, moderate, sign out; then the old cookie and WebSocket ticket no longer
// work. No credential is in the address bar or localStorage at any point.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, api, asOrganizer, repoRoot, deadline, problems, checkAxe } from './harness.mjs';

let provider;
let server;
let browser;
let configDir;

/** Starts tests/oidc-provider/server.mjs; resolves with its issuer. */
async function startProvider() {
  const child = spawn(process.execPath, ['server.mjs'], { cwd: join(repoRoot, 'tests', 'oidc-provider'), stdio: ['pipe', 'pipe', process.env.TEST_LOG ? 'inherit' : 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const issuer = await deadline(new Promise((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l).issuer));
    child.once('exit', (code) => reject(new Error(`the OpenID provider exited with ${code}`)));
  }), 20000, 'the OpenID provider to start');
  lines.on('line', () => {}); // keep reading: a closed pipe would stop it
  return { issuer, stop: () => child.kill() };
}

before(async () => {
  provider = await startProvider();
  configDir = await mkdtemp(join(tmpdir(), 'dialoghub-oidc-'));
  const config = join(configDir, 'oidc.toml');
  await writeFile(config, `[oidc]
issuer_url = "${provider.issuer}"
client_id = "dialoghub"
client_secret = "test-secret-that-is-long-enough-0123456789"
scopes = ["openid", "profile", "groups"]
roles_claim = "groups"

[[oidc.grants]]
claim_value = "dh-admins"
district = "*"
role = "admin"
`);
  server = await startServer({ env: { DIALOGHUB_CONFIG: config } });
  browser = await launchBrowser();
}, { timeout: 90000 });

after(async () => {
  await browser?.close();
  await server?.stop();
  provider?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
}, { timeout: 30000 });

const QUESTION = 'Kan vi få bättre belysning på gångbron vid skolan?';

/** Whether a WebSocket opened with `ticket` is refused, and with which close code. */
async function helloWithTicket(page, ticket) {
  return page.evaluate((tk) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, ticket: tk }));
    ws.onmessage = (m) => {
      if (JSON.parse(m.data).type === 'welcome') resolve('welcome');
    };
    ws.onclose = (ev) => resolve(ev.code);
  }), ticket);
}

test('staff sign in with the municipality account, moderate and sign out', { timeout: 120000 }, async () => {
  const dialogue = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsdialog i Tensta', venue: 'Tensta träff', purpose: 'Frågor om trygghet kring skolan; budget beslutas inte här.',
  });
  await api(server, 'POST', `/api/dialogues/${dialogue.id}/phase`, { phase: 'live', expected: 'draft' });

  // A participant asks.
  const part = (await newPage(browser)).page;
  await part.goto(`${server.base}/j/${dialogue.code}`);
  await part.check('input[name=location][value=remote]');
  await part.getByRole('button', { name: 'Gå med' }).click();
  await part.locator('html[data-connection=open]').waitFor();
  await part.fill('#ask-text', QUESTION);
  await part.click('#ask-submit');

  // Kim, the municipality's admin, opens the moderator page and is sent to sign in.
  const { context, page } = await newPage(browser);
  const addresses = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && addresses.push(f.url()));
  const tickets = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('/api/ws-ticket') && r.ok()) tickets.push((await r.json()).ticket);
  });
  const moderate = `${server.base}/moderate?dialogue=${dialogue.id}`;
  await page.goto(moderate);
  await page.waitForURL(/\/signin\?next=/);
  await page.getByRole('link', { name: 'Logga in med kommunens konto' }).click();
  // The provider's own login and consent pages.
  await page.locator('input[name=login]').waitFor();
  await page.fill('input[name=login]', 'kim');
  await page.fill('input[name=password]', 'valfritt lösenord');
  await page.click('button[type=submit]');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(moderate);
  await page.locator('html[data-connection=open]').waitFor();

  // Kim moderates: the participant sees the approved question.
  const card = page.locator('#pending li', { hasText: QUESTION.slice(0, 30) });
  await card.getByRole('button', { name: 'Godkänn', exact: true }).click();
  await part.locator('#questions li', { hasText: QUESTION }).waitFor();

  // The session is a cookie the page cannot read; nothing of it anywhere else.
  const session = (await context.cookies()).find((c) => c.name === 'dialoghub_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie.includes('dialoghub_session')), false);
  assert.ok(tickets.length >= 1, 'the socket opened with a ticket');
  const { csrf } = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
  // One more ticket, never used: it must die with the session too.
  const unused = await page.evaluate(({ id, token }) => fetch('/api/ws-ticket', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ dialogue_id: id }),
  }).then((r) => r.json()).then((b) => b.ticket), { id: dialogue.id, token: csrf });
  const secrets = [session.value, csrf, unused, ...tickets];

  // A second tab of the same browser, on the same page.
  const other = await context.newPage();
  await other.goto(moderate);
  await other.locator('html[data-connection=open]').waitFor();

  // Sign out: both tabs end up at the sign-in page (the other by the close code 4410).
  const storage = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  await page.getByRole('button', { name: 'Logga ut' }).click();
  await page.waitForURL(/\/signin$/);
  await other.waitForURL(/\/signin\?next=/, { timeout: 10000 });

  for (const secret of secrets) {
    assert.ok(!storage.includes(secret), 'no credential in localStorage');
    for (const address of addresses) assert.ok(!address.includes(secret), `no credential in the address bar: ${address}`);
  }
  for (const address of addresses) assert.doesNotMatch(address, /[?#&](token|ticket|code)=/, address);

  // The old cookie and tickets no longer work.
  const res = await fetch(`${server.base}/api/session`, { headers: { cookie: `dialoghub_session=${session.value}` } });
  assert.equal(res.status, 401);
  await page.goto(`${server.base}/`);
  assert.equal(await helloWithTicket(page, unused), 4401, 'an unused ticket of the ended session');
  assert.equal(await helloWithTicket(page, tickets[0]), 4401, 'a used ticket');
  assert.deepEqual(problems, []);
});

test('the sign-in page and a refusal page meet WCAG 2.1 AA', { timeout: 60000 }, async (t) => {
  const { page } = await newPage(browser);
  await page.goto(`${server.base}/signin?next=/organize`);
  await page.getByRole('link', { name: 'Logga in med kommunens konto' }).waitFor();
  await checkAxe(page, 'sign-in page', t);
  // A provider's answer without a sign-in started in this browser.
  const res = await page.goto(`${server.base}/auth/oidc/callback?code=x&state=y`);
  assert.equal(res.status(), 400);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await checkAxe(page, 'refusal page', t);
});

test('a staff page without a session goes to sign-in, and without a dialogue to the organizer page', { timeout: 60000 }, async () => {
  for (const path of ['/organize', '/moderate', '/panel', '/screen']) {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.base}${path}`);
    await page.waitForURL(`${server.base}/signin?next=${encodeURIComponent(path)}`);
    await page.getByRole('link', { name: 'Logga in med kommunens konto' }).waitFor();
    const kept = await page.evaluate(() => Object.keys(localStorage));
    assert.ok(!kept.some((k) => /token|ticket|session/i.test(k)), `${path}: no credential kept (${kept})`);
    await context.close();
  }
  // Signed in, a console opened without `?dialogue=` leads to where the dialogues are.
  const { context, page } = await newPage(browser);
  await asOrganizer(context, server);
  await page.goto(`${server.base}/moderate`);
  await page.waitForURL(`${server.base}/organize`);
  await page.locator('#org-main:not([hidden])').waitFor();
  await page.getByRole('button', { name: 'Logga ut' }).waitFor();
  assert.equal(await page.evaluate(() => Object.keys(localStorage).some((k) => /token/i.test(k))), false, 'no token kept');
  await context.close();
  assert.deepEqual(problems, []);
});
