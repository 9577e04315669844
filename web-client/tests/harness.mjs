// Test harness: the real server binary on a free port with a throw-away store,
// and headless Chromium through playwright-core. Every wait has a deadline.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const screenshotDir = join(repoRoot, 'docs', 'screenshots');
const binary = process.env.DIALOGHUB_BIN || join(repoRoot, 'target', 'debug', 'dialoghub');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 768 };

/** Rejects after `ms` with a message naming what was awaited. */
export function deadline(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/**
 * Starts the server binary (port 0, temporary SQLite file) and makes an organizer
 * token. `restart()` stops it and starts it again on the same port and store, as
 * a deploy would.
 */
export async function startServer({ env: extraEnv = {} } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'dialoghub-web-'));
  const env = {
    ...process.env,
    // A walk's map tiles: an address here that refuses, as no outside server is
    // reachable in a test (and none may be asked); pages must work without tiles.
    DIALOGHUB_WALKS__TILE_URL: 'http://127.0.0.1:9/{z}/{x}/{y}.png',
    ...extraEnv,
    DIALOGHUB_SERVER__PORT: '0',
    DIALOGHUB_SERVER__HOST: '127.0.0.1',
    DIALOGHUB_STORE__URL: `sqlite://${dir}/t.db`,
    DIALOGHUB_SERVER__DATA_DIR: dir,
    DIALOGHUB_AUTH__SECRET: randomBytes(32).toString('hex'),
    // One browser makes many joins and sockets from one address in a test.
    DIALOGHUB_LIMITS__JOINS_PER_IP_PER_MINUTE: '1000',
    RUST_LOG: process.env.TEST_LOG ? 'info' : 'warn',
  };
  let child = null;
  let log = '';
  const spawnServer = async (port) => {
    // On a restart the port is fixed, so the server does not derive its public URL
    // from the port it bound: name it, as a deploy does (the Origin check reads it).
    const publicUrl = port ? { DIALOGHUB_SERVER__PUBLIC_URL: `http://127.0.0.1:${port}` } : {};
    child = spawn(binary, [], { cwd: dir, env: { ...env, ...publicUrl, DIALOGHUB_SERVER__PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const me = child;
    me.stderr.on('data', (d) => {
      log += d;
      if (process.env.TEST_LOG) process.stderr.write(d);
    });
    return deadline(new Promise((resolve_, reject) => {
      let out = '';
      me.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/listening on port (\d+)/);
        if (m) resolve_(Number(m[1]));
      });
      me.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log.slice(-2000)}`)));
    }), 20000, 'the server to print its port');
  };
  const kill = async () => {
    const me = child;
    if (!me || me.exitCode !== null) return;
    me.kill('SIGTERM');
    await deadline(new Promise((r) => (me.exitCode !== null ? r() : me.on('exit', r))), 10000, 'the server to stop')
      .catch(() => me.kill('SIGKILL'));
  };
  const port = await spawnServer(0);
  const base = `http://127.0.0.1:${port}`;
  // The organizer is an admin made as an operator makes the first one, signed in
  // once through the single-use link `dialoghub admin` prints.
  const link = await deadline(new Promise((resolve_, reject) => {
    execFile(binary, ['admin', '--name', 'Organisatör'], { cwd: dir, env }, (err, stdout) => {
      if (err) reject(err);
      else resolve_(stdout.match(/\/signin\/[0-9a-f]+/)[0]);
    });
  }), 20000, 'a sign-in link');
  const organizer = await useLink(base, link);
  return {
    base,
    port,
    /** The organizer's session: `{ cookie, csrf, location }`. */
    organizer,
    /** Stops the server and leaves it down until `start()`. */
    stopForNow: kill,
    start: () => spawnServer(port),
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 30000,
  });
}

/**
 * One server (`startServer(options)`) and one browser for all the tests of a file:
 * started before the first test, both stopped after the last. `ready(server,
 * browser)` gets them before any test runs, for the file to keep, and may set up
 * there what all its tests share.
 */
export function shareServerAndBrowser(ready, options) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(options);
    browser = await launchBrowser();
    await ready(server, browser);
  }, { timeout: 90000 });
  after(async () => {
    await browser?.close();
    await server?.stop();
  }, { timeout: 30000 });
}

/** Uncaught errors, CSP refusals and missing strings seen on any page; a test asserts it stays empty. */
export const problems = [];

/** A fresh browser context (its own storage, like another person's phone). */
export async function newPage(browser, { viewport = DESKTOP, lang = 'sv', reducedMotion = 'reduce', timezoneId = 'Europe/Stockholm' } = {}) {
  const context = await browser.newContext({ viewport, reducedMotion, locale: lang === 'sv' ? 'sv-SE' : 'en-GB', timezoneId });
  // Generous, for a loaded CI machine; every test also has its own deadline.
  context.setDefaultTimeout(20000);
  await context.addInitScript((l) => {
    try {
      if (!localStorage.getItem('dialoghub.lang')) localStorage.setItem('dialoghub.lang', l);
    } catch { /* about:blank */ }
  }, lang);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
    if (m.type() === 'warning' && m.text().startsWith('missing string')) problems.push(m.text());
  });
  return { context, page };
}

/**
 * Uses a single-use link (`/signin/…`) as its button does, outside the browser:
 * the session it starts, `{ cookie, csrf, location }` (where the link leads).
 */
export async function useLink(base, link) {
  const path = link.startsWith('http') ? new URL(link).pathname : link;
  const res = await fetch(base + path, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(10000) });
  if (res.status !== 303) throw new Error(`POST ${path}: ${res.status}`);
  const cookie = res.headers.get('set-cookie').split(';')[0].split('=')[1];
  const session = await fetch(`${base}/api/session`, { headers: { cookie: `dialoghub_session=${cookie}` } }).then((r) => r.json());
  return { cookie, csrf: session.csrf, location: res.headers.get('location') };
}

/** Puts a session's cookie in a browser context, as signing in there would. */
export async function withSession(context, server, session) {
  await context.addCookies([{ name: 'dialoghub_session', value: session.cookie, url: server.base, httpOnly: true, sameSite: 'Strict' }]);
}

/** The organizer, signed in, in this browser context. */
export async function asOrganizer(context, server) {
  await withSession(context, server, server.organizer);
}

const invited = new Map();

/**
 * Opens a page an invitation link leads to, signed in as the invited person. The
 * link is single-use: the first visit uses it, later visits (other browser
 * contexts of the same person) get the same session's cookie.
 */
export async function visit(page, server, url) {
  if (!url.includes('/signin/')) return page.goto(url);
  if (!invited.has(url)) invited.set(url, await useLink(server.base, url));
  const session = invited.get(url);
  await withSession(page.context(), server, session);
  return page.goto(server.base + session.location);
}

/** REST as the organizer, for tests that do not need to click through the organizer page. */
export async function api(server, method, path, body) {
  const res = await fetch(server.base + path, {
    method,
    headers: {
      cookie: `dialoghub_session=${server.organizer.cookie}`,
      'x-csrf-token': server.organizer.csrf,
      origin: server.base,
      'content-type': 'application/json',
      'idempotency-key': randomBytes(8).toString('hex'),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** An invitation link, pointed at this test server (the server's public URL is the default one). */
export function local(server, inviteUrl) {
  const u = new URL(inviteUrl);
  return `${server.base}${u.pathname}${u.hash}`;
}

export async function screenshot(page, name, { fullPage = false } = {}) {
  await mkdir(screenshotDir, { recursive: true });
  // Screenshots are documentation: from the top, with fonts loaded, focus not on a field.
  await page.evaluate(async () => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo(0, 0);
    await (document.fonts && document.fonts.ready);
  });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page (WCAG 2.1 A and AA, and best practice) and fails on any
 * serious or critical violation; lesser ones go to `t.diagnostic` when a test
 * context is given. Returns how many rules passed.
 */
export async function checkAxe(page, what, t) {
  // Evaluated through the DevTools protocol, so the pages' CSP (no inline script) stays on.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result.violations.filter((x) => !bad.includes(x))) t?.diagnostic(`${what}: ${v.impact} ${v.id} (${v.nodes.length})`);
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${what}: axe found serious or critical problems`,
  );
  return result.passes.length;
}

/**
 * A question asked by a resident and approved by staff, and, with `followUp`
 * (`{ owner, due }`), given a promised follow-up: over the WebSocket as the
 * participant page and the moderator console do it, run in `page` (a page of
 * this server with a staff session) so the sockets come from its own origin.
 * Returns the question's id and every answer's type.
 */
export async function askApproved(page, server, dialogue, text, followUp = null) {
  return page.evaluate(async ({ dialogue, text, followUp, csrf }) => {
    const ws = (hello) => new Promise((resolve, reject) => {
      const s = new WebSocket(`${location.origin.replace('http', 'ws')}/ws`);
      const waiting = new Map();
      s.onmessage = (m) => {
        const msg = JSON.parse(m.data);
        if (msg.type === 'welcome') resolve(send);
        const done = waiting.get(msg.client_msg_id);
        if (done) done(msg);
      };
      s.onerror = reject;
      s.onopen = () => s.send(JSON.stringify({ type: 'hello', v: 1, ...hello }));
      let n = 0;
      const send = (msg) => new Promise((ok) => {
        const id = `t-${Date.now()}-${n++}`;
        waiting.set(id, ok);
        s.send(JSON.stringify({ ...msg, client_msg_id: id }));
      });
    });
    const joined = await (await fetch('/api/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: dialogue.code }) })).json();
    const resident = await ws({ token: joined.token });
    const asked = await resident({ type: 'ask', text });
    const ticket = await (await fetch('/api/ws-ticket', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ dialogue_id: dialogue.id }) })).json();
    const staff = await ws({ ticket: ticket.ticket });
    const acks = [asked.type, (await staff({ type: 'approve', question_id: asked.question_id, expected: 'pending' })).type];
    if (followUp) acks.push((await staff({ type: 'promise_follow_up', question_id: asked.question_id, ...followUp })).type);
    return { question: asked.question_id, acks };
  }, { dialogue, text, followUp, csrf: server.organizer.csrf });
}

/** Waits until an element of `selector` contains `expected`; says what it found if none does. */
export async function waitText(page, selector, expected, what) {
  await page.locator(selector).filter({ hasText: expected }).first().waitFor({ timeout: 20000 }).catch(async (e) => {
    const actual = await page.locator(selector).allTextContents().catch(() => []);
    throw new Error(`${what}: expected ${JSON.stringify(expected)} in ${selector}, found ${JSON.stringify(actual)} (${e.message})`);
  });
}
