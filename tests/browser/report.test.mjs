// Real-browser test: Debian's Chromium driven by playwright-core against `lagesbild demo`.
// A reporter logs in on a phone-sized screen, reports an incident through the form (placing it
// by tapping the map), and finds it in the list and on the map; axe-core checks the form, the
// list and the map page for WCAG 2.1 A/AA violations. Every request must stay on the server.
//
// Run: LAGESBILD_BIN=path/to/lagesbild node --test tests/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDemo, axe, totp } from './lib.mjs';

let env;
let BASE;
let dir;
let browser;
const login = (role, email) => env.login(role, email);

before(async () => {
  env = await startDemo();
  ({ base: BASE, dir, browser } = env);
});

after(async () => {
  await env?.stop();
});

test('a reporter reports from a phone and finds the incident in the list and on the map', async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'sv-SE',
  });
  const page = await context.newPage();
  const offsite = [];
  const errors = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:')) offsite.push(u);
  });
  const failed = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('response', (r) => {
    // The one expected failure is the invalid form submission (422).
    if (r.status() >= 400 && !(r.status() === 422 && r.request().method() === 'POST')) {
      failed.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    }
  });

  const reporter = login('reporter', 'rapportor.skola@kungsor.example');
  await page.goto(`${BASE}/incidents/new`);
  assert.match(page.url(), /\/login\?next=/);
  await page.getByLabel('E-postadress').fill(reporter.email);
  await page.getByLabel('Lösenord').fill(reporter.password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL(/\/incidents\/new$/);

  // The form without the map (it loads only when asked for), then with it.
  await page.getByRole('button', { name: 'Välj platsen på en karta' }).waitFor();
  assert.equal(await page.locator('link[href$="maplibre-gl.css"]').count(), 0, 'no map until asked for');
  await axe(page, 'the report form');
  await page.getByRole('button', { name: 'Välj platsen på en karta' }).click();
  await page.locator('.pick-map canvas').waitFor({ state: 'visible', timeout: 20000 });
  await axe(page, 'the report form with its map');

  // An invalid submission comes back with the errors next to the fields, values kept.
  await page.getByLabel('Beskrivning', { exact: true }).fill('Ett försök utan kategori');
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.locator('#category-error').waitFor();
  assert.equal(await page.getByLabel('Beskrivning', { exact: true }).inputValue(), 'Ett försök utan kategori');
  await axe(page, 'the report form with errors');

  // Now a real report: category, time (prefilled with now), tap the map, description.
  await page.getByLabel('Vad hände?').selectOption('skadegorelse-klotter');
  await page.locator('.pick-map canvas').waitFor({ state: 'visible' });
  await page.waitForFunction(() => window.lagesbildPickMap?.loaded());
  await page.locator('.pick-map').scrollIntoViewIfNeeded();
  const mapBox = await page.locator('.pick-map').boundingBox();
  await page.touchscreen.tap(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
  await page.waitForFunction(() => document.getElementById('lat').value !== '');
  const lat = Number(await page.getByLabel('Latitud').inputValue());
  const lon = Number(await page.getByLabel('Longitud').inputValue());
  assert.ok(lat > 59 && lat < 60 && lon > 15.5 && lon < 16.6, `tapped point ${lat},${lon} is around Kungsör`);
  const text = `Webbtest klotter ${Date.now()}`;
  await page.getByLabel('Beskrivning', { exact: true }).fill(text);
  await page.getByLabel('Antal inblandade personer (valfritt)').fill('2');
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.waitForURL(/\/incidents\/\d+\?saved=1$/);
  const id = Number(page.url().match(/\/incidents\/(\d+)/)[1]);
  await page.getByText(`Händelse nr ${id} är sparad`).waitFor();
  assert.ok(await page.getByText(text).isVisible());

  // The list, newest reported first.
  await page.goto(`${BASE}/incidents?sort=created_desc`);
  const link = page.locator(`a[href="/incidents/${id}"]`);
  await link.waitFor();
  await axe(page, 'the incident list');
  await link.click();
  await page.getByText(text).waitFor();

  // The map: our incident is among the points.
  await page.goto(`${BASE}/map`);
  await page.waitForFunction(() => document.getElementById('map').dataset.loaded !== undefined, null, { timeout: 30000 });
  const ids = await page.evaluate(async () => {
    const data = await window.lagesbildMap.getSource('incidents').getData();
    return data.features.map((f) => f.properties.id);
  });
  assert.ok(ids.includes(id), `incident ${id} is on the map (${ids.length} points)`);
  // Coarse police events are not points; they are counted in the note.
  const coarse = await page.locator('#coarse-note').textContent();
  assert.ok(ids.length > 100, 'demo incidents are on the map');
  assert.ok(coarse === '' || /kommunen/.test(coarse));
  // The heat map toggle and the period slider work.
  // On a phone the layer choices are folded away under one button.
  await page.getByText('Lager och period').click();
  await page.getByLabel('Visa som värmekarta').check();
  assert.equal(await page.evaluate(() => window.lagesbildMap.getLayoutProperty('heat', 'visibility')), 'visible');
  await page.locator('#period').fill('7');
  const fewer = await page.evaluate(async () => (await window.lagesbildMap.getSource('incidents').getData()).features.length);
  assert.ok(fewer < ids.length, `7 days show fewer points (${fewer}) than 90 days (${ids.length})`);
  assert.ok(fewer >= 1, 'the new incident is within 7 days');
  // Hot spots (Gi*) of the period, from the server.
  await page.locator('#period').fill('730');
  await page.getByLabel('Visa hot spots (rutor om 100 m)').check();
  await page.waitForFunction(() => document.getElementById('map').dataset.hotspots !== undefined, null, { timeout: 20000 });
  const hotCells = Number(await page.locator('#map').getAttribute('data-hotspots'));
  assert.ok(hotCells > 0, 'the demo data has hot spots');
  // Kernel density of the period, from the server.
  await page.getByLabel('Visa täthet (kärntäthet, radie 400 m)').check();
  await page.waitForFunction(() => document.getElementById('map').dataset.density !== undefined, null, { timeout: 20000 });
  assert.ok(Number(await page.locator('#map').getAttribute('data-density')) > 0, 'the demo data has a density surface');
  await axe(page, 'the map page');
  await page.screenshot({ path: join(process.env.SCREENSHOT_DIR || dir, 'map.png') });

  // A municipality with many incidents gets the map from vector tiles (forced here): the
  // server's tiles are drawn, and a shorter period asks for fewer.
  await page.goto(`${BASE}/map?tiles=1`);
  await page.waitForFunction(() => Number(document.getElementById('map').dataset.tileFeatures) > 0, null, { timeout: 30000 });
  await page.getByText('Lager och period').click();
  const tiled = Number(await page.locator('#map').getAttribute('data-tile-features'));
  assert.ok(tiled > 10, `tile features drawn (${tiled})`);
  await page.locator('#period').fill('7');
  await page.locator('#period').dispatchEvent('change');
  await page.waitForFunction((before) => Number(document.getElementById('map').dataset.tileFeatures) < before, tiled, { timeout: 30000 });
  await axe(page, 'the tiled map page');
  await page.screenshot({ path: join(process.env.SCREENSHOT_DIR || dir, 'map-tiles.png') });

  // The analysis is the coordinator's and the police's: not offered to a reporter.
  assert.equal(await page.getByRole('link', { name: 'Analys', exact: true }).count(), 0);

  assert.deepEqual(offsite, [], 'no request leaves the server');
  assert.deepEqual(errors, [], 'no script or CSP errors');
  assert.deepEqual(failed, [], 'no failed requests');
  await context.close();
});

test('the English interface is selectable', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const admin = login('admin');
  await page.goto(`${BASE}/login`);
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByLabel('E-mail address').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Coordinators set up a second factor at their first sign-in.
  await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  await axe(page, 'the second-factor setup');
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  await page.getByLabel('Code').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  assert.equal(await page.locator('ul.codes li').count(), 10);
  await page.getByRole('link', { name: 'Continue to Lägesbild' }).click();
  await page.waitForURL(`${BASE}/`);
  // The analysis page: the year's trends, time patterns and near repeats, as tables.
  await page.goto(`${BASE}/analysis?days=365`);
  assert.equal(await page.locator('table.heat').first().locator('tbody tr').count(), 7, 'a row per weekday');
  await page.goto(`${BASE}/incidents`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await axe(page, 'the English incident list (desktop)');
  // The coordinator's audit log (reads of restricted incidents, sign-ins) with its export.
  await page.getByRole('link', { name: 'Log', exact: true }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByText('The chain is unbroken').waitFor();
  await axe(page, 'the audit log (desktop)');
  // Every administration page passes axe too.
  for (const [path, heading] of [
    ['/admin', 'Administration'],
    ['/admin/users', 'Users'],
    ['/admin/organisations', 'Organisations'],
    ['/admin/categories', 'Categories'],
    ['/admin/places', 'Places and areas'],
    ['/admin/settings', 'Settings'],
    ['/account', 'My account'],
    ['/analysis?days=91', 'Analysis of the situation'],
  ]) {
    await page.goto(`${BASE}${path}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    if (path === '/admin/places') await page.locator('#draw-map canvas').waitFor({ state: 'visible', timeout: 20000 });
    await axe(page, `${path} (desktop, English)`);
  }
  // The situation report of the last two weeks: on screen (printable, axe-checked) and the
  // same figures in the PDF the page offers.
  await page.getByRole('link', { name: 'Situation report', exact: true }).click();
  await page.getByRole('heading', { name: 'Situation report', exact: true }).waitFor();
  await axe(page, 'the situation report (desktop, English)');
  await page.screenshot({ path: join(process.env.SCREENSHOT_DIR || dir, 'lagesbild.png'), fullPage: true });
  const total = (await page.locator('#lb-counts ~ .table-wrap tbody tr').first().locator('td').first().innerText()).trim();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download as PDF' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^lagesbild-1960-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.pdf$/);
  const pdfPath = join(dir, 'lagesbild.pdf');
  await download.saveAs(pdfPath);
  assert.equal(readFileSync(pdfPath).subarray(0, 5).toString(), '%PDF-');
  const pdfText = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
  assert.match(pdfText, /Situation report Kungsör/);
  assert.match(pdfText, new RegExp(`All incidents\\s+${total}\\s`), `the PDF's total is the page's (${total})`);
  assert.match(pdfText, /Visibility: Restricted: police and security coordinator/);

  // An action: planned in the form, then closed with a note; every page passes axe.
  await page.goto(`${BASE}/actions`);
  await page.getByRole('heading', { name: 'Actions', exact: true }).waitFor();
  await axe(page, 'the actions list (desktop, English)');
  await page.getByRole('link', { name: 'New action' }).click();
  await page.getByRole('heading', { name: 'New action' }).waitFor();
  await axe(page, 'the new action form (desktop, English)');
  await page.getByLabel('Action', { exact: true }).fill('Better lighting by the bus station');
  await page.getByLabel('Due by').fill('2030-06-30');
  await page.getByRole('button', { name: 'Save the action' }).click();
  await page.getByRole('heading', { name: 'Better lighting by the bus station' }).waitFor();
  await axe(page, 'an action (desktop, English)');
  await page.getByLabel('New status').selectOption('done');
  await page.getByLabel('Comment').fill('Six new lamps.');
  await page.getByRole('button', { name: 'Save status' }).click();
  await page.getByText('Six new lamps.').waitFor();
  assert.ok(await page.getByText('Done', { exact: true }).count() > 0);
  await context.close();
});
