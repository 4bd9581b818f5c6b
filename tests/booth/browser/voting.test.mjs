// The booth in headless Chromium against a live board (tests/booth/test_browser.py starts it and runs this file).
// The tests run in order and share one election: cast, challenge then cast, revote, bad input, keyboard only,
// small screens. Every page must run without a console error, CSP violation or failed request.
//
// Environment: BOOTH_URL (http://127.0.0.1:PORT), BOOTH_CREDENTIALS (JSON list of credential file paths),
// BOOTH_OUT (a directory for downloads and final-choices.json, read back by the pytest side).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, openPage, ROOT, screenshot } from './browser.mjs';

const BASE = process.env.BOOTH_URL;
const CREDENTIALS = JSON.parse(process.env.BOOTH_CREDENTIALS ?? '[]');
const OUT = process.env.BOOTH_OUT;
const booth = `${BASE}/booth/index.html`;
const credential = (i) => JSON.parse(readFileSync(CREDENTIALS[i], 'utf8'));
const finalChoices = {};
const { codeFromSeed, seedFromCode } = await import(join(ROOT, 'src/plebiscite/booth/static/js/credential.js'));
const { hex } = await import(join(ROOT, 'src/plebiscite/booth/static/js/bytes.js'));

/** Everything the page sends (URLs and bodies), to show that a credential's secret never leaves the browser. */
function watchRequests(page) {
  const sent = [];
  page.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''}`));
  return sent;
}

function assertSecretNotSent(sent, i) {
  const code = credential(i).code;
  const secrets = [code, code.replaceAll('-', ''), hex(seedFromCode(code))];
  assert.ok(sent.some((line) => line.includes('/api/ballots') || line.includes('/api/challenges')), 'nothing was sent');
  for (const line of sent) {
    for (const secret of secrets) assert.ok(!line.toLowerCase().includes(secret.toLowerCase()), `the credential left the browser: ${line.slice(0, 80)}`);
  }
}

let context;
let close;
before(async () => {
  assert.ok(BASE && CREDENTIALS.length >= 5 && OUT, 'BOOTH_URL, BOOTH_CREDENTIALS (5+) and BOOTH_OUT are needed');
  ({ context, close } = await launch());
});
after(async () => {
  writeFileSync(join(OUT, 'final-choices.json'), JSON.stringify(finalChoices, null, 2));
  await close?.();
});

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors, CSP violations or failed requests');
}

async function useCredentialFile(page, i) {
  await page.setInputFiles('#credential-file', CREDENTIALS[i]);
  await page.click('#credential-form button[type=submit]');
  await page.waitForSelector('#step-ballot:not([hidden])');
}

async function useCode(page, code) {
  await page.fill('#credential-code', code);
  await page.click('#credential-form button[type=submit]');
}

async function choose(page, selections) {
  // radios are replaced by checking another one; checkboxes are cleared first
  for (const input of await page.$$('#questions input[type=checkbox]')) if (await input.isChecked()) await input.uncheck();
  for (const [q, options] of Object.entries(selections)) for (const o of options) await page.check(`#q-${q}-${o}`);
}

async function encrypt(page) {
  await page.click('#ballot-form button[type=submit]');
  await page.waitForSelector('#step-review:not([hidden])');
  return (await page.textContent('#tracking-code')).trim();
}

async function castAndWait(page) {
  await page.click('#cast');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
}

async function errorText(page) {
  await page.waitForSelector('#error:not([hidden])');
  return (await page.textContent('#error')).trim();
}

async function onBoard(page, code) {
  return page.evaluate(async (c) => (await fetch(`/api/board/inclusion?tracking_code=${c}`)).status, code);
}

test('every page loads under the CSP with every script pinned, and offers three languages', async () => {
  for (const name of ['index', 'check', 'results']) {
    const page = await openPage(context, `${BASE}/booth/${name}.html?lang=en`);
    const response = await page.goto(`${BASE}/booth/${name}.html?lang=en`);
    const csp = response.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.evaluate(() => document.querySelectorAll('link[rel=modulepreload][integrity]').length >= 3), true);
    for (const lang of ['uk', 'ru', 'en']) {
      await page.click(`button[data-lang=${lang}]`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await page.getAttribute(`button[data-lang=${lang}]`, 'aria-pressed'), 'true');
    }
    await page.click('button[data-lang=uk]');
    await screenshot(page, `${name}-uk`);
    await page.click('button[data-lang=en]');
    await screenshot(page, name);
    clean(page);
    await page.close();
  }
});

test('subresource integrity: a module altered in transit, even deep in the import graph, is refused', async () => {
  for (const target of ['js/manifest.js', 'vendor/noble-hashes/sha2.js', 'js/page-booth.js']) {
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => errors.push(m.text()));
    await page.route(`**/booth/${target}`, async (route) => {
      const original = await route.fetch();
      await route.fulfill({ response: original, body: (await original.text()) + '\n// altered\n' });
    });
    await page.goto(`${booth}?lang=en`);
    await page.waitForTimeout(1500);
    assert.ok(errors.some((e) => /integrity/i.test(e)), `${target}: no integrity error in ${JSON.stringify(errors)}`);
    assert.equal(await page.isHidden('#step-credential'), true, `${target}: the booth must not start`);
    await page.close();
  }
});

test('cast with a credential file; the receipt is downloaded and checks out on the check page', async () => {
  const page = await openPage(context, `${booth}?lang=en`);
  const sent = watchRequests(page);
  await screenshot(page, 'booth-1-credential');
  await useCredentialFile(page, 0);
  assert.match(await page.textContent('#status'), /Credential accepted/);
  assert.equal(await page.inputValue('#credential-code'), '');
  const selections = { q1: ['yes'], q2: ['uk'], q3: ['schools', 'roads'] };
  await choose(page, selections);
  await screenshot(page, 'booth-2-ballot');
  const code = await encrypt(page);
  assert.match(code, /^[0-9a-f]{64}$/);
  await screenshot(page, 'booth-3-review');
  await castAndWait(page);
  assert.match(await page.textContent('#cast-done'), /receipt was checked in this browser/);
  await screenshot(page, 'booth-4-cast');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-receipt')]);
  const receiptPath = join(OUT, 'receipt-1.json');
  await download.saveAs(receiptPath);
  const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
  assert.equal(receipt.tracking_code, code);
  assert.equal(await onBoard(page, code), 200);
  assertSecretNotSent(sent, 0);
  clean(page);
  finalChoices[0] = selections;

  const check = await openPage(context, `${BASE}/booth/check.html?lang=en`);
  await check.setInputFiles('#receipt-file', receiptPath);
  await check.click('#receipt-form button[type=submit]');
  await check.waitForSelector('#checks li');
  assert.equal(await check.locator('#checks li.ok').count(), 3);
  assert.equal(await check.locator('#checks li.bad').count(), 0);
  // against the live board right away: same key, a signed latest head that extends the receipt's, still included
  await check.click('#live');
  await check.waitForSelector('#live-checks li:nth-child(4), #live-checks li.bad');
  assert.equal(await check.locator('#live-checks li.ok').count(), 4, await check.textContent('#live-checks'));
  assert.equal(await check.isHidden('#alarm'), true);
  await check.click('#lookup-form button[type=submit]');
  await check.waitForSelector('#lookup li.ok');
  assert.equal(await check.textContent('#board-key'), receipt.board_key.match(/.{4}/g).join(' '), 'the key as the operator publishes it, in groups');
  await screenshot(check, 'check-receipt');
  // a receipt whose tree head was altered must fail, visibly
  const forged = structuredClone(receipt);
  forged.tree_head.tree_size += 1;
  await check.setInputFiles('#receipt-file', []);
  await check.fill('#receipt-text', JSON.stringify(forged));
  await check.click('#receipt-form button[type=submit]');
  await check.waitForSelector('#checks li.bad');
  assert.match(await check.textContent('#checks li.bad'), /FAILED.*signature/);
  await screenshot(check, 'check-receipt-forged');
  clean(check);
  await check.close();
  await page.close();
});

test('challenge (Benaloh): the board opens the ballot, it is discarded, the voter casts a new one', async () => {
  const page = await openPage(context, `${booth}?lang=en`);
  const sent = watchRequests(page);
  await useCode(page, credential(1).code);
  await page.waitForSelector('#step-ballot:not([hidden])');
  const selections = { q1: ['no'], q2: ['blank'], q3: ['clinics'] };
  await choose(page, selections);
  const challenged = await encrypt(page);
  await page.click('#challenge');
  await page.waitForSelector('#step-challenged:not([hidden])');
  assert.equal(await page.getAttribute('#challenge-verdict', 'class'), 'verdict ok');
  // what the voter chose beside what the ballot contains, question by question
  const shown = await page.locator('#challenge-result tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].slice(1).map((c) => c.textContent)));
  assert.deepEqual(shown, [['No', 'No'], ['None of these (no answer to this question)', 'None of these (no answer to this question)'], ['Clinics', 'Clinics']]);
  assert.match(await page.textContent('#challenge-verdict'), /^Matches/);
  assert.match(await page.textContent('#step-challenged .hint'), /check-challenge record\.zip ballot\.json opening\.json/);
  await screenshot(page, 'booth-5-challenged');
  for (const [button, file] of [['#download-ballot', 'challenge-ballot.json'], ['#download-opening', 'challenge-opening.json']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    await download.saveAs(join(OUT, file));
  }
  writeFileSync(join(OUT, 'challenge-expected.json'), JSON.stringify({ tracking_code: challenged, choices: selections }));
  assert.equal(await onBoard(page, challenged), 404, 'a challenged ballot is not a cast ballot');
  await page.click('#restart');
  await page.waitForSelector('#step-ballot:not([hidden])');
  assert.equal(await page.isChecked('#q-q2-blank'), true, 'the choices are kept for the new ballot');
  const fresh = await encrypt(page);
  assert.notEqual(fresh, challenged, 'fresh randomness, new tracking code');
  await castAndWait(page);
  assert.equal(await onBoard(page, fresh), 200);
  assertSecretNotSent(sent, 1);
  finalChoices[1] = selections;
  clean(page);
  await page.close();
});

test('revote: a second cast ballot with the same credential', async () => {
  const page = await openPage(context, `${booth}?lang=en`);
  await useCredentialFile(page, 0);
  const selections = { q1: ['no'], q2: ['local'], q3: ['clinics', 'schools'] };
  await choose(page, selections);
  await encrypt(page);
  await castAndWait(page);
  // and once more from the cast page ("Vote again"): only the last one counts
  await page.click('#revote');
  await page.waitForSelector('#step-ballot:not([hidden])');
  const last = { q1: ['yes'], q2: ['bi'], q3: ['roads'] };
  await choose(page, last);
  await encrypt(page);
  await castAndWait(page);
  finalChoices[0] = last;
  clean(page);
  await page.close();
});

test('bad input: a clear message in the voter language and nothing cast', async () => {
  const page = await openPage(context, `${booth}?lang=uk`);
  assert.equal(await page.getAttribute('html', 'lang'), 'uk');
  const code = credential(3).code;
  const typo = code.slice(0, 7) + (code[7] === 'Q' ? 'R' : 'Q') + code.slice(8);
  await useCode(page, typo);
  assert.match(await errorText(page), /контрольна сума не збігається/);
  await useCode(page, code.slice(0, 20));
  assert.match(await errorText(page), /55 літер/);
  const stranger = codeFromSeed(crypto.getRandomValues(new Uint8Array(32)));
  await useCode(page, stranger);
  assert.match(await errorText(page), /немає у списку виборців/);
  const other = join(OUT, 'other-election.json');
  writeFileSync(other, JSON.stringify({ ...credential(3), election_id: 'another-election' }));
  await page.setInputFiles('#credential-file', other);
  await page.click('#credential-form button[type=submit]');
  assert.match(await errorText(page), /для інших виборів/);
  await screenshot(page, 'booth-error-credential');
  await page.setInputFiles('#credential-file', []);
  await page.click('button[data-lang=ru]');
  await useCode(page, code);
  await page.waitForSelector('#step-ballot:not([hidden])');
  // beyond the limits: three of a choose-at-most-two question, and nothing for a yes/no question
  await choose(page, { q2: ['uk'], q3: ['schools', 'roads', 'clinics'] });
  await page.click('#ballot-form button[type=submit]');
  assert.match(await errorText(page), /Бюллетень не зашифрован/);
  assert.match(await page.textContent('#q-q3-error'), /от 1 до 2/);
  assert.match(await page.textContent('#q-q1-error'), /ровно 1/);
  assert.equal(await page.evaluate(() => document.activeElement.name), 'q-q1', 'focus goes to the first problem');
  assert.equal(await page.isHidden('#step-review'), true);
  await screenshot(page, 'booth-error-limits');
  const selections = { q1: ['yes'], q2: ['uk'], q3: ['roads'] };
  await choose(page, selections);
  const tracking = await encrypt(page);
  // the server is down: message, nothing cast
  await page.route('**/api/ballots', (route) => route.abort('connectionrefused'));
  await page.click('#cast');
  assert.match(await errorText(page), /Сервер не отвечает. Ничего не подано/);
  assert.equal(await page.isVisible('#step-review'), true);
  await page.unroute('**/api/ballots');
  // the server fails: message, nothing cast
  await page.route('**/api/ballots', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"detail": "boom"}' }));
  await page.click('#cast');
  assert.match(await errorText(page), /Ошибка сервера \(500\)/);
  await page.unroute('**/api/ballots');
  assert.equal(await onBoard(page, tracking), 404);
  await screenshot(page, 'booth-error-server');
  // the same ballot, retried once the server is back, is cast
  await castAndWait(page);
  assert.equal(await onBoard(page, tracking), 200);
  finalChoices[3] = selections;
  clean({ problems: page.problems.filter((p) => !/api\/ballots|status of 500/.test(p)) });
  await page.close();

  // the roll cannot be fetched: a stranger's credential is refused by the board itself when cast
  const blind = await openPage(context, `${booth}?lang=en`, { allowFailed: [/\/api\/roll/] });
  await blind.route('**/api/roll', (route) => route.abort('connectionrefused'));
  await useCode(blind, stranger);
  await blind.waitForSelector('#step-ballot:not([hidden])');
  assert.match(await blind.textContent('#status'), /roll could not be loaded/);
  await choose(blind, selections);
  const refused = await encrypt(blind);
  await blind.click('#cast');
  assert.match(await errorText(blind), /not on the voter roll/);
  assert.equal(await onBoard(blind, refused), 404);
  await blind.close();
});

test('a receipt that does not check out is reported to the voter, not shown as a success', async () => {
  const page = await openPage(context, `${booth}?lang=en`);
  await useCredentialFile(page, 4);
  const selections = { q1: ['no'], q2: ['uk'], q3: ['roads', 'schools'] };
  await choose(page, selections);
  await encrypt(page);
  await page.route('**/api/ballots', async (route) => {
    const response = await route.fetch();
    const receipt = await response.json();
    receipt.inclusion_proof = receipt.inclusion_proof.map(() => '00'.repeat(32));
    await route.fulfill({ response, json: receipt });
  });
  await page.click('#cast');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.match(await errorText(page), /receipt did not check out \(the inclusion proof is wrong/);
  assert.equal((await page.textContent('#cast-done')).trim(), '');
  await screenshot(page, 'booth-receipt-bad');
  finalChoices[4] = selections; // the board did record it: only the receipt was altered on the way
  clean(page);
  await page.close();
});

test('keyboard only: every step is reachable and usable without a pointer', async () => {
  const page = await openPage(context, `${booth}?lang=en`);
  const active = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.name || document.activeElement?.tagName);
  const tabTo = async (id, limit = 40) => {
    for (let i = 0; i < limit; i++) {
      if ((await active()) === id) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached ${id}`);
  };
  // every control has a name a screen reader can announce
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, textarea, a, select')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
    .map((el) => el.id || el.outerHTML.slice(0, 60)));
  assert.deepEqual(unnamed, []);
  await tabTo('credential-code');
  await page.keyboard.type(credential(2).code);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#step-ballot:not([hidden])');
  assert.equal(await active(), 'h-ballot', 'focus moves to the new step');
  const unnamedInputs = await page.evaluate(() => [...document.querySelectorAll('#questions input')].filter((i) => !i.labels.length).length);
  assert.equal(unnamedInputs, 0);
  assert.equal(await page.evaluate(() => [...document.querySelectorAll('#questions fieldset')].every((f) => f.querySelector('legend'))), true);
  // q1: radio group — Tab in, arrow to "no", arrow back to "yes"
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'q-q1-yes');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.isChecked('#q-q1-yes'), true);
  // q2: next radio group; Tab focuses its first radio, one arrow moves to and selects "bi"
  await page.keyboard.press('Tab');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.isChecked('#q-q2-bi'), true);
  // q3: checkboxes, Space toggles
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'q-q3-schools');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  assert.equal(await page.isChecked('#q-q3-schools'), true);
  assert.equal(await page.isChecked('#q-q3-clinics'), true);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#step-review:not([hidden])');
  assert.equal(await active(), 'h-review');
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'cast');
  await screenshot(page, 'booth-keyboard-focus');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.equal(await active(), 'h-cast');
  // the first thing after the heading is keeping the receipt; the technical details come after, behind a disclosure
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'download-receipt');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.match(download.suggestedFilename(), /^receipt-[0-9a-f]{16}\.json$/);
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'receipt-written');
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'SUMMARY');
  await page.keyboard.press('Enter');
  assert.match(await page.textContent('#receipt-json'), /"inclusion_proof"/);
  assert.equal(await page.isVisible('#receipt-json'), true);
  await page.keyboard.press('Tab'); // the receipt box scrolls, so it takes focus (arrow keys scroll it)
  assert.equal(await active(), 'receipt-json');
  finalChoices[2] = { q1: ['yes'], q2: ['bi'], q3: ['schools', 'clinics'] };
  clean(page);
  await page.close();
});

test('phone-sized screen and 200 % zoom: no horizontal scrolling', async () => {
  // 200 % zoom of a 1280×800 window lays out like a 640×400 viewport; 360×740 is a small phone.
  for (const [w, h, label] of [[360, 740, 'phone'], [640, 400, 'zoom200']]) {
    for (const name of ['index', 'check', 'results']) {
      const page = await openPage(context, `${BASE}/booth/${name}.html?lang=uk`, { viewport: { width: w, height: h } });
      if (name === 'index') {
        await useCode(page, credential(4).code);
        await page.waitForSelector('#step-ballot:not([hidden])');
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name} at ${w}px scrolls sideways by ${overflow}px`);
      await screenshot(page, `${name}-${label}`);
      clean(page);
      await page.close();
    }
  }
});
