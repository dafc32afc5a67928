// Each role's first screen, on a phone and on a desktop: the start page of the role, the
// navigation folded into one menu button on the phone (only the role's pages), no page wider
// than a 320 px screen or than 200 % zoom, lists as cards, and the map: named areas and places
// without a base map, a base map from a local tile server once the coordinator chooses one
// (a small recorded tile set, never the internet), the map taking the phone's screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { deflateSync, crc32 } from 'node:zlib';
import { startDemo, axe, totp } from './lib.mjs';

let env;
let BASE;
const sessions = {};

before(async () => {
  env = await startDemo();
  BASE = env.base;
});
after(async () => { await env?.stop(); });

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'sv-SE' };
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'sv-SE' };

// Signs a role in once (with the second factor for those who need it) and keeps the session
// for the other screen sizes.
async function contextFor(role, email, options) {
  if (!sessions[role]) {
    const ctx = await env.browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const who = env.login(role, email);
    await page.goto(`${BASE}/login`);
    await page.getByLabel('E-postadress').fill(who.email);
    await page.getByLabel('Lösenord').fill(who.password);
    await page.getByRole('button', { name: 'Logga in' }).click();
    if (role === 'admin' || role === 'analyst') {
      await page.getByRole('heading', { name: 'Ställ in tvåstegsverifiering' }).waitFor();
      const secret = await page.locator('#totp-secret').getAttribute('data-secret');
      await page.getByLabel('Kod', { exact: true }).fill(totp(secret));
      await page.getByRole('button', { name: 'Aktivera' }).click();
      await page.getByRole('link', { name: 'Fortsätt till Lägesbild' }).click();
    }
    await page.waitForURL(`${BASE}/`);
    sessions[role] = await ctx.storageState();
    await ctx.close();
  }
  return env.browser.newContext({ ...options, storageState: sessions[role] });
}

async function noSidewaysScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide on a ${width} px screen`);
}

const ROLES = [
  { role: 'reporter', email: 'rapportor.skola@kungsor.example', heading: 'Dina senaste rapporter', links: ['Start', 'Rapportera', 'Händelser', 'Karta', 'Lägesbild', 'Möten', 'Åtgärder'] },
  { role: 'reader', heading: 'Händelser de senaste 28 dagarna', links: ['Start', 'Lägesbild', 'Hot spots', 'Möten', 'Medborgarlöften', 'Åtgärder'] },
  { role: 'analyst', heading: 'Nya rapporter', links: ['Start', 'Rapportera', 'Händelser', 'Karta', 'Lägesbild', 'Analys', 'Hot spots', 'Möten', 'Medborgarlöften', 'Skolor', 'Åtgärder'] },
  { role: 'admin', heading: 'Nya rapporter', links: ['Start', 'Rapportera', 'Händelser', 'Karta', 'Lägesbild', 'Analys', 'Hot spots', 'Möten', 'Medborgarlöften', 'Skolor', 'Åtgärder', 'Administration', 'Logg'] },
];

test("each role's first screen on a phone and on a desktop", async () => {
  for (const r of ROLES) {
    // The phone: one menu button, the role's links inside it.
    const phone = await contextFor(r.role, r.email, PHONE);
    const page = await phone.newPage();
    const started = Date.now();
    await page.goto(`${BASE}/`);
    await page.getByRole('heading', { name: 'Start', exact: true }).waitFor();
    await page.getByRole('heading', { name: r.heading }).waitFor();
    const menu = page.locator('details.nav-fold > summary');
    assert.ok(await menu.isVisible(), `${r.role}: a menu button on the phone`);
    assert.ok(!(await page.locator('nav.nav-wide').isVisible()), `${r.role}: no row of links on the phone`);
    const headerHeight = await page.locator('header.top').evaluate((h) => h.getBoundingClientRect().height);
    assert.ok(headerHeight < 844 * 0.2, `${r.role}: the header takes ${headerHeight} px of 844`);
    await menu.click();
    const inMenu = page.locator('details.nav-fold nav');
    const links = (await inMenu.getByRole('link').allTextContents()).map((t) => t.trim());
    assert.deepEqual(links, [...r.links, 'Mitt konto'], `${r.role}: the menu`);
    await axe(page, `the ${r.role}'s start page on a phone`);
    await noSidewaysScroll(page, `the ${r.role}'s start page`);
    if (r.role === 'reporter') {
      assert.ok(await page.getByRole('link', { name: 'Rapportera en händelse' }).isVisible(), 'a big Rapportera');
    }
    console.log(`${r.role}: start page on a phone in ${Date.now() - started} ms`);
    await phone.close();

    // The desktop: a row of the same links.
    const desk = await contextFor(r.role, r.email, DESKTOP);
    const dpage = await desk.newPage();
    await dpage.goto(`${BASE}/`);
    await dpage.getByRole('heading', { name: r.heading }).waitFor();
    assert.ok(!(await dpage.locator('details.nav-fold').isVisible()));
    const row = (await dpage.locator('nav.nav-wide').getByRole('link').allTextContents()).map((t) => t.trim());
    assert.deepEqual(row, r.links, `${r.role}: the navigation on a desktop`);
    await axe(dpage, `the ${r.role}'s start page on a desktop`);
    await desk.close();
  }
});

test('no page is wider than a 320 px screen or 200 % zoom; lists read as cards', async () => {
  const pages = ['/', '/incidents', '/incidents/new', '/map', '/lagesbild', '/analysis', '/cases', '/meetings',
    '/promises', '/schools', '/actions', '/admin', '/admin/users', '/admin/organisations', '/admin/categories',
    '/admin/places', '/admin/settings', '/admin/tokens', '/admin/audit', '/account'];
  for (const [width, height] of [[320, 640], [640, 450]]) {
    const ctx = await contextFor('admin', undefined, { viewport: { width, height }, locale: 'sv-SE' });
    const page = await ctx.newPage();
    // One of each kind of detail page too.
    await page.goto(`${BASE}/incidents`);
    const detail = [];
    for (const [list, sel] of [['/incidents', 'table.incidents a'], ['/actions', 'table a'], ['/cases', 'table a'], ['/meetings', 'table a'], ['/schools', 'main a[href^="/schools/"]']]) {
      await page.goto(`${BASE}${list}`);
      const href = await page.locator(sel).first().getAttribute('href').catch(() => null);
      if (href) detail.push(href);
    }
    assert.ok(detail.length >= 3, `detail pages found: ${detail}`);
    // Every page at 320 px; at 200 % zoom (640 px) the pages a phone uses most.
    const walk = width === 320 ? [...pages, ...detail] : ['/', '/incidents', '/incidents/new', '/map', '/actions', ...detail.slice(0, 2)];
    for (const path of walk) {
      const res = await page.goto(`${BASE}${path}`);
      assert.equal(res.status(), 200, path);
      await noSidewaysScroll(page, `${path} at ${width} px`);
    }
    if (width === 320) {
      // The incident list as cards: each row a block with its column names.
      await page.goto(`${BASE}/incidents`);
      const display = await page.locator('table.incidents tbody tr').first().evaluate((tr) => getComputedStyle(tr).display);
      assert.equal(display, 'block');
      const label = await page.locator('table.incidents tbody td[data-label]').nth(1).evaluate((td) => getComputedStyle(td, '::before').content);
      assert.match(label, /Inträffade/);
      await axe(page, 'the incident list as cards at 320 px');
    }
    await ctx.close();
  }
});

// A 256 × 256 PNG of one colour: the recorded tile set of the local tile server.
function tilePng() {
  const chunk = (kind, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(kind), data])) >>> 0);
    return Buffer.concat([len, Buffer.from(kind), data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(256 * 3, 0xc8)]);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('the map names places without a base map, and draws the chosen base map from a local tile server', async () => {
  const png = tilePng();
  const served = [];
  const server = createServer((req, res) => {
    const m = /^\/tiles\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url);
    if (!m) { res.writeHead(404); res.end(); return; }
    served.push(req.url);
    res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' });
    res.end(png);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  try {
    const ctx = await contextFor('admin', undefined, PHONE);
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Without a base map: the outline, and the areas, places and schools with their names.
    await page.goto(`${BASE}/map`);
    await page.getByText('En bakgrundskarta med gator väljer administratören').waitFor();
    await page.waitForFunction(() => Number(document.getElementById('map').dataset.places) > 0, null, { timeout: 30000 });
    assert.ok(await page.locator('.place-label').count() > 3, 'places are named on the map');
    assert.ok(await page.locator('.place-label.school').count() >= 1, 'schools are named on the map');
    // On a phone the map gets the screen and the layer choices are folded away.
    const mapHeight = await page.locator('#map').evaluate((m) => m.getBoundingClientRect().height);
    assert.ok(mapHeight >= 844 * 0.6, `the map is ${mapHeight} px high on an 844 px screen`);
    assert.equal(await page.locator('details.map-layers').evaluate((d) => d.open), false);
    await axe(page, 'the map on a phone without a base map');

    // The coordinator chooses the municipality's own tile server.
    await page.goto(`${BASE}/admin/settings`);
    await page.getByLabel('Kartbilder från kommunens egen kartserver').check();
    await page.getByLabel('Adress (kartserver eller stil)').fill(`http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`);
    await axe(page, 'the settings with the base map choices');
    await page.getByRole('button', { name: 'Spara' }).first().click();
    await page.getByText('Sparat.').waitFor();
    await page.goto(`${BASE}/map`);
    await page.waitForFunction(() => document.getElementById('map').dataset.loaded !== undefined, null, { timeout: 30000 });
    const started = Date.now();
    while (served.length === 0 && Date.now() - started < 20000) await page.waitForTimeout(200);
    assert.ok(served.length > 0, 'the map asked the local tile server for tiles');
    assert.equal(await page.getByText('En bakgrundskarta med gator').count(), 0);
    // The report form's map uses it too, once asked for.
    const before = served.length;
    await page.goto(`${BASE}/incidents/new`);
    await page.getByRole('button', { name: 'Välj platsen på en karta' }).click();
    await page.locator('.pick-map canvas').waitFor({ state: 'visible', timeout: 20000 });
    const again = Date.now();
    while (served.length === before && Date.now() - again < 20000) await page.waitForTimeout(200);
    assert.ok(served.length > before, 'the report form map asked the tile server too');
    await page.getByRole('link', { name: 'Hoppa över kartan' }).waitFor();
    assert.deepEqual(errors, []);
    // Back to none, for the other tests.
    await page.goto(`${BASE}/admin/settings`);
    await page.getByLabel('Ingen', { exact: true }).check();
    await page.getByRole('button', { name: 'Spara' }).first().click();
    await page.getByText('Sparat.').waitFor();
    await ctx.close();
  } finally {
    server.close();
  }
});
