// Accessibility and the screens for review (issue 18): axe-core on every page and step in uk, ru and en, with no
// serious or critical violation (the booth's steps up to a cast ballot and a challenged one); with BOOTH_SCREENS set (make booth-screens), a screenshot of each at 360 and 1280 px
// into test-artifacts/booth/screens/. Runs after voting.test.mjs (voting still open) with a credential it does not cast.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, axeProblems, launch, openPage } from './browser.mjs';

const BASE = process.env.BOOTH_URL;
const CREDENTIALS = JSON.parse(process.env.BOOTH_CREDENTIALS ?? '[]');
const SCREENS = process.env.BOOTH_SCREENS ? join(ARTIFACTS, 'screens') : null;
const WIDTHS = SCREENS ? [360, 1280] : [360];
// credential 4's last ballot in voting.test.mjs: casting it again here leaves the result as the pytest side expects
const CHOICES = { q1: ['no'], q2: ['uk'], q3: ['roads', 'schools'] };

let context;
let close;
before(async () => {
  assert.ok(BASE && CREDENTIALS.length, 'BOOTH_URL and BOOTH_CREDENTIALS are needed');
  ({ context, close } = await launch());
  if (SCREENS) mkdirSync(SCREENS, { recursive: true });
});
after(async () => {
  await close?.();
});

/** The screens of each page: [name, url, prepare(page)] — prepare brings the page to the screen. */
const SCREENS_OF = [
  ['booth-credential', 'index.html', async () => {}],
  ['booth-ballot', 'index.html', async (page) => {
    await page.fill('#credential-code', JSON.parse(readFileSync(CREDENTIALS[4], 'utf8')).code);
    await page.click('#credential-form button[type=submit]');
    await page.waitForSelector('#step-ballot:not([hidden])');
  }],
  ['booth-limits', 'index.html', async (page) => {
    await page.click('#ballot-form button[type=submit]'); // nothing chosen: the per-question errors show
    await page.waitForSelector('#error:not([hidden])');
  }],
  ['booth-review', 'index.html', async (page) => {
    for (const [q, o] of Object.entries(CHOICES)) for (const id of o) await page.check(`#q-${q}-${id}`);
    await page.click('#ballot-form button[type=submit]');
    await page.waitForSelector('#step-review:not([hidden])');
  }],
  ['booth-cast', 'index.html', async (page) => {
    await page.click('#cast');
    await page.waitForSelector('#step-cast:not([hidden])');
    await page.check('#receipt-written'); // saved: nothing kept, nothing to warn about
  }],
  ['booth-challenged', 'index.html', async (page) => {
    await page.click('#revote');
    await page.click('#ballot-form button[type=submit]');
    await page.waitForSelector('#step-review:not([hidden])');
    await page.click('#challenge');
    await page.waitForSelector('#step-challenged:not([hidden])');
  }],
  ['check', 'check.html', async (page) => {
    await page.click('#audit summary');
    await page.waitForSelector('#audit-form:not([hidden])');
  }],
  ['results', 'results.html', async () => {}],
];

for (const lang of ['uk', 'ru', 'en']) {
  test(`axe-core finds nothing serious on any page in ${lang}`, async () => {
    const found = [];
    for (const width of WIDTHS) {
      let page = null;
      for (const [name, file, prepare] of SCREENS_OF) {
        if (!page || !page.url().includes(file)) {
          await page?.close();
          page = await openPage(context, `${BASE}/booth/${file}?lang=${lang}`, { viewport: { width, height: 740 } });
        }
        await prepare(page);
        if (width === WIDTHS[0]) for (const p of await axeProblems(page)) found.push(`${name}: ${p}`);
        if (SCREENS) await page.screenshot({ path: join(SCREENS, `${name}-${lang}-${width}.png`), fullPage: true });
        assert.deepEqual(page.problems, [], `${name}`);
      }
      await page.close();
    }
    assert.deepEqual(found, []);
  });
}
