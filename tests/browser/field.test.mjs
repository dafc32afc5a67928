// Field reporting in a real browser (Chromium, phone-sized): the report form works without a
// connection. Offline, a reporter makes two reports (one with a photo carrying a GPS position
// in its EXIF), closes the page and opens it again from the phone's cache, and when the
// connection comes back both arrive exactly once; the stored photo has no EXIF. A third report
// at the same spot is offered the first as "the same as this one". Another user signing in on
// the phone never sees or sends the first user's waiting reports. axe checks the pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, axe } from './lib.mjs';

let env;
let BASE;

before(async () => {
  env = await startDemo();
  BASE = env.base;
});

after(async () => {
  await env?.stop();
});

// A JPEG segment "Exif" with a GPS position (59°25'20" N, 16°5'52" E) and a camera make, as
// a phone's camera writes it.
function exifSegment() {
  const t = [];
  const u16 = (v) => t.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v) => t.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  const entry = (tag, type, count, value) => { u16(tag); u16(type); u32(count); u32(value); };
  t.push(0x49, 0x49, 0x2a, 0x00); u32(8);
  const make = Buffer.from('TestPhone\0');
  const makeAt = 8 + 2 + 12 * 2 + 4;
  const gpsAt = makeAt + make.length;
  u16(2);
  entry(0x010f, 2, make.length, makeAt);
  entry(0x8825, 4, 1, gpsAt);
  u32(0);
  t.push(...make);
  const rationalsAt = gpsAt + 2 + 12 * 4 + 4;
  u16(4);
  entry(1, 2, 2, 0x4e); // 'N'
  entry(2, 5, 3, rationalsAt);
  entry(3, 2, 2, 0x45); // 'E'
  entry(4, 5, 3, rationalsAt + 24);
  u32(0);
  for (const v of [59, 25, 20, 16, 5, 52]) { u32(v); u32(1); }
  const body = Buffer.concat([Buffer.from('Exif\0\0'), Buffer.from(t)]);
  const len = body.length + 2;
  return Buffer.concat([Buffer.from([0xff, 0xe1, len >> 8, len & 0xff]), body]);
}

function hasExif(bytes) {
  for (let i = 2; i + 4 <= bytes.length;) {
    if (bytes[i] !== 0xff) return false;
    const marker = bytes[i + 1];
    if (marker === 0xda) return false;
    if ((marker >= 0xe1 && marker <= 0xef) || marker === 0xfe) return true;
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return false;
}

async function signIn(page, who) {
  await page.goto(`${BASE}/login?next=%2Fincidents%2Fnew`);
  await page.getByLabel('E-postadress').fill(who.email);
  await page.getByLabel('Lösenord').fill(who.password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL(/\/incidents\/new$/);
}

async function fill(page, { category, lat, lon, description }) {
  await page.getByLabel('Vad hände?').selectOption(category);
  const details = page.locator('details.coordinates').first();
  if (!(await details.evaluate((d) => d.open))) await page.getByText('Eller ange koordinater (WGS84, decimalgrader)').click();
  await page.getByLabel('Latitud').fill(lat);
  await page.getByLabel('Longitud').fill(lon);
  await page.getByLabel('Longitud').dispatchEvent('change');
  await page.getByLabel('Beskrivning', { exact: true }).fill(description);
}

test('reports made offline arrive once when the connection is back, photos without EXIF', async () => {
  const context = await env.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'sv-SE',
  });
  const errors = [];
  const watch = (page) => {
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
  };
  let page = await context.newPage();
  watch(page);
  const reporter = env.login('reporter', 'rapportor.skola@kungsor.example');
  await signIn(page, reporter);
  // The service worker takes over; the form is kept for offline use from the next load.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const manifest = await page.locator('link[rel=manifest]').getAttribute('href');
  assert.equal(manifest, '/manifest.webmanifest');
  await axe(page, 'the report form (online)');

  // A photo as the phone's camera makes it: a JPEG with a GPS position in its EXIF.
  const plain = Buffer.from(await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1200;
    c.height = 900;
    const g = c.getContext('2d');
    g.fillStyle = '#8a6d3b';
    g.fillRect(0, 0, 1200, 900);
    g.fillStyle = '#1b5e20';
    g.fillRect(100, 100, 500, 300);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  }), 'base64');
  const photo = Buffer.concat([plain.subarray(0, 2), exifSegment(), plain.subarray(2)]);
  assert.ok(hasExif(photo) && photo.includes(Buffer.from('TestPhone')));

  const stamp = Date.now();
  const first = `Fälttest krossad ruta ${stamp}`;
  const second = `Fälttest nedskräpning ${stamp}`;
  await context.setOffline(true);
  assert.equal(await page.evaluate(() => navigator.onLine), false);
  await fill(page, { category: 'skadegorelse-glaskross', lat: '59.422400', lon: '16.097800', description: first });
  await page.getByLabel('Foton (valfritt, högst 5)').setInputFiles({ name: 'IMG_2001.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.getByText('Rapporten är sparad på telefonen').waitFor();
  await page.getByText('Väntar på att skickas: 1.').waitFor();
  // The form is empty again for the next report.
  assert.equal(await page.getByLabel('Beskrivning', { exact: true }).inputValue(), '');
  await fill(page, { category: 'nedskrapning', lat: '59.421000', lon: '16.099000', description: second });
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.getByText('Väntar på att skickas: 2.').waitFor();
  await axe(page, 'the report form with the offline queue');

  // The page is closed and opened again, still without a connection: from the phone's cache,
  // with the two reports still waiting.
  await page.close();
  page = await context.newPage();
  watch(page);
  await page.goto(`${BASE}/incidents/new`);
  await page.getByRole('heading', { name: 'Rapportera en händelse' }).waitFor();
  await page.getByText('Väntar på att skickas: 2.').waitFor();
  assert.equal(await page.locator('#queue-list li[data-state=waiting]').count(), 2);

  // The connection comes back: both are sent, once.
  await context.setOffline(false);
  await page.waitForFunction(() => document.querySelectorAll('#queue-list li[data-state=sent]').length === 2, null, { timeout: 40000 })
    .catch(async (e) => { throw new Error(`${e.message}: ${await page.locator('#queue').innerText()}\n${errors.join('\n')}`); });
  await page.getByText('Väntar på att skickas: 0.').waitFor();
  const list = await (await context.request.get(`${BASE}/api/v1/incidents?limit=1000`)).json();
  const mine = list.items.filter((i) => i.description === first || i.description === second);
  assert.equal(mine.filter((i) => i.description === first).length, 1, 'the first report arrived once');
  assert.equal(mine.filter((i) => i.description === second).length, 1, 'the second report arrived once');
  const firstIncident = mine.find((i) => i.description === first);
  assert.equal(firstIncident.source, 'form');
  // Sending the queue again (another tab, a retry) stores nothing new.
  await page.evaluate(async () => {
    const q = await import('/static/queue.js');
    const user = document.getElementById('queue').dataset.user;
    for (const r of await q.mine(user)) await q.put({ ...r, state: 'waiting' });
    await q.sendWaiting(user);
  });
  const again = await (await context.request.get(`${BASE}/api/v1/incidents?limit=1000`)).json();
  assert.equal(again.items.filter((i) => i.description === first || i.description === second).length, 2, 'nothing was sent twice');

  // The stored photo: shrunk, and without EXIF, GPS or the camera's make.
  const photos = await (await context.request.get(`${BASE}/api/v1/incidents/${firstIncident.id}/photos`)).json();
  assert.equal(photos.items.length, 1);
  assert.ok(Math.max(photos.items[0].width, photos.items[0].height) <= 2048);
  const served = await context.request.get(`${BASE}${photos.items[0].url}`);
  assert.equal(served.headers()['content-type'], 'image/jpeg');
  const bytes = await served.body();
  assert.ok(!hasExif(bytes), 'no EXIF in the served photo');
  assert.ok(!bytes.includes(Buffer.from('TestPhone')) && !bytes.includes(Buffer.from('Exif')));
  await page.goto(`${BASE}/incidents/${firstIncident.id}`);
  await page.getByRole('img', { name: 'Foto 1 av 1 från rapporten' }).waitFor();
  await axe(page, 'the incident with its photo');

  // A third report at the same spot: the first is offered as the same event.
  await page.goto(`${BASE}/incidents/new`);
  await fill(page, { category: 'skadegorelse-glaskross', lat: '59.422410', lon: '16.097810', description: `Samma ruta igen ${stamp}` });
  const hint = page.locator('fieldset.dupes');
  await hint.waitFor({ timeout: 10000 });
  await hint.getByText('Liknande rapporter i närheten').waitFor();
  await axe(page, 'the report form with a duplicate hint');
  await hint.getByLabel(/^Glaskross, /).check();
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.waitForURL(/\/incidents\/\d+\?saved=1$/);
  await page.getByRole('link', { name: `Händelse nr ${firstIncident.id}` }).waitFor();
  const third = await (await context.request.get(`${BASE}/api/v1/incidents/${page.url().match(/\/incidents\/(\d+)/)[1]}`)).json();
  assert.equal(third.same_as, firstIncident.id);

  assert.deepEqual(errors, [], 'no script or CSP errors');
  await context.close();
});

test('another user on the same phone never sees or sends the waiting reports', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'sv-SE' });
  let page = await context.newPage();
  const a = env.login('reporter', 'falt@kungsor.example');
  const b = env.login('reporter', 'bostad@bostadsbolaget.example');
  await signIn(page, a);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const text = `Väntande rapport ${Date.now()}`;
  await context.setOffline(true);
  await fill(page, { category: 'otrygg-plats-belysning', lat: '59.423000', lon: '16.096000', description: text });
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.getByText('Väntar på att skickas: 1.').waitFor();
  await page.close();
  await context.setOffline(false);

  // A signs out without opening the form again; B signs in on the same browser.
  page = await context.newPage();
  await page.goto(`${BASE}/account`);
  await page.getByRole('button', { name: 'Logga ut', exact: true }).click();
  await page.waitForURL(/\/login/);
  await signIn(page, b);
  await page.getByRole('heading', { name: 'Rapportera en händelse' }).waitFor();
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('#queue').isHidden(), true, "B's page lists no reports");
  assert.equal(await page.getByText(text).count(), 0);
  // Not sent with B's session either: A's report is still waiting on the phone.
  const waiting = await page.evaluate(async () => {
    const q = await import('/static/queue.js');
    const all = await new Promise((resolve) => {
      const open = indexedDB.open('lagesbild', 1);
      open.onsuccess = () => {
        const r = open.result.transaction('reports').objectStore('reports').getAll();
        r.onsuccess = () => resolve(r.result);
      };
    });
    return { all: all.map((r) => r.state), q: typeof q.sendWaiting };
  });
  assert.deepEqual(waiting.all, ['waiting']);

  // A signs in again: the report is sent then, once, as A's.
  await page.getByRole('button', { name: 'Logga ut', exact: true }).click();
  await page.waitForURL(/\/login/);
  await signIn(page, a);
  await page.waitForFunction(() => document.querySelectorAll('#queue-list li[data-state=sent]').length === 1, null, { timeout: 30000 });
  const list = await (await context.request.get(`${BASE}/api/v1/incidents?limit=1000`)).json();
  const found = list.items.filter((i) => i.description === text);
  assert.equal(found.length, 1);
  await context.close();
});

test('a report refused by the server is corrected and sent again, all by keyboard', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'sv-SE' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const who = env.login('reporter', 'rapportor.skola@kungsor.example');
  await signIn(page, who);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  // A personal identity number in the text: the server refuses it (screening).
  const stamp = Date.now();
  await fill(page, { category: 'otrygg-plats', lat: '59.424000', lon: '16.095000', description: `Mörk gångtunnel, ring 19121212-1212 ${stamp}` });
  await page.getByRole('button', { name: 'Skicka rapport' }).click();
  await page.getByText('Väntar på att skickas: 1.').waitFor();
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  const refused = page.locator('#queue-list li[data-state=refused]');
  await refused.waitFor({ timeout: 30000 });
  await refused.getByText('Ta bort detta innan du skickar').waitFor();
  await axe(page, 'the queue with a refused report');
  // By keyboard: to the button, Enter; the form is filled again with the error at its field.
  await refused.getByRole('button', { name: 'Rätta rapporten' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#description-error').waitFor();
  assert.ok(await page.evaluate(() => document.activeElement?.id === 'live-errors'), 'the error summary has the focus');
  assert.match(await page.getByLabel('Beskrivning', { exact: true }).inputValue(), /19121212-1212/);
  await page.getByLabel('Beskrivning', { exact: true }).focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(`Mörk gångtunnel, lampan trasig ${stamp}`);
  await page.getByRole('button', { name: 'Skicka rapport' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/incidents\/\d+\?saved=1$/);
  await page.getByText(`lampan trasig ${stamp}`).waitFor();
  const list = await (await context.request.get(`${BASE}/api/v1/incidents?limit=1000`)).json();
  assert.equal(list.items.filter((i) => i.description.endsWith(String(stamp))).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});
