// The walk page on a phone (issue 22): joining on site and remotely, where the
// groups are, an observation at the group's stop and one at the phone's
// (opt-in) position, approved observations and actions appearing live; axe in
// Swedish and English. Real headless Chromium against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareServerAndBrowser, newPage, api, local, problems, screenshot, PHONE, checkAxe, visit, waitText } from './harness.mjs';
import { asStaff, checkerPng } from './walk_helpers.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});


test('the walk page on a phone: groups live, observations at a stop and at a position, actions', { timeout: 180000 }, async (t) => {
  const d = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsvandring i Fruängen',
    kind: 'walk',
    purpose: 'Vi går tillsammans och noterar vad som gör platserna otrygga.',
    walk: {
      stops: [
        { id: 1, name: 'Tunneln', address: 'Parkvägen 1', lat_e6: 59334500, lon_e6: 18063200 },
        { id: 2, name: 'Lekparken', address: 'Klubbacken 2', lat_e6: 59335500, lon_e6: 18064500 },
      ],
      groups: [{ id: 1, name: 'Grupp norr', leader: 'Lena', route: [1, 2] }],
    },
  });
  assert.equal(d.kind, 'walk');
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Lena Ledare' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const lead = (await newPage(browser)).page;
  await visit(lead, server, local(server, moderator.invite_url));
  await lead.locator('html[data-connection=open]').waitFor();

  const { context: annaContext, page: anna } = await newPage(browser, { viewport: PHONE });
  await annaContext.grantPermissions(['geolocation'], { origin: server.base });
  await annaContext.setGeolocation({ latitude: 59.3346123, longitude: 18.0633456 });
  await anna.goto(`${server.base}/w/${d.code}`);
  await anna.getByRole('button', { name: 'Gå med' }).click();
  await anna.locator('html[data-connection=open]').waitFor();
  const bo = (await newPage(browser, { viewport: PHONE, lang: 'en' })).page;
  await bo.goto(`${server.base}/w/${d.code}`);
  await bo.getByLabel('Following remotely').check();
  await bo.getByRole('button', { name: 'Join' }).click();
  await bo.locator('html[data-connection=open]').waitFor();
  await waitText(bo, '#groups li', 'not started', 'the group has not set off');

  // The leader moves the group on; both phones show it.
  const [moved] = await asStaff(lead, d.id, [{ type: 'move_group', group: 1, to: 1, expected: null }]);
  assert.equal(moved.type, 'ack', JSON.stringify(moved));
  await waitText(anna, '#groups li', 'vid stopp 1, Tunneln', 'Anna sees the stop');
  await waitText(bo, '#groups li', 'at stop 1, Tunneln', 'Bo sees the stop');
  // The route's list says it in words; the map beside it marks it (its tiles never load here).
  await waitText(bo, '#route li[aria-current=location]', 'Grupp norr is here now', 'the route list marks the stop');
  assert.equal(await bo.locator('#walk-map.leaflet-container').isVisible(), true, 'the map is shown');
  assert.equal(await bo.locator('#walk-map .leaflet-tooltip').count(), 2, 'both stops on the map');

  // Anna observes at the group's stop, then at her (coarsened) position.
  await anna.getByLabel('Kategori').selectOption('lighting');
  await anna.getByLabel('2', { exact: true }).check();
  await anna.getByLabel('Vad ser du?').fill('Lampan i tunneln är trasig');
  await anna.getByLabel('Foto (frivilligt)').setInputFiles({ name: 'lampan.png', mimeType: 'image/png', buffer: checkerPng() });
  await anna.getByRole('button', { name: 'Skicka iakttagelsen' }).click();
  await waitText(anna, '#obs-result', 'kvittokod', 'Anna gets a receipt');
  await anna.getByLabel('Kategori').selectOption('vegetation');
  await anna.getByLabel(/Använd min position/).check();
  await anna.getByLabel('Vad ser du?').fill('Buskarna skymmer stigen');
  await anna.getByRole('button', { name: 'Skicka iakttagelsen' }).click();
  await anna.locator('#obs-result').filter({ hasText: 'kvittokod' }).waitFor();
  await anna.waitForFunction(() => document.querySelector('#obs-text').value === '');

  // Nothing is public before a moderator approves.
  assert.equal(await bo.locator('#observations li').count(), 0);
  // The leader publishes the photo from the console's walk view, as it is.
  const tool = lead.locator('#walk-photos .blur-tool[data-ready=true]');
  await tool.waitFor();
  await tool.getByRole('button', { name: 'Godkänn och publicera fotot' }).click();
  await waitText(lead, '#walk-photos li', 'Fotot är publicerat', 'the photo is published');
  const approved = await asStaff(lead, d.id, ['approve_pending']);
  assert.equal(approved.length, 2, JSON.stringify(approved));
  assert.ok(approved.every((a) => a.type === 'ack'), JSON.stringify(approved));
  await waitText(bo, '#observations li', 'Lampan i tunneln är trasig', 'Bo sees the first observation');
  await waitText(bo, '#observations li', 'near an approximate position', 'Bo sees the one at a position');
  await waitText(bo, '#observations li', 'Lighting', 'the category in English');
  // The remote follower sees the published photo come in with its observation.
  await bo.locator('#observations li img.walk-photo').waitFor();
  const photoSrc = await bo.locator('#observations li img.walk-photo').getAttribute('src');
  assert.match(photoSrc, new RegExp(`^/d/${d.code}/photos/[0-9a-f]+\\.jpg$`));
  assert.equal((await fetch(server.base + photoSrc)).status, 200, 'the published copy is public');

  // An action from the first observation, followed live.
  const [made, planned] = await asStaff(lead, d.id, [
    { type: 'create_action', title: 'Byt armaturer i tunneln', observation_ids: [1], responsible: 'Trafikkontoret', due: '2027-03-31' },
    { type: 'set_action_status', action_id: 1, status: 'planned', expected: 'reported', note: 'Beställt' },
  ]);
  assert.equal(made.type, 'ack', JSON.stringify(made));
  assert.equal(planned.type, 'ack', JSON.stringify(planned));
  await waitText(anna, '#actions li', 'Planerad', 'Anna sees the action planned');
  await waitText(bo, '#actions li', 'Planned', 'Bo sees the action planned');

  // The public snapshot holds the coarse position only.
  const pub = await fetch(`${server.base}/api/public/${d.code}`).then((r) => r.json());
  const near = pub.walk.observations.find((o) => o.stop === null);
  assert.ok(near && near.lat_e6 !== 59334612 && near.lat_e6 !== 59335000, JSON.stringify(near));
  assert.ok(Math.abs(near.lat_e6 - 59334612) < 1000, JSON.stringify(near));

  await screenshot(anna, 'walk-phone', { fullPage: true });
  await screenshot(bo, 'walk-follower-en-phone', { fullPage: true });
  await screenshot(lead, 'moderator-walk-desktop');
  await checkAxe(anna, 'the walk page in Swedish', t);
  await checkAxe(bo, 'the walk page in English', t);
  assert.deepEqual(problems, []);
});
