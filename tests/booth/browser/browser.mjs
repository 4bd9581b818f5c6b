// Headless Chromium for the booth's browser tests and benchmark: Debian's /usr/bin/chromium driven by playwright-core
// (which downloads no browser). Every page records console errors, CSP violations and failed requests, so a test
// can assert the page ran clean under the real headers.
import { createRequire } from 'node:module';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(join(ROOT, 'booth/package.json'));
const { chromium } = require('playwright-core');

export const ARTIFACTS = join(ROOT, 'test-artifacts/booth');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh profile; `args` adds Chromium flags (e.g. a fake camera playing a file). */
export async function launch(args = []) {
  // launchPersistentContext gives the fresh --user-data-dir the brief asks for.
  const dir = join(ARTIFACTS, `.profile-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...FLAGS, ...args],
    acceptDownloads: true,
    viewport: { width: 1000, height: 800 },
  });
  const close = async () => {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { context, close };
}

/** A new page that collects problems: console errors, CSP reports, page errors, failed requests. */
export async function openPage(context, url, options = {}) {
  const page = await context.newPage();
  if (options.viewport) await page.setViewportSize(options.viewport);
  page.problems = [];
  // HTTP errors and failed requests are taken from the network events, which name the URL; Chromium's matching
  // "Failed to load resource" console line does not, so it is left out.
  // the result is only asked for once published (page-results.js), so a 404 there is a problem now
  const expected = [...(options.allowStatus ?? []), /\/api\/board\/inclusion\?/];
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected.some((re) => re.test(r.url()))) page.problems.push(`http ${r.status()}: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: /.test(m.text())) {
      page.problems.push(`console: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!(options.allowFailed ?? []).some((re) => re.test(r.url()))) page.problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 }).catch(() => {});
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const AXE = join(ROOT, 'booth/node_modules/axe-core/axe.min.js');

/**
 * axe-core (WCAG 2.0–2.2 A and AA rules) on the page as it is now; returns the serious and critical violations as
 * "rule: target" lines. axe is evaluated through the DevTools protocol, so the page's CSP is left as served.
 */
export async function axeProblems(page) {
  const { readFileSync } = await import('node:fs');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => (await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  })).violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })));
  return violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id}: ${v.targets.slice(0, 3).join(', ')}`);
}
