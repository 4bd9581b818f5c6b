// Open a forensics HTML report in headless Chromium with the network cut off, check that it renders completely
// offline, and save a screenshot of its first screen. Usage: node report_check.mjs REPORT.html SCREENSHOT.png
// Prints one JSON object: {requests, problems, images, broken, summary, lang, title, height}.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(join(ROOT, 'booth/package.json'));
const { chromium } = require('playwright-core');

const [report, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, offline: true });
const page = await context.newPage();
const requests = [];
const problems = [];
// Everything but the report file itself is refused and recorded: a report that needs the network fails here.
await page.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
  requests.push(url);
  return route.abort();
});
page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
page.on('pageerror', (err) => problems.push(String(err)));
await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });
const facts = await page.evaluate(() => {
  const images = [...document.images];
  return {
    images: images.length,
    broken: images.filter((img) => !img.complete || img.naturalWidth === 0).length,
    summary: document.querySelector('#summary')?.innerText ?? '',
    lang: document.documentElement.lang,
    title: document.title,
    height: document.body.scrollHeight,
    scripts: document.scripts.length,
  };
});
await page.screenshot({ path: shot, fullPage: false });
await browser.close();
console.log(JSON.stringify({ requests, problems, ...facts }));
