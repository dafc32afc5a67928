// Issue 20: pages that tell a manager the truth. The lägesbild, the analysis and a case draw
// their figures as charts (SVG with a title and a text equivalent), say what they mean in plain
// words with the methods named only in a footnote, and pass axe, in Swedish and in English; the
// demo's case and held meeting are there on the first start; a 320 px phone never scrolls
// sideways on them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, axe, firstSignIn } from './lib.mjs';

let env;
before(async () => { env = await startDemo(); });
after(async () => { await env?.stop(); });

const JARGON = ['Gi*', 'FDR', 'Mann–Kendall', 'Knox', 'aoristisk', 'kvartisk', 'aoristic', 'quartic', 'Ingen säker förändring'];

// Every chart on the page: an SVG image with a title and a description that says something.
async function charts(page) {
  return page.locator('svg.chart[role="img"]').evaluateAll((svgs) => svgs.map((s) => {
    const ids = (s.getAttribute('aria-labelledby') || '').split(' ');
    const text = (id) => document.getElementById(id)?.textContent.trim() || '';
    return { title: text(ids[0]), desc: text(ids[1]), width: s.getBoundingClientRect().width };
  }));
}

// The page's text outside the method footnote.
async function runningText(page, footnote) {
  return page.evaluate((id) => {
    const main = document.querySelector('main').cloneNode(true);
    main.querySelector(`#${id}`)?.remove();
    main.querySelectorAll('svg desc').forEach((d) => d.remove());
    return main.innerText;
  }, footnote);
}

test('charts, plain words and the method in a footnote, in Swedish and English', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const who = env.login('analyst');
  await firstSignIn(page, env, who);

  // The lägesbild: four charts, each with words.
  await page.goto(`${env.base}/lagesbild`);
  await page.getByRole('heading', { name: 'Lägesbild', exact: true }).waitFor();
  const sv = await charts(page);
  assert.deepEqual(sv.map((c) => c.title), [
    'Händelser per vecka', 'Förändring per kategori', 'Karta: hot spots och täthet', 'Händelser per veckodag och timme',
  ]);
  for (const c of sv) assert.ok(c.desc.length > 40 && c.width > 200, `${c.title}: ${c.desc}`);
  assert.match(sv[0].desc, /Jämförelseperioden: \d+ [a-z]+ \d+/);
  assert.match(sv[1].desc, /störst ökning först/);
  assert.match(sv[3].desc, /Flest händelser: /);
  assert.match(sv[2].desc, /Namngivna platser: .*Strandparken/);
  await page.getByText(/^Perioden har \d+ händelser mot \d+ i jämförelseperioden/).waitFor();
  const text = await runningText(page, 'lb-method');
  for (const j of JARGON) assert.ok(!text.includes(j), `"${j}" in the lägesbild's running text`);
  assert.match(await page.locator('#lb-method').innerText(), /Getis–Ord Gi\*.*Mann–Kendall/s);
  // The clusters are named by place and clear the stated minimum.
  for (const li of await page.locator('ol.clusters > li').allInnerTexts()) {
    assert.ok(!/vid –|(^|\s)1 rutor|(^|\s)[0-4] händelser/.test(li), li);
  }
  await axe(page, 'the lägesbild with its charts');

  // The analysis page: the same charts, no method names in the running text.
  await page.goto(`${env.base}/analysis?days=90`);
  const an = await charts(page);
  assert.deepEqual(an.map((c) => c.title), ['Händelser per vecka', 'Förändring per kategori', 'Händelser per veckodag och timme']);
  const atext = await runningText(page, 'analysis-method');
  for (const j of JARGON) assert.ok(!atext.includes(j), `"${j}" in the analysis' running text`);
  await axe(page, 'the analysis with its charts');

  // The demo's case: its EST steps as steps, its area on a map with the incidents as dots.
  await page.goto(`${env.base}/cases`);
  await page.getByRole('link', { name: 'Hot spot vid Strandparken (demo)' }).click();
  assert.equal(await page.locator('ol.stepper > li').count(), 5);
  assert.match(await page.locator('ol.stepper > li[aria-current="step"]').innerText(), /Analys\s+pågår sedan \d{4}-\d\d-\d\d/);
  assert.match(await page.locator('ol.stepper > li').first().innerText(), /Kartläggning\s+klart/);
  const cm = await charts(page);
  assert.deepEqual(cm.map((c) => c.title), ['Karta över Strandparken (demo)', 'Händelser per vecka']);
  assert.ok(await page.locator('svg.chart circle').count() > 3, 'the incidents in and around the area');
  await axe(page, 'a case with its steps and map');

  // The demo's held meeting: its notes and decision; the minutes leave empty notes out.
  await page.goto(`${env.base}/meetings`);
  await page.locator('main a[href^="/meetings/"]').first().click();
  await page.getByText('Polisen och bostadsbolaget känner igen bilden; följs upp vid nästa möte.').first().waitFor();
  await page.getByText('Laga belysningen längs stigen i Strandparken').first().waitFor();

  // The incident list names places, never bare coordinates; the detail page shows where it
  // happened on a small map, its coordinates with a decimal comma.
  await page.goto(`${env.base}/incidents`);
  const places = await page.locator('main table tbody tr td:nth-child(4)').allInnerTexts();
  assert.ok(places.length > 10, 'the list has rows');
  for (const p of places) assert.ok(!/^\d+\.\d+, \d+\.\d+$/.test(p.trim()), `a bare coordinate in the list: ${p}`);
  await page.goto(`${env.base}/incidents?source=demo`);
  await page.locator('main table tbody tr a').first().click();
  await page.getByRole('heading', { name: /^Händelse nr \d+$/ }).waitFor();
  const dm = await charts(page);
  assert.deepEqual(dm.map((c) => c.title), ['Var det hände'], 'a demo incident has a point');
  await page.getByText(/\d+,\d+° N, \d+,\d+° Ö/).waitFor();
  await axe(page, 'an incident with its map');
  // An overdue activity or action reads the same on every page.
  for (const path of ['/lagesbild', '/actions']) {
    await page.goto(`${env.base}${path}`);
    assert.ok(await page.getByText('Försenad', { exact: true }).count() > 0, `"Försenad" on ${path}`);
  }

  // In English: the same charts in English words.
  await page.goto(`${env.base}/lagesbild`);
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Situation report', exact: true }).waitFor();
  const en = await charts(page);
  assert.deepEqual(en.map((c) => c.title), [
    'Incidents per week', 'Change per category', 'Map: hot spots and density', 'Incidents per weekday and hour',
  ]);
  assert.match(en[0].desc, /Comparison period: \d+ [A-Z][a-z]+ \d+/);
  const etext = await runningText(page, 'lb-method');
  for (const j of JARGON) assert.ok(!etext.includes(j), `"${j}" in the English running text`);
  await axe(page, 'the English lägesbild with its charts');

  // A 320 px phone: the charts shrink with the page.
  await page.setViewportSize({ width: 320, height: 800 });
  for (const path of ['/lagesbild', '/analysis']) {
    await page.goto(`${env.base}${path}`);
    const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    assert.ok(scroll <= width, `${path} is ${scroll} px wide on a ${width} px screen`);
  }
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test("a manager's lägesbild: the same charts, aggregated, no single incidents", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE' });
  const page = await context.newPage();
  const who = env.login('reader');
  await page.goto(`${env.base}/login`);
  await page.getByLabel('E-postadress').fill(who.email);
  await page.getByLabel('Lösenord').fill(who.password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL(`${env.base}/`);
  // The start page's count is the lägesbild's: both from the figures a manager may see.
  const start = Number(await page.locator('.big-number').first().innerText());
  assert.ok(start > 0, 'a manager sees the figures');
  await page.goto(`${env.base}/lagesbild`);
  assert.equal((await charts(page)).length, 4);
  assert.equal(await page.getByRole('heading', { name: 'Särskilda händelser' }).count(), 0);
  await axe(page, "the manager's lägesbild");
  await context.close();
});
