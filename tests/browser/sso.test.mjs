// Single sign-on for staff against a real OpenID Connect provider (the npm package
// oidc-provider, started here on loopback with its development sign-in pages): the
// coordinator configures the municipality's provider in the administration pages, a member
// of staff signs in through it (authorization code with PKCE) and arrives with the role and
// organisation the provider's claims map to; someone whose claims map to no role is not let
// in; a callback sent twice is refused; local accounts keep working. axe-core checks the
// pages for WCAG 2.1 A/AA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, axe, firstSignIn } from './lib.mjs';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../frontend/package.json'));

let env;
let provider;
let issuer;
const CLIENT = { id: 'lagesbild-kungsor', secret: 'en-lang-hemlighet-for-testet-2026' };

// Who the provider knows: the login names of its development sign-in page.
const PEOPLE = {
  samordnare: { name: 'Sam Samordnare', groups: ['Alla', 'Trygghet-Samordnare'], department: 'Kommunen' },
  rektor: { name: 'Rut Rektor', groups: ['Skola-Rektor'], department: 'Skolan' },
  okand: { name: 'Olle Okänd', groups: ['Ekonomi'], department: 'Kommunen' },
};

before(async () => {
  env = await startDemo();
  const { default: Provider } = await import(require.resolve('oidc-provider'));
  const port = 20000 + Math.floor(Math.random() * 2000);
  issuer = `http://127.0.0.1:${port}`;
  provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      redirect_uris: [`${env.base}/login/sso/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups', 'department'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'], department: ['department'] },
    async findAccount(_ctx, id) {
      const p = PEOPLE[id];
      return p && {
        accountId: id,
        async claims() {
          return { sub: `kungsor-${id}`, email: `${id}@kungsor.example`, email_verified: true, name: p.name, groups: p.groups, department: p.department };
        },
      };
    },
  });
  await new Promise((resolve) => { provider.server = provider.listen(port, '127.0.0.1', resolve); });
});
after(async () => {
  provider?.server?.close();
  await env?.stop();
});

async function signInAtProvider(page, who) {
  await page.getByRole('link', { name: /^Logga in med .* konto$/ }).click();
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.locator('input[name="login"]').fill(who);
  await page.locator('input[name="password"]').fill('vad som helst');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // The development provider asks for consent the first time.
  const consent = page.getByRole('button', { name: 'Continue' });
  await Promise.race([
    consent.waitFor().then(() => consent.click()),
    page.waitForURL(`${env.base}/**`),
  ]);
  await page.waitForURL(`${env.base}/**`);
}

test('staff sign in with the municipality\'s provider, as its claims map them', async () => {
  const base = env.base;
  // The coordinator configures the provider (a local account, with its second factor).
  const ctxAdmin = await env.browser.newContext({ locale: 'sv-SE' });
  const page = await ctxAdmin.newPage();
  const admin = env.login('admin');
  await firstSignIn(page, env, admin);
  await page.goto(`${base}/admin`);
  await page.getByRole('link', { name: 'Inloggning med kommunens konto' }).click();
  await page.getByRole('heading', { name: 'Inloggning med kommunens konto' }).waitFor();
  await axe(page, 'the single sign-on settings');
  assert.ok((await page.locator('code').first().textContent()).endsWith('/login/sso/callback'));
  await page.getByLabel('Utfärdare (issuer)').fill(issuer);
  await page.getByLabel('Klient-id').fill(CLIENT.id);
  await page.getByLabel('Klienthemlighet').fill(CLIENT.secret);
  await page.getByLabel('Anspråk som anger roll').fill('groups');
  await page.getByLabel('Värde och roll, en per rad').fill('Trygghet-Samordnare = admin\nSkola-Rektor = reporter');
  await page.getByLabel('Anspråk som anger organisation').fill('department');
  await page.getByLabel('Värde och organisation, en per rad').fill('Kommunen = Kungsörs kommun\nSkolan = Kungsörs grundskola (demo)');
  await page.getByRole('button', { name: 'Spara' }).click();
  await page.getByText('Inställningarna är sparade.').waitFor();
  // Saved again with the secret left empty, it keeps the one stored.
  await page.getByRole('button', { name: 'Spara' }).click();
  await page.getByText('Inställningarna är sparade.').waitFor();

  // The coordinator's colleague signs in through the provider: an administrator here, with
  // no second step of ours.
  const ctxSam = await env.browser.newContext({ locale: 'sv-SE' });
  const sam = await ctxSam.newPage();
  await sam.goto(`${base}/login?next=/admin`);
  await axe(sam, 'the sign-in page with single sign-on');
  await signInAtProvider(sam, 'samordnare');
  assert.equal(new URL(sam.url()).pathname, '/admin', 'back where the user was going');
  await sam.goto(`${base}/account`);
  await sam.getByText('Sam Samordnare').first().waitFor();
  await sam.goto(`${base}/admin/users`);
  // The new user, made from the provider's claims, in the coordinator's list.
  const heading = sam.getByRole('heading', { name: /Sam Samordnare/ });
  await heading.waitFor();
  assert.match(await heading.textContent(), /samordnare@kungsor\.example/);

  // A head teacher arrives as a reporter of the school: no administration pages.
  const ctxRut = await env.browser.newContext({ locale: 'sv-SE' });
  const rut = await ctxRut.newPage();
  await rut.goto(`${base}/login`);
  await signInAtProvider(rut, 'rektor');
  const res = await rut.goto(`${base}/admin`);
  assert.equal(res.status(), 404, 'a reporter has no administration');
  const incidents = await rut.goto(`${base}/incidents/new`);
  assert.equal(incidents.status(), 200, 'a reporter reports');

  // Someone the mapping gives no role is not let in.
  const ctxOlle = await env.browser.newContext({ locale: 'sv-SE' });
  const olle = await ctxOlle.newPage();
  let callback;
  olle.on('request', (r) => { if (r.url().startsWith(`${base}/login/sso/callback`)) callback = r.url(); });
  await olle.goto(`${base}/login`);
  await signInAtProvider(olle, 'okand');
  await olle.getByRole('heading', { name: 'Inloggningen misslyckades' }).waitFor();
  await axe(olle, 'the failed sign-in');
  assert.equal((await olle.goto(`${base}/account`)).url().includes('/login'), true, 'not signed in');

  // The same callback again (a replayed code and state) is refused.
  assert.ok(callback, 'the provider sent the browser back');
  const again = await olle.goto(callback);
  assert.equal(again.status(), 400);

  // The local account still signs in with its password (and its second factor).
  const ctxLocal = await env.browser.newContext({ locale: 'sv-SE' });
  const local = await ctxLocal.newPage();
  await local.goto(`${base}/login`);
  await local.getByLabel('E-postadress').fill(admin.email);
  await local.getByLabel('Lösenord').fill(admin.password);
  await local.getByRole('button', { name: 'Logga in' }).click();
  await local.getByRole('heading', { name: 'Tvåstegsverifiering' }).waitFor();

  for (const c of [ctxAdmin, ctxSam, ctxRut, ctxOlle, ctxLocal]) await c.close();
});
