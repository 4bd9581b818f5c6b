// The performance budget (issue 18, docs/booth.md §5): the booth page on a cheap phone on a slow network — Chromium's
// CPU throttled 4× and DevTools' "Slow 3G" profile (400 kbit/s each way, 2 s round trip) — is usable within
// LOAD_BUDGET_MS, and the sample referendum's ballot (three questions; a yes/no ballot is cheaper) is encrypted
// within ENCRYPT_BUDGET_MS. The measured times are printed ("# budget …") and written to slow-budget.json in BOOTH_OUT.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch } from './browser.mjs';

const BASE = process.env.BOOTH_URL;
const CREDENTIALS = JSON.parse(process.env.BOOTH_CREDENTIALS ?? '[]');
const OUT = process.env.BOOTH_OUT;
const LOAD_BUDGET_MS = 40000;
const ENCRYPT_BUDGET_MS = 2000;
const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: (400 * 1000) / 8, uploadThroughput: (400 * 1000) / 8 };

let context;
let close;
before(async () => {
  assert.ok(BASE && CREDENTIALS.length > 4 && OUT, 'BOOTH_URL, BOOTH_CREDENTIALS and BOOTH_OUT are needed');
  ({ context, close } = await launch());
});
after(async () => {
  await close?.();
});

test('on a 4× slower CPU and slow 3G the booth is usable and a ballot encrypted within the budget', async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const t0 = Date.now();
  await page.goto(`${BASE}/booth/index.html?lang=uk`, { timeout: LOAD_BUDGET_MS * 2 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: LOAD_BUDGET_MS * 2 });
  await page.waitForSelector('#step-credential:not([hidden])');
  const load = Date.now() - t0;
  // the typed code is the one path a phone without files has; then a full ballot
  await page.fill('#credential-code', JSON.parse(readFileSync(CREDENTIALS[4], 'utf8')).code);
  await page.click('#credential-form button[type=submit]');
  await page.waitForSelector('#step-ballot:not([hidden])', { timeout: 60000 });
  for (const id of ['q-q1-yes', 'q-q2-uk', 'q-q3-roads']) await page.check(`#${id}`);
  const t1 = Date.now();
  await page.click('#ballot-form button[type=submit]');
  await page.waitForSelector('#step-review:not([hidden])');
  const encrypt = Date.now() - t1;
  const figures = { load_ms: load, encrypt_ms: encrypt, budget: { load_ms: LOAD_BUDGET_MS, encrypt_ms: ENCRYPT_BUDGET_MS } };
  console.log(`# budget ${JSON.stringify(figures)}`);
  writeFileSync(join(OUT, 'slow-budget.json'), JSON.stringify(figures, null, 2));
  assert.ok(load <= LOAD_BUDGET_MS, `usable after ${load} ms (budget ${LOAD_BUDGET_MS})`);
  assert.ok(encrypt <= ENCRYPT_BUDGET_MS, `encrypted in ${encrypt} ms (budget ${ENCRYPT_BUDGET_MS})`);
  await page.close();
});
