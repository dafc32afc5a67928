// Issue 14 in a real browser: a citizen tips on a phone without signing in (the form, its
// refusal when sent too fast keeping the text, the receipt), the coordinator answers from the
// moderation queue, imports a spreadsheet after its preview, makes an Open311 key and exports
// the list; every page passes axe, the public ones in Swedish and English, and a 320 px phone
// never scrolls sideways on the tip page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDemo, axe, firstSignIn } from './lib.mjs';

let env;
before(async () => { env = await startDemo(); });
after(async () => { await env?.stop(); });

async function noSideways(page, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(wide <= 0, `${what} scrolls sideways by ${wide} px`);
}

test('a citizen tips from a phone and the coordinator answers, imports and exports', async () => {
  const phone = await env.browser.newContext({ viewport: { width: 320, height: 700 }, locale: 'sv-SE', isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(`${env.base}/tips/1960`);
  await p.getByRole('heading', { name: 'Tipsa om en otrygg plats' }).waitFor();
  await axe(p, 'the tip page');
  await noSideways(p, 'the tip page');
  await p.getByLabel('Vad gäller det?').selectOption({ label: 'Otrygg plats' });
  await p.getByLabel('Beskriv platsen eller det som hände').fill('Mörkt i gångtunneln, lampan är trasig. Ring 070-123 45 67');
  await p.getByLabel('Var?').fill('Cykelvägen vid idrottsplatsen');
  // Sent at once, as a script would: refused, the text kept.
  await p.getByRole('button', { name: 'Skicka tipset' }).click();
  await p.getByText('Formuläret skickades för snabbt').waitFor();
  assert.equal(await p.getByLabel('Beskriv platsen eller det som hände').inputValue(), 'Mörkt i gångtunneln, lampan är trasig. Ring 070-123 45 67');
  await axe(p, 'the tip page with its refusal');
  await p.waitForTimeout(3500);
  await p.getByRole('button', { name: 'Skicka tipset' }).click();
  await p.getByRole('heading', { name: 'Ditt tips' }).waitFor();
  const receipt = p.url();
  assert.match(receipt, /\/tips\/kvitto\//);
  await p.getByText('Mottaget – väntar på granskning').waitFor();
  await p.getByText('En personuppgift togs bort ur texten.').waitFor();
  await axe(p, 'the receipt');
  await noSideways(p, 'the receipt');
  // In English too.
  await p.goto(`${env.base}/lang/en?back=/tips/1960`);
  await p.getByRole('heading', { name: 'Tell us about an unsafe place' }).waitFor();
  await axe(p, 'the tip page in English');

  // The coordinator.
  const desk = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE', acceptDownloads: true });
  const page = await desk.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  const admin = env.login('admin');
  await firstSignIn(page, env, admin);
  await page.goto(`${env.base}/admin`);
  await page.getByRole('link', { name: 'Tips från allmänheten' }).click();
  await page.getByRole('heading', { name: 'Tips från allmänheten' }).waitFor();
  await axe(page, 'the moderation queue');
  const card = page.locator('section.tip-card', { hasText: 'Cykelvägen vid idrottsplatsen' });
  await card.getByLabel('Svar till tipsaren').fill('Tack! Belysningen är anmäld och lagas i veckan.');
  await card.getByLabel('Intern anteckning').fill('Gatukontoret ärende 4711');
  await card.getByRole('button', { name: 'Spara beslutet' }).click();
  await page.getByText(/Tips \d+ är granskat/).waitFor();
  // The tipster reads the answer, never the note.
  await p.goto(receipt);
  await p.getByText('Tack! Belysningen är anmäld och lagas i veckan.').waitFor();
  assert.ok(!(await p.content()).includes('4711'));

  // Import a spreadsheet: preview, then store the good rows.
  const csv = join(env.dir, 'felanmalan.csv');
  writeFileSync(csv, 'Ärendenr;Kategori;Datum;Latitud;Longitud;Beskrivning\nF-1;Klotter;2026-11-01 14:30;59,4224;16,0978;Klotter på elskåpet\nF-2;Klotter;igår;59,4224;16,0978;\n');
  await page.goto(`${env.base}/admin/import`);
  await axe(page, 'the import page');
  await page.getByLabel('Fil (CSV eller GeoJSON)').setInputFiles(csv);
  await page.getByRole('button', { name: 'Förhandsgranska' }).click();
  await page.getByText('felanmalan.csv: 2 rader, 1 går att importera, 1 är fel.').waitFor();
  await axe(page, 'the import preview');
  await page.getByLabel('De 1 raderna som är rätt').check();
  await page.getByRole('button', { name: 'Importera', exact: true }).click();
  await page.getByText(/1 nya, 0 ändrade, 0 oförändrade/).waitFor();
  await axe(page, 'the import result');

  // An Open311 key, shown once.
  await page.goto(`${env.base}/admin/open311`);
  await page.getByLabel('System').fill('Felanmälan-appen');
  await page.getByRole('button', { name: 'Skapa nyckel' }).click();
  await page.getByText('Nyckeln visas bara nu.').waitFor();
  await axe(page, 'the Open311 keys');

  // The list exports what it shows.
  await page.goto(`${env.base}/incidents`);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Excel (.xlsx)' }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^handelser-\d{4}-\d{2}-\d{2}\.xlsx$/);
  await axe(page, 'the incident list with its export links');
  assert.deepEqual(errors, []);
  await phone.close();
  await desk.close();
});
