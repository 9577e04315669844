// One clock, configured: a deployment whose `[meetings] time_zone` is not
// Stockholm's shows every time in its own zone, in Chromium (whose own zone is
// set apart from both), on the staff pages and the participant's page alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, visit } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
}, { env: { DIALOGHUB_MEETINGS__TIME_ZONE: 'America/New_York' } });

test('times are shown in the configured zone, not Stockholm’s nor the device’s', { timeout: 90000 }, async () => {
  // 17:00 UTC on 12 March 2026: 13:00 in New York (summer time began 8 March), 18:00 in Stockholm.
  const d = await api(server, 'POST', '/api/dialogues', { title: 'Trygghetsdialog i Queens', purpose: 'Frågor om tryggheten.', starts_at: '2026-03-12T17:00:00Z' });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Maja' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const { page: mod } = await newPage(browser, { timezoneId: 'Asia/Tokyo' });
  await visit(mod, server, local(server, moderator.invite_url));
  await mod.locator('html[data-connection=open]').waitFor();
  assert.equal(await mod.evaluate(() => document.querySelector('meta[name="dialoghub-time-zone"]').content), 'America/New_York');
  await mod.locator('#dialogue-meta', { hasText: '12 mars 2026' }).waitFor();
  const meta = await mod.locator('#dialogue-meta').textContent();
  assert.match(meta, /kl\. 13:00/, meta);
  assert.doesNotMatch(meta, /18:00|02:00/, meta);
  assert.deepEqual(problems, []);
});
