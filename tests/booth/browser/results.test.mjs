// The results page once the result is published (tests/booth/test_browser.py publishes it, then runs this file):
// every number shown equals GET /api/result, there is a chart per question and the record link works.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, openPage, screenshot } from './browser.mjs';

const BASE = process.env.BOOTH_URL;
let context;
let close;
before(async () => {
  assert.ok(BASE, 'BOOTH_URL is needed');
  ({ context, close } = await launch());
});
after(async () => close?.());

test('results: a chart and a table per question with the published numbers', async () => {
  const page = await openPage(context, `${BASE}/booth/results.html?lang=en`);
  const result = await page.evaluate(async () => (await fetch('/api/result')).json());
  const election = await page.evaluate(async () => (await fetch('/api/election')).json());
  const questions = election.manifest.manifest.questions;
  assert.equal(await page.locator('#results section').count(), result.questions.length);
  assert.equal(await page.locator('#results svg.chart').count(), result.questions.length);
  assert.match(await page.textContent('#summary'), new RegExp(`Ballots counted: ${result.ballots}\\b`));
  for (const [i, q] of result.questions.entries()) {
    const mq = questions.find((x) => x.id === q.id);
    const rows = await page.locator(`#results section:nth-of-type(${i + 1}) tbody tr`).evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('th').textContent, Number(tr.querySelector('td').textContent)]));
    const expected = Object.entries(q.counts).map(([id, n]) => [mq.options.find((o) => o.id === id).label.en, n]);
    if ('blank' in q) expected.push(['None of these', q.blank]);
    assert.deepEqual(rows, expected);
  }
  await screenshot(page, 'results-published');
  await page.click('button[data-lang=uk]');
  assert.match(await page.textContent('#summary'), /Враховано бюлетенів/);
  // shares by locale (Intl): a decimal comma in Ukrainian, a point in English
  assert.match(await page.textContent('#results td:nth-child(3)'), /^\d+,\d\s?%$/);
  await screenshot(page, 'results-published-uk');
  const link = await page.getAttribute('#record-link', 'href');
  const status = await page.evaluate(async (href) => {
    const r = await fetch(href);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return [r.status, bytes[0], bytes[1]];
  }, link);
  assert.deepEqual(status, [200, 0x50, 0x4b], 'the record downloads as a zip');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('after the close the booth says voting is not open and offers no way to cast', async () => {
  const page = await openPage(context, `${BASE}/booth/index.html?lang=uk`);
  await page.waitForSelector('#closed:not([hidden])');
  assert.match(await page.textContent('#closed'), /Голосування зараз не відкрите/);
  assert.equal(await page.isHidden('#step-credential'), true);
  assert.equal(await page.isDisabled('#credential-form button[type=submit]'), true);
  await screenshot(page, 'booth-closed');
  assert.deepEqual(page.problems, []);
  await page.close();
});
