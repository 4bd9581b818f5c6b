// The check page (booth/static/js/witness.js) in headless Chromium against two views of one board
// (tests/witness/test_fork_browser.py sets them up): a witnessed receipt on the witnessed view, an unwitnessed one on
// the other, and a receipt made witnessed on view A then checked on view B — a fork the page must raise with an
// evidence file carrying the witnesses' cosignatures (the Python side re-checks it).
//
// Environment: A_URL, B_URL (the two boards), OUT (receipts in, evidence out).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, openPage, screenshot } from '../booth/browser/browser.mjs';

const { A_URL, B_URL, OUT } = process.env;
let context;
let close;
before(async () => {
  assert.ok(A_URL && B_URL && OUT, 'A_URL, B_URL and OUT are needed');
  ({ context, close } = await launch());
});
after(async () => close?.());

async function checkOn(base, receiptFile) {
  const page = await openPage(context, `${base}/booth/check.html?lang=en`, { allowStatus: [/\/api\/board\/witnessed$/] });
  await page.setInputFiles('#receipt-file', join(OUT, receiptFile));
  await page.click('#receipt-form button[type=submit]');
  await page.waitForSelector('#checks li');
  assert.equal(await page.locator('#checks li.ok').count(), 3, await page.textContent('#checks'));
  await page.click('#live');
  await page.waitForSelector('#witnessed, #live-checks li.bad, #alarm:not([hidden]), #error:not([hidden])');
  return page;
}

test('a witnessed receipt on the witnessed view says so', async () => {
  const page = await checkOn(A_URL, 'receipt-a.json');
  assert.match(await page.textContent('#witnessed'), /witnessed by 2 of 2 witnesses/);
  assert.equal(await page.getAttribute('#witnessed', 'class'), 'ok');
  assert.deepEqual(page.problems, []);
  await screenshot(page, 'witness-check-witnessed');
});

test('a receipt on the other view is not witnessed', async () => {
  const page = await checkOn(B_URL, 'receipt-b.json');
  assert.match(await page.textContent('#witnessed'), /not yet witnessed/);
  assert.equal(await page.getAttribute('#witnessed', 'class'), 'info');
});

test('a receipt witnessed on view A, checked on view B: the fork is raised with the cosignatures', async () => {
  const page = await checkOn(B_URL, 'receipt-common-v2.json');
  await page.waitForSelector('#alarm:not([hidden])');
  assert.equal(await page.locator('#live-checks li.bad').count(), 1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-evidence')]);
  await download.saveAs(join(OUT, 'evidence-fork.json'));
  await screenshot(page, 'witness-check-fork');
});
