// The district's staff on the organizer page: an admin invites a colleague by a
// single-use sign-in link, sees them in the list with their role, and takes them
// off the staff, which ends the colleague's session at once. Inline errors for a
// bad district; axe-core: no serious or critical problems, Swedish and English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shareServerAndBrowser, newPage, asOrganizer, problems, checkAxe, repoRoot } from './harness.mjs';

let server;
let browser;

shareServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

test('an admin invites a colleague from the organizer page and takes them off the staff', { timeout: 120000 }, async (t) => {
  const { context, page } = await newPage(browser);
  await asOrganizer(context, server);
  await page.goto(`${server.base}/organize`);
  const section = page.locator('#staff-section');
  await section.getByRole('heading', { name: 'Personal', exact: true }).waitFor();
  await section.locator('#staff-list li', { hasText: 'Organisatör' }).waitFor();

  // A district's short name that is not one: said beside the form, the field marked.
  await section.getByLabel('Namn', { exact: true }).fill('Lena Larsson');
  await section.getByLabel(/Stadsdelsområde/).fill('Rinkeby Kista');
  await section.getByRole('button', { name: 'Skapa inloggningslänk' }).click();
  await section.locator('#staff-district-error', { hasText: 'a–z, 0–9' }).waitFor();
  assert.equal(await page.getAttribute('#staff-district', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#staff-district', 'aria-describedby'), 'staff-district-error');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'staff-district');
  await checkAxe(page, 'organizer page with the staff section and an error (sv)', t);

  await section.getByLabel(/Stadsdelsområde/).fill('rinkeby-kista');
  await section.getByLabel('Roll').selectOption('moderator');
  await section.getByRole('button', { name: 'Skapa inloggningslänk' }).click();
  const link = await page.locator('#staff-link-url').inputValue();
  assert.match(link, /\/signin\/[0-9a-f]+$/);
  assert.equal(await section.locator('.field-error, .box-error').count(), 0, 'no error left');
  await section.locator('#staff-list li', { hasText: 'Lena Larsson' }).filter({ hasText: 'moderator i rinkeby-kista' }).waitFor();
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await section.screenshot({ path: join(repoRoot, 'docs', 'screenshots', 'organizer-staff.png') });

  // Lena uses her link once and is signed in.
  const lena = await newPage(browser);
  await lena.page.goto(`${server.base}${new URL(link).pathname}`);
  await lena.page.getByRole('button', { name: 'Logga in' }).click();
  await lena.page.waitForURL(/\/organize$/);
  assert.equal(await lena.page.evaluate(() => fetch('/api/session').then((r) => r.status)), 200);
  const used = await fetch(`${server.base}${new URL(link).pathname}`);
  assert.equal(used.status, 404, 'the link works once');

  // Taken off the staff (asked first): her session ends at once.
  await section.getByRole('button', { name: 'Ta bort Lena Larsson ur personalen' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Ja, ta bort' }).click();
  await section.locator('#staff-list li', { hasText: 'Lena Larsson' }).waitFor({ state: 'detached' });
  assert.equal(await lena.page.evaluate(() => fetch('/api/session').then((r) => r.status)), 401, 'her session has ended');

  // The same section in English passes axe too.
  await page.getByRole('button', { name: 'English' }).click();
  await section.getByRole('heading', { name: 'Staff', exact: true }).waitFor();
  await checkAxe(page, 'organizer page with the staff section (en)', t);
  assert.deepEqual(problems, []);
});
