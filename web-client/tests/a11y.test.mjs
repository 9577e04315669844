// Accessibility: axe-core on every page in Swedish and English, keyboard-only
// asking and moderating, live regions, reduced motion and text at 200 %.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, screenshot, PHONE, DESKTOP, checkAxe, visit, asOrganizer } from './harness.mjs';


let server;
let browser;
let meeting;

/** A live dialogue with questions in every state, set up through the real pages. */
async function setUpMeeting() {
  const d = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsdialog i Husby',
    purpose: 'Du kan påverka vad stadsdelen och polisen prioriterar i Husby nästa år. Budgeten är redan beslutad.',
    description: 'Frågor om trygghet i Husby.',
    starts_at: '2026-12-10T18:00:00+01:00',
    venue: 'Husby träff',
    livestream_url: `${server.base}/healthz`,
  });
  const police = await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Anna Lind', title: 'Kommunpolis', organisation: 'Polisen', kind: 'police' });
  await api(server, 'POST', `/api/dialogues/${d.id}/panelists`, { name: 'Karin Berg', title: 'Ordförande', organisation: 'Stadsdelsnämnden', kind: 'politician' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  const screen = await api(server, 'POST', `/api/dialogues/${d.id}/screen`);
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });

  const participant = await newPage(browser, { viewport: PHONE });
  const p = participant.page;
  await p.goto(`${server.base}/j/${d.code}`);
  await p.getByRole('button', { name: 'Gå med' }).click();
  await p.locator('html[data-connection=open]').waitFor();
  const ask = (text, addressee) => p.evaluate(([text_, to]) => window.dialoghub.conn.submit({ type: 'ask', text: text_, ...(to ? { addressee: to } : {}) }), [text, addressee]);
  const q1 = (await ask('Vad gör polisen åt rånen vid tunnelbanan? Ring mig på 070-123 45 67.', { kind: 'police' })).question_id;
  const q2 = (await ask('Varför är det så mörkt i parken på kvällarna?', { panelist: police.id })).question_id;
  const q3 = (await ask('Vem vinner allsvenskan?')).question_id;
  const q4 = (await ask('Min granne 811228-9874 säljer knark, vad gör ni?')).question_id;
  await ask('Kan fritidsgården ha öppet längre på fredagar?');

  const mod = (await newPage(browser)).page;
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('#pending li').nth(4).waitFor();
  const act = (msg) => mod.evaluate((m) => window.dialoghub.conn.submit(m), msg);
  await mod.locator('#pending li mark.flag').first().waitFor();
  const redacted = await mod.evaluate((id) => window.dialoghub.model.questions.get(id).redacted_text, q1);
  await act({ type: 'approve', question_id: q1, expected: 'pending', text: redacted });
  await act({ type: 'approve', question_id: q2, expected: 'pending' });
  await act({ type: 'reject', question_id: q3, expected: 'pending', reason: 'off_topic' });
  await act({ type: 'set_now_answering', question_id: q1, expected: null });
  await act({ type: 'set_up_next', question_ids: [q2] });
  await p.evaluate((id) => window.dialoghub.conn.submit({ type: 'vote', question_id: id, on: true }), q2);
  // Asked through the socket directly, so reload to see them listed as one's own.
  await p.reload();
  await p.locator('#mine [data-mine]', { hasText: 'hör inte till' }).waitFor();
  return { d, participant, mod, q4, panelUrl: local(server, police.invite_url), modUrl: local(server, moderator.invite_url), screenUrl: local(server, screen.invite_url) };
}

shareServerAndBrowser(async (s, b) => {
  server = s;
  browser = b;
  meeting = await setUpMeeting();
});

/** Runs axe-core and fails on any serious or critical violation. */

const pages = () => [
  { name: 'join page (/)', url: `${server.base}/`, ready: '#join-form' },
  { name: 'join by link (/j/CODE)', url: `${server.base}/j/${meeting.d.code}`, ready: '#join-form' },
  { name: 'moderator', url: meeting.modUrl, ready: '#pending li mark.flag' },
  { name: 'panel', url: meeting.panelUrl, ready: '#now:not(.empty)' },
  { name: 'screen', url: meeting.screenUrl, ready: '#code:not(:empty)' },
  { name: 'organizer', url: `${server.base}/organize`, ready: '#org-main:not([hidden])', organizer: true },
];

for (const lang of ['sv', 'en']) {
  test(`axe-core finds no serious or critical problems on any page (${lang})`, { timeout: 180000 }, async (t) => {
    for (const spec of pages()) {
      for (const viewport of [PHONE, DESKTOP]) {
        const { context, page } = await newPage(browser, { lang, viewport });
        if (spec.organizer) await asOrganizer(context, server);
        await visit(page, server, spec.url);
        await page.locator(spec.ready).first().waitFor();
        if (spec.organizer) await page.locator('#selected:not([hidden])').waitFor();
        assert.equal(await page.getAttribute('html', 'lang'), lang, `${spec.name} declares its language`);
        await checkAxe(page, `${spec.name} ${lang} ${viewport.width}px`, t);
        if (lang === 'sv' && spec.name === 'join page (/)') {
          await screenshot(page, `join-${viewport === PHONE ? 'phone' : 'desktop'}`, { fullPage: viewport === PHONE });
        }
        await context.close();
      }
    }
    // The participant page in use (own questions, a rejection, now answering), switched with the language button.
    const p = meeting.participant.page;
    if ((await p.getAttribute('html', 'lang')) !== lang) {
      await p.selectOption('#lang-select', lang);
      await p.locator(`html[lang=${lang}]`).waitFor();
    }
    await checkAxe(p, `participant ${lang}`, t);
    if (lang === 'en') {
      await p.locator('#mine [data-mine]', { hasText: 'off topic' }).waitFor();
      await screenshot(p, 'participant-en-phone', { fullPage: true });
    }
  });
}

test('the language choice is remembered and nothing typed is lost when switching', { timeout: 180000 }, async () => {
  const { context, page } = await newPage(browser, { viewport: PHONE });
  await page.goto(`${server.base}/j/${meeting.d.code}`);
  await page.getByRole('button', { name: 'Gå med' }).click();
  await page.locator('html[data-connection=open]').waitFor();
  await page.fill('#ask-text', 'Halvskriven fråga');
  await page.selectOption('#lang-select', 'en');
  await page.locator('#ask-heading', { hasText: 'Ask a question' }).waitFor();
  assert.equal(await page.inputValue('#ask-text'), 'Halvskriven fråga');
  await page.reload();
  await page.locator('#ask-heading', { hasText: 'Ask a question' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.inputValue('#ask-text'), 'Halvskriven fråga', 'the draft survives a reload too');
  await context.close();
});

/** Presses Tab until the element matching `selector` has focus. */
async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${selector} with Tab`);
}

test('asking and voting work with the keyboard alone', { timeout: 180000 }, async () => {
  const { context, page } = await newPage(browser, { viewport: PHONE });
  await page.goto(`${server.base}/j/${meeting.d.code}`);
  await tabTo(page, 'input[name=location][value=in_room]');
  await page.keyboard.press('ArrowDown'); // remote
  await tabTo(page, '#join-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.locator('html[data-connection=open]').waitFor();
  await tabTo(page, '#ask-text');
  await page.keyboard.type('Tangentbordsfråga om belysningen vid skolan');
  await tabTo(page, '#ask-name');
  await page.keyboard.type('Sam');
  await tabTo(page, '#ask-to');
  await page.keyboard.press('ArrowDown');
  await tabTo(page, '#ask-submit');
  await page.keyboard.press('Enter');
  await page.locator('#mine [data-mine]', { hasText: 'Tangentbordsfråga' }).waitFor();
  await tabTo(page, '#questions button.vote');
  await page.keyboard.press('Space');
  await page.locator('#questions button.vote[aria-pressed=true]').first().waitFor();
  assert.ok(await page.evaluate(() => document.activeElement.matches('button.vote')), 'focus stays on the vote button after the update');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await context.close();
});

test('moderating works with the keyboard alone and the shortcuts are documented', { timeout: 180000 }, async () => {
  const { context, page } = await newPage(browser);
  await visit(page, server, meeting.modUrl);
  await page.locator('#pending li mark.flag').first().waitFor();
  for (const key of ['a', 'r', 'e', 'x', 'm', 'u', 'n', 'd', 'f']) {
    assert.ok(await page.locator('#shortcuts-help kbd', { hasText: new RegExp(`^${key}$`) }).count(), `shortcut ${key} documented`);
  }
  await tabTo(page, '#pending li[data-qid]');
  // The flagged question (personnummer) is approved with the flagged span masked: one key.
  const flagged = page.locator(`#pending li[data-qid="${meeting.q4}"]`);
  await flagged.focus();
  await page.keyboard.press('r');
  await page.locator(`#approved li[data-qid="${meeting.q4}"], #upnext li[data-qid="${meeting.q4}"]`).first().waitFor();
  const published = await page.locator(`li[data-qid="${meeting.q4}"] .text`).first().textContent();
  assert.ok(!published.includes('811228'), `masked: ${published}`);
  // Focus moves on to the next question to review (after the ack); reject it with a reason, keys only.
  await page.waitForFunction(() => document.activeElement && document.activeElement.closest('#pending [data-qid]') !== null);
  const next = await page.evaluate(() => document.activeElement.closest('[data-qid]').dataset.qid);
  await page.keyboard.press('x');
  await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === 'SELECT'); // the reason picker
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.locator(`#pending li[data-qid="${next}"]`).waitFor({ state: 'detached' });
  await page.locator('#announcer', { hasText: 'avvisad' }).waitFor();
  await context.close();
});

test('"now answering" and the fate of one\'s own question are live regions', { timeout: 180000 }, async () => {
  const p = meeting.participant.page;
  assert.equal(await p.getAttribute('#now-text', 'aria-live'), 'polite');
  assert.equal(await p.getAttribute('#announcer', 'aria-live'), 'polite');
  assert.equal(await p.getAttribute('#connection', 'role'), 'status');
  // The author hears what happened to the question when it changes.
  await p.fill('#ask-text', 'Samma fråga som förut om belysningen?');
  await p.click('#ask-submit');
  const id = await p.locator('#mine [data-mine]', { hasText: 'Samma fråga som förut' }).getAttribute('data-mine');
  await meeting.mod.locator(`#pending li[data-qid="${id}"]`).waitFor();
  await meeting.mod.evaluate((q) => window.dialoghub.conn.submit({ type: 'reject', question_id: q, expected: 'pending', reason: 'duplicate' }), Number(id));
  await p.locator('#announcer').filter({ hasText: /same question|likadan/ }).waitFor();
  for (const url of [meeting.panelUrl, meeting.screenUrl, meeting.modUrl]) {
    const { context, page } = await newPage(browser);
    await visit(page, server, url);
    assert.equal(await page.getAttribute('#now-text', 'aria-live'), 'polite', url.split('#')[0]);
    await context.close();
  }
});

test('motion is reduced when the visitor asks for it', { timeout: 180000 }, async () => {
  for (const [reducedMotion, expected] of [['reduce', 'none'], ['no-preference', 'flash']]) {
    const { context, page } = await newPage(browser, { reducedMotion });
    await page.goto(`${server.base}/`);
    const name = await page.evaluate(() => {
      const el = document.createElement('div');
      el.className = 'flash';
      document.body.append(el);
      return getComputedStyle(el).animationName;
    });
    assert.equal(name, expected, reducedMotion);
    await context.close();
  }
});

test('text scales to 200 % without horizontal scrolling or clipped controls', { timeout: 180000 }, async () => {
  const specs = [
    { name: 'participant', url: null },
    { name: 'moderator', url: meeting.modUrl, ready: '#pending-heading' },
    { name: 'panel', url: meeting.panelUrl, ready: '#now:not(.empty)' },
    { name: 'organizer', url: `${server.base}/organize`, ready: '#selected:not([hidden])', organizer: true },
    { name: 'join', url: `${server.base}/`, ready: '#join-form' },
  ];
  for (const spec of specs) {
    for (const viewport of [{ width: 1280, height: 1024 }, PHONE]) {
      let page = meeting.participant.page;
      let context = null;
      if (spec.url) {
        ({ context, page } = await newPage(browser, { viewport }));
        if (spec.organizer) await asOrganizer(context, server);
        await visit(page, server, spec.url);
        await page.locator(spec.ready).first().waitFor();
      } else {
        await page.setViewportSize(viewport);
      }
      await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('button, input, select, textarea, h1, h2, p')]
          .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > width + 1)
          .map((el) => el.id || el.className || el.tagName);
        const culprits = [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > width + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1))
          .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 5);
        return { scroll: document.documentElement.scrollWidth - width, wide, culprits };
      });
      if (spec.name === 'participant' && viewport === PHONE) await screenshot(page, 'participant-text-200-phone');
      await page.evaluate(() => { document.documentElement.style.fontSize = ''; });
      assert.ok(overflow.scroll <= 1, `${spec.name} at ${viewport.width}px scrolls sideways by ${overflow.scroll}px: ${overflow.culprits.join(', ')}`);
      assert.deepEqual(overflow.wide, [], `${spec.name} at ${viewport.width}px: controls past the edge`);
      if (context) await context.close();
    }
  }
});
