// The whole EST loop in a real browser, as the municipality's security coordinator does it:
// open the lägesbild, promote a hot spot cluster to a case and log a visit, hold the
// samverkansmöte and turn a decision into an action, mark it done and see its evaluation,
// print the minutes and the lägesbild as PDF (read back with pdftotext), follow up a promise.
// axe-core checks every page for WCAG 2.1 A/AA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startDemo, axe, firstSignIn } from './lib.mjs';

let env;
before(async () => { env = await startDemo(); });
after(async () => { await env?.stop(); });

async function pdfText(page, linkName, file) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: linkName }).click(),
  ]);
  const path = join(env.dir, file);
  await download.saveAs(path);
  return execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
}

test('the coordinator works the EST loop from the lägesbild to the minutes', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE', acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const base = env.base;
  const nav = (name) => page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name, exact: true });

  // Sign in; the coordinator sets up the second factor at the first sign-in.
  const admin = env.login('admin');
  await firstSignIn(page, env, admin);
  // The coordinator's start page.
  await page.waitForURL(`${base}/`);
  await page.getByRole('heading', { name: 'Nya rapporter' }).waitFor();

  // 1. The lägesbild of the last four weeks, with its clusters.
  await nav('Lägesbild').click();
  await page.getByRole('heading', { name: 'Lägesbild', exact: true }).waitFor();
  const to = await page.getByLabel('Till och med').inputValue();
  const from = new Date(Date.parse(to) - 27 * 86400000).toISOString().slice(0, 10);
  await page.getByLabel('Från och med').fill(from);
  await page.getByRole('button', { name: 'Visa' }).click();
  await page.waitForURL(/from=/);
  await page.getByRole('heading', { name: 'Hot spot-kluster' }).waitFor();
  await axe(page, 'the lägesbild');
  const promote = page.getByRole('button', { name: 'Gör till hot spot-ärende' }).first();
  assert.ok(await promote.count() > 0, 'the demo has a hot spot cluster in four weeks');

  // 2. Promote the first cluster; log a visit; move to the analysis step.
  const caseTitle = await page.locator('ol.clusters input[name="title"]').first().inputValue();
  await promote.click();
  await page.getByRole('heading', { name: caseTitle, exact: true }).waitFor();
  await axe(page, 'a hot spot case');
  await page.getByLabel('Vilka träffades').fill('Fastighetsvärd och fritidsgården');
  await page.getByLabel('Vad vi fick veta').fill('Belysningen vid kiosken är trasig; ungdomar samlas där efter stängning.');
  await page.getByRole('button', { name: 'Anteckna besöket' }).click();
  await page.getByText('Belysningen vid kiosken är trasig').waitFor();
  await page.getByLabel('Nytt steg').selectOption('analys');
  await page.getByRole('button', { name: 'Spara steget' }).click();
  await page.locator('ol.stepper li[aria-current="step"]', { hasText: 'Analys' }).waitFor();
  const caseUrl = page.url();

  // 3. The samverkansmöte: the agenda from the lägesbild, a decision that becomes an action.
  await nav('Möten').click();
  await page.getByRole('heading', { name: 'Samverkansmöten' }).waitFor();
  await axe(page, 'the meetings');
  await page.getByRole('button', { name: 'Planera mötet' }).click();
  await page.getByRole('heading', { name: 'Dagordning' }).waitFor();
  assert.ok(await page.locator('ol.agenda > li').count() >= 2, 'an agenda from the lägesbild');
  await page.getByText('Övriga frågor').first().waitFor();
  await axe(page, 'a meeting');
  await page.getByLabel('Närvarande').fill('Kommunpolisen, säkerhetssamordnaren, socialtjänsten');
  await page.locator('textarea[name="notes_0"]').fill('Gatukontoret ser över belysningen.');
  await page.getByRole('button', { name: 'Spara anteckningarna' }).click();
  await page.getByLabel('Beslut', { exact: true }).fill('Ny belysning vid kiosken');
  const area = page.getByLabel('Område', { exact: true }).first();
  await area.selectOption({ label: `${caseTitle} (hot spot)` });
  await page.getByRole('button', { name: 'Besluta och skapa åtgärden' }).click();
  await page.getByText('Ny belysning vid kiosken').first().waitFor();
  await page.getByLabel('Fokusområde', { exact: true }).fill('Kiosken vid torget kvällstid');
  await page.getByRole('button', { name: 'Lägg till fokusområdet' }).click();
  await page.getByText('Kiosken vid torget kvällstid').waitFor();
  const minutes = await pdfText(page, 'Ladda ner protokollet som PDF', 'minutes.pdf');
  for (const want of ['Samverkansmöte Kungsör', 'Gatukontoret ser över belysningen.', 'Ny belysning vid kiosken', 'Kiosken vid torget kvällstid']) {
    assert.ok(minutes.includes(want), `${want} in the minutes:\n${minutes}`);
  }

  // 4. The action: done with a note; its evaluation is shown.
  await page.getByRole('link', { name: /^åtgärd \d+$/ }).first().click();
  await page.getByRole('heading', { name: 'Ny belysning vid kiosken' }).waitFor();
  await page.getByLabel('Ny status').selectOption('done');
  await page.getByLabel('Kommentar').fill('Fyra nya armaturer uppsatta.');
  await page.getByRole('button', { name: 'Spara status' }).click();
  await page.getByText('Fyra nya armaturer uppsatta.').waitFor();
  await page.getByRole('heading', { name: 'Effekt' }).waitFor();
  assert.ok(await page.getByText('Ange åtgärdens område, ett buffertområde och ett kontrollområde').count() > 0,
    'the new action says what its evaluation needs');
  await axe(page, 'a done action');
  // The demo's action done months ago has its evaluation: the WDQ and a verdict.
  await page.goto(`${base}/actions`);
  await page.getByRole('link', { name: 'Bättre belysning på gångvägen vid stationen' }).click();
  await page.getByText(/WDQ/).first().waitFor();
  // The case lists the action the meeting decided for its area, beside its visit.
  await page.goto(caseUrl);
  await page.getByText('Belysningen vid kiosken är trasig').waitFor();
  await page.getByRole('link', { name: 'Ny belysning vid kiosken' }).waitFor();

  // 5. The start page shows the focus area to everyone; the lägesbild prints.
  await page.goto(`${base}/incidents`);
  await page.getByRole('heading', { name: 'Fokusområden just nu' }).waitFor();
  await page.getByText('Kiosken vid torget kvällstid').waitFor();
  await page.goto(`${base}/lagesbild?from=${from}&to=${to}`);
  const report = await pdfText(page, 'Ladda ner som PDF', 'lagesbild.pdf');
  assert.match(report, /Lägesbild Kungsör/);
  assert.match(report, /Medborgarlöften \d{4}/);
  assert.match(report, new RegExp(`${from} – ${to}`));

  // 6. The year's medborgarlöften: follow an activity up.
  await nav('Medborgarlöften').click();
  await page.getByRole('heading', { name: /^Medborgarlöften \d{4}$/ }).waitFor();
  await page.getByRole('heading', { name: 'Skolor och skolmiljö' }).waitFor();
  await axe(page, 'the medborgarlöften');
  const strategic = page.locator('article.activity', { hasText: 'Strategiskt möte med aktörer på ledningsnivå' });
  await strategic.getByLabel('Utfall: Strategiska möten').fill('1');
  await strategic.getByLabel('Status').selectOption('done');
  await strategic.getByRole('button', { name: 'Spara uppföljningen' }).click();
  await page.locator('article.activity', { hasText: 'Strategiskt möte med aktörer på ledningsnivå' }).getByText('100 % av målen uppnått.').first().waitFor();
  const followUp = await pdfText(page, 'Ladda ner årets uppföljning som PDF', 'promises.pdf');
  assert.match(followUp, /Uppföljning av medborgarlöften Kungsör/);
  assert.match(followUp, /Hot spots/);

  // 7. A school: its incidents by school time and its mobilisation list.
  await nav('Skolor').click();
  await page.getByRole('heading', { name: 'Skolor', exact: true }).waitFor();
  await page.locator('main li a').first().click();
  await page.getByRole('heading', { name: 'När händer det?' }).waitFor();
  await page.getByLabel('Organisation').fill('Socialtjänsten');
  await page.getByLabel('Funktion').fill('Fältassistent');
  await page.getByLabel('E-post').fill('falt@kungsor.example');
  await page.getByRole('button', { name: 'Lägg till i listan' }).click();
  await page.getByRole('link', { name: 'falt@kungsor.example' }).waitFor();
  await axe(page, 'a school');

  // 8. An API token for a script: made on the account page (its secret shown once), used,
  // and revoked under Administration.
  await page.getByRole('link', { name: 'Mitt konto' }).click();
  await page.getByRole('heading', { name: 'API-nycklar' }).waitFor();
  await axe(page, 'the account with its tokens');
  await page.getByLabel('Namn', { exact: true }).fill('Skript för veckorapporten');
  await page.getByLabel('Giltig i dagar').fill('30');
  await page.getByRole('button', { name: 'Skapa nyckel' }).click();
  const apiSecret = (await page.locator("code.secret").textContent()).trim();
  assert.equal(apiSecret.length, 43);
  await axe(page, 'a new token, shown once');
  const api = await context.request.get(`${base}/api/v1/tenant`, { headers: { Authorization: `Bearer ${apiSecret}` } });
  assert.equal(api.status(), 200);
  await page.goto(`${base}/admin/tokens`);
  await page.getByRole('heading', { name: 'API-nycklar' }).waitFor();
  await axe(page, 'every token of the municipality');
  await page.getByRole('button', { name: 'Återkalla Skript för veckorapporten' }).click();
  await page.getByText('Inga API-nycklar.').waitFor();
  const revoked = await context.request.get(`${base}/api/v1/tenant`, { headers: { Authorization: `Bearer ${apiSecret}` } });
  assert.equal(revoked.status(), 401);

  assert.deepEqual(errors, [], 'no script or CSP errors');
  await context.close();
});
