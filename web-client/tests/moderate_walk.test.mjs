// The moderator's blur tool on a walk (issue 22): a participant attaches a photo
// to an observation on the walk page; in the console the moderator draws one
// rectangle with the mouse and types another as numbers, previews the blur and
// approves; the published photo's pixels differ from the original inside the
// rectangles and match it outside. axe in Swedish and English. Real headless
// Chromium against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shareServerAndBrowser, newPage, api, asOrganizer, local, problems, screenshotDir, PHONE, checkAxe, visit, waitText } from './harness.mjs';
import { SQUARE, asStaff, checkerPng } from './walk_helpers.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** Mean absolute difference between the published photo and the checkerboard over a rectangle. */
async function differenceIn(page, src, r) {
  return page.evaluate(async ({ src, r, square }) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const data = g.getImageData(r.x, r.y, r.width, r.height).data;
    // The checkerboard of walk_helpers.mjs (the page's policy allows no eval).
    const expected = (x, y) => ((Math.floor(x / square) + Math.floor(y / square)) % 2 ? 255 : 0);
    let sum = 0;
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width; x++) sum += Math.abs(data[(y * r.width + x) * 4] - expected(r.x + x, r.y + y));
    }
    return sum / (r.width * r.height);
  }, { src, r, square: SQUARE });
}

test('the moderator blurs a photo with the mouse and the keyboard, previews and publishes it', { timeout: 180000 }, async (t) => {
  const d = await api(server, 'POST', '/api/dialogues', {
    title: 'Trygghetsvandring i Hökarängen',
    kind: 'walk',
    purpose: 'Vi noterar vad som gör platserna otrygga; åtgärderna beslutas efteråt.',
    walk: {
      stops: [{ id: 1, name: 'Tunneln', address: 'Parkvägen 1', lat_e6: 59334500, lon_e6: 18063200 }],
      groups: [{ id: 1, name: 'Grupp 1', leader: 'Lena', route: [1] }],
    },
  });
  const moderator = await api(server, 'POST', `/api/dialogues/${d.id}/moderators`, { name: 'Mona Moderator' });
  await api(server, 'POST', `/api/dialogues/${d.id}/phase`, { phase: 'live', expected: 'draft' });
  const mona = (await newPage(browser)).page;
  await visit(mona, server, local(server, moderator.invite_url));
  await mona.locator('html[data-connection=open]').waitFor();
  await mona.locator('#walk-section').waitFor();
  await waitText(mona, '#walk-photos-empty', 'Inga foton väntar', 'no photo yet');

  // Anna, on her phone, observes at the tunnel with a photo.
  const anna = (await newPage(browser, { viewport: PHONE })).page;
  await anna.goto(`${server.base}/w/${d.code}`);
  await anna.getByRole('button', { name: 'Gå med' }).click();
  await anna.locator('html[data-connection=open]').waitFor();
  await anna.getByLabel('Plats').selectOption('1');
  await anna.getByLabel('Kategori').selectOption('lighting');
  await anna.getByLabel('Vad ser du?').fill('Mörkt i tunneln, någon står där varje kväll');
  await anna.getByLabel('Foto (frivilligt)').setInputFiles({ name: 'tunneln.png', mimeType: 'image/png', buffer: checkerPng() });
  await anna.getByRole('button', { name: 'Skicka iakttagelsen' }).click();
  await waitText(anna, '#obs-result', 'kvittokod', 'Anna gets a receipt');

  // The photo reaches the console, private, with the tool.
  const tool = mona.locator('#walk-photos .blur-tool[data-ready=true]');
  await tool.waitFor();
  await waitText(mona, '#walk-photos li', 'Mörkt i tunneln', 'the observation beside its photo');
  await waitText(mona, '#walk-photos li', '320 × 240', 'the photo size in pixels');

  // One rectangle drawn with the mouse over the photo's top left part…
  const box = await tool.locator('.blur-photo').boundingBox();
  const scale = box.width / 320;
  await mona.mouse.move(box.x + 16 * scale, box.y + 16 * scale);
  await mona.mouse.down();
  await mona.mouse.move(box.x + 60 * scale, box.y + 60 * scale, { steps: 4 });
  await mona.mouse.move(box.x + 112 * scale, box.y + 112 * scale, { steps: 4 });
  await mona.mouse.up();
  await assert.doesNotReject(tool.locator('.blur-regions li').first().waitFor());
  assert.equal(await tool.locator('.blur-box').count(), 1);
  const drawn = (await tool.locator('.blur-regions li').first().textContent()).match(/(\d+), (\d+), (\d+) × (\d+)/).slice(1).map(Number);
  assert.ok(Math.abs(drawn[0] - 16) <= 2 && Math.abs(drawn[2] - 96) <= 3, `drawn: ${drawn}`);

  // …and one typed in, from the keyboard alone.
  const typed = { x: 176, y: 96, width: 96, height: 96 };
  await tool.getByLabel('Från vänster').fill(String(typed.x));
  await tool.getByLabel('Från toppen').fill(String(typed.y));
  await tool.getByLabel('Bredd').fill(String(typed.width));
  await tool.getByLabel('Höjd').fill(String(typed.height));
  await tool.getByRole('button', { name: 'Lägg till området' }).focus();
  await mona.keyboard.press('Enter');
  await waitText(mona, '.blur-regions li', 'Område 2: 176, 96, 96 × 96', 'the typed rectangle listed');
  // A rectangle outside the photo is refused before anything is sent.
  await tool.getByLabel('Bredd').fill('400');
  await tool.getByRole('button', { name: 'Lägg till området' }).click();
  await waitText(mona, '.blur-tool .error-line', '320 × 240', 'a rectangle outside the photo');
  assert.equal(await tool.locator('.blur-regions li').count(), 2);

  await tool.getByRole('button', { name: 'Förhandsgranska suddningen' }).click();
  await tool.locator('.blur-preview:not([hidden])').waitFor();
  const preview = await tool.locator('.blur-preview').getAttribute('src');
  assert.ok(await differenceIn(mona, preview, typed) > 60, 'the preview is blurred where asked');

  await checkAxe(mona, 'the blur tool in Swedish', t);
  await mona.locator('#walk-section').screenshot({ path: join(screenshotDir, 'moderator-walk-blur.png') });

  await tool.getByRole('button', { name: 'Godkänn och publicera fotot' }).click();
  await waitText(mona, '#walk-photos li', 'Fotot är publicerat', 'the photo is published');
  const published = await mona.locator('#walk-photos li[data-published-id]').getAttribute('data-published-id');
  const photoPath = `/d/${d.code}/photos/${published}.jpg`;
  const res = await fetch(server.base + photoPath);
  assert.equal(res.status, 200);
  const src = `${server.base}${photoPath}`;
  const outside = { x: 280, y: 200, width: 32, height: 32 };
  const inTyped = await differenceIn(mona, src, typed);
  const inDrawn = await differenceIn(mona, src, { x: drawn[0], y: drawn[1], width: drawn[2], height: drawn[3] });
  const away = await differenceIn(mona, src, outside);
  t.diagnostic(`mean difference from the original: typed ${inTyped.toFixed(1)}, drawn ${inDrawn.toFixed(1)}, outside ${away.toFixed(1)}`);
  assert.ok(inTyped > 60, `the typed rectangle is blurred (${inTyped})`);
  assert.ok(inDrawn > 60, `the drawn rectangle is blurred (${inDrawn})`);
  assert.ok(away < 25, `outside the rectangles the photo is unchanged (${away})`);

  // After a reload the console learns it from its snapshot: published, nothing to approve.
  await mona.reload();
  await mona.locator('html[data-connection=open]').waitFor();
  await waitText(mona, '#walk-photos li', 'Fotot är publicerat', 'still published after a reload');
  assert.equal(await mona.locator('#walk-photos li[data-published-id]').getAttribute('data-published-id'), published);
  assert.equal(await mona.getByRole('button', { name: 'Godkänn och publicera fotot' }).count(), 0, 'no approve control after a reload');
  assert.equal(await mona.locator('#walk-photos .blur-tool').count(), 0, 'no blur tool after a reload');

  // The console in English passes axe too.
  const monaEn = (await newPage(browser, { lang: 'en' })).page;
  await visit(monaEn, server, local(server, moderator.invite_url));
  await monaEn.locator('html[data-connection=open]').waitFor();
  await waitText(monaEn, '#walk-heading', 'The safety walk', 'the walk view in English');
  await checkAxe(monaEn, 'the walk view in English', t);

  // An action past its day, still open, is in the organizer's overview.
  const answers = await asStaff(mona, d.id, ['approve_pending',
    { type: 'create_action', title: 'Byt lampan i tunneln', observation_ids: [1], responsible: 'Trafikkontoret', due: '2020-01-31' }]);
  assert.ok(answers.every((a) => a.type === 'ack'), JSON.stringify(answers));
  const { context: orgContext, page: org } = await newPage(browser);
  await asOrganizer(orgContext, server);
  await org.goto(`${server.base}/organize`);
  await waitText(org, `[data-overview="${d.id}"] [data-overdue-action="1"]`, 'Byt lampan i tunneln', 'the overdue action in the overview');
  assert.deepEqual(problems, []);
});
