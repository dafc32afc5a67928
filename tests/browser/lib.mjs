// Shared by the browser tests: a fresh `lagesbild demo` on a free port, Debian's Chromium via
// playwright-core, axe-core for WCAG 2.1 A/AA, and the authenticator code for coordinators.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';

// RFC 6238 code for a base32 secret, as an authenticator app computes it.
export function totp(secret, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[19] & 0x0f;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1000000).padStart(6, '0');
}

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../frontend/package.json'));
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BIN = process.env.LAGESBILD_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/// Starts `lagesbild demo` on a fresh database and Chromium; `stop()` ends both.
export async function startDemo() {
  assert.ok(BIN, 'set LAGESBILD_BIN to the lagesbild binary');
  const port = 18000 + Math.floor(Math.random() * 2000);
  const env = { base: `http://127.0.0.1:${port}`, logins: {}, output: '', dir: mkdtempSync(join(tmpdir(), 'lagesbild-browser-')) };
  await new Promise((resolve, reject) => {
    const started = Date.now();
    env.server = spawn(BIN, ['demo', '--db', join(env.dir, 'demo.db'), '--addr', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: 'warn' },
    });
    const timer = setTimeout(() => reject(new Error(`demo did not start in 30 s:\n${env.output}`)), 30000);
    env.server.stdout.on('data', (d) => {
      env.output += d;
      for (const m of env.output.matchAll(/^\s+(\S+@\S+)\s+lösenord: (\S+)\s+roll: (\w+)/gm)) {
        env.logins[m[3] + ':' + m[1]] = { email: m[1], password: m[2], role: m[3] };
      }
      if (env.output.includes('körs på http://')) {
        clearTimeout(timer);
        console.log(`demo served after ${Date.now() - started} ms`);
        resolve();
      }
    });
    env.server.stderr.on('data', (d) => { env.output += d; });
    env.server.on('exit', (code) => reject(new Error(`demo exited with ${code}:\n${env.output}`)));
  });
  env.browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
  });
  env.login = (role, email) => {
    const l = Object.values(env.logins).find((x) => x.role === role && (!email || x.email === email));
    assert.ok(l, `no ${role} login printed by demo:\n${env.output}`);
    return l;
  };
  env.stop = async () => {
    await env.browser?.close();
    env.server?.kill('SIGTERM');
    rmSync(env.dir, { recursive: true, force: true });
  };
  return env;
}

/// The first sign-in of a coordinator or analyst: the password, then the second factor set up
/// with the code the authenticator app would show; ends on the start page.
export async function firstSignIn(page, env, who) {
  await page.goto(`${env.base}/login`);
  await page.getByLabel('E-postadress').fill(who.email);
  await page.getByLabel('Lösenord').fill(who.password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.getByRole('heading', { name: 'Ställ in tvåstegsverifiering' }).waitFor();
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  await page.getByLabel('Kod', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: 'Aktivera' }).click();
  await page.getByRole('link', { name: 'Fortsätt till Lägesbild' }).click();
  await page.waitForURL(`${env.base}/`);
}

export async function axe(page, what) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const problems = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.deepEqual(problems, [], `axe found WCAG 2.1 A/AA violations on ${what}:\n${problems.join('\n')}`);
  assert.ok(result.passes.length > 10, `axe ran on ${what}`);
}
