// Never lose a receipt (issue 18, docs/booth.md §1b), in headless Chromium against the live board: a reload at
// every step keeps or explains the state; a reload mid-cast finds the ballot on the board and shows its receipt; a
// reload after casting shows the receipt again until it is saved; the short code finds the ballot on the check
// page; a connection cut at the moment of casting ends in exactly one ballot on the board and a receipt for it.
// Runs after voting.test.mjs with the last credential (index 5) and adds its final choice to final-choices.json.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { axeProblems, launch, openPage, screenshot } from './browser.mjs';

const BASE = process.env.BOOTH_URL;
const CREDENTIALS = JSON.parse(process.env.BOOTH_CREDENTIALS ?? '[]');
const OUT = process.env.BOOTH_OUT;
const VOTER = 5;
const booth = `${BASE}/booth/index.html?lang=en`;
const SHORT = /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/;

let context;
let close;
let page;
const dialogs = [];
before(async () => {
  assert.ok(BASE && CREDENTIALS.length > VOTER && OUT, 'BOOTH_URL, BOOTH_CREDENTIALS (6+) and BOOTH_OUT are needed');
  ({ context, close } = await launch());
  page = await openPage(context, booth, { allowFailed: [/\/api\/ballots$/] });
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    d.accept();
  });
});
after(async () => {
  await close?.();
});

const size = () => page.evaluate(async () => (await (await fetch('/api/board/head')).json()).tree_size);
const onBoard = (code) => page.evaluate(async (c) => (await fetch(`/api/board/inclusion?tracking_code=${c}`)).status, code);
const kept = () => page.evaluate(() => Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k).length]));

/** Post the intercepted ballot to the board as the page would have. */
async function postAsThePage(route) {
  const sent = await fetch(`${BASE}/api/ballots`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: route.request().postData() });
  assert.equal(sent.status, 200);
}

async function reload() {
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
}

async function load() {
  await page.setInputFiles('#credential-file', CREDENTIALS[VOTER]);
  await page.click('#credential-form button[type=submit]');
  await page.waitForSelector('#step-ballot:not([hidden])');
}

async function encrypt(selections) {
  for (const [q, options] of Object.entries(selections)) for (const o of options) await page.check(`#q-${q}-${o}`);
  await page.click('#ballot-form button[type=submit]');
  await page.waitForSelector('#step-review:not([hidden])');
  return (await page.textContent('#tracking-code')).trim();
}

async function nothingCastSaysSo() {
  assert.equal(await page.isVisible('#reloaded'), true, 'a reload is explained');
  assert.match(await page.textContent('#reloaded'), /No ballot was being sent/);
  assert.equal(await page.isVisible('#step-credential'), true);
}

const FIRST = { q1: ['no'], q2: ['uk'], q3: ['roads'] };
const LAST = { q1: ['yes'], q2: ['local'], q3: ['schools'] };
let cast = null; // {code, short}

test('a reload before casting keeps nothing, casts nothing, and says so', async () => {
  const start = await size();
  await reload();
  await nothingCastSaysSo();
  await load();
  await reload();
  await nothingCastSaysSo();
  await load();
  const code = await encrypt(FIRST);
  await reload();
  await nothingCastSaysSo();
  assert.equal(await onBoard(code), 404);
  assert.equal(await size(), start);
  assert.deepEqual(await kept(), [], 'no credential, choice or ballot kept before casting');
  assert.deepEqual(dialogs, [], 'no warning while there is nothing to lose');
});

test('a reload mid-cast finds the ballot on the board and shows its receipt', async () => {
  const start = await size();
  await load();
  const code = await encrypt(FIRST);
  let calls = 0;
  await page.route('**/api/ballots', async (route) => {
    calls += 1;
    if (calls > 1) return route.continue();
    await postAsThePage(route); // the board records the ballot; its answer never reaches the page
    return new Promise(() => {}); // …which is reloaded while it waits
  });
  await page.click('#cast');
  for (let i = 0; i < 100 && (await onBoard(code)) !== 200; i++) await page.waitForTimeout(50);
  assert.equal(await onBoard(code), 200);
  assert.deepEqual((await kept()).map(([k]) => k), ['plebiscite.booth'], 'the ballot being sent is kept');
  await reload();
  assert.deepEqual(dialogs, ['beforeunload'], 'leaving mid-cast is warned about');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.match(await page.textContent('#cast-note'), /reached the board/);
  const receipt = JSON.parse(await page.textContent('#receipt-json'));
  assert.equal(receipt.tracking_code, code);
  assert.equal(await size(), start + 1, 'exactly one ballot: posting it again did not add another');
  assert.equal(calls, 2, 'posted again once, for the receipt');
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  cast = { code, short: (await page.textContent('#short-code')).trim() };
  assert.match(cast.short, SHORT);
  assert.deepEqual(await axeProblems(page), [], 'the cast step passes axe-core');
  await screenshot(page, 'keep-resumed');
});

test('a reload after casting shows the receipt again until it is saved; then nothing is kept', async () => {
  dialogs.length = 0;
  const [[, stored]] = await kept();
  assert.equal(stored % 8192, 0, 'the kept entry is padded: its size does not follow the board position');
  await reload();
  assert.deepEqual(dialogs, ['beforeunload'], 'leaving an unsaved receipt is warned about');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.match(await page.textContent('#cast-note'), /This is the receipt of the ballot you cast/);
  assert.equal(JSON.parse(await page.textContent('#receipt-json')).tracking_code, cast.code);
  assert.equal((await page.textContent('#short-code')).trim(), cast.short);
  await page.check('#receipt-written');
  assert.match(await page.textContent('#keep-state'), /Receipt saved/);
  assert.deepEqual(await kept(), []);
  dialogs.length = 0;
  await reload();
  assert.deepEqual(dialogs, [], 'nothing unsaved, no warning');
  await nothingCastSaysSo();
});

test('the short code finds the ballot on the check page; a mistyped one is refused by its checksum', async () => {
  const check = await openPage(context, `${BASE}/booth/check.html?lang=en&code=${cast.short}`);
  await check.waitForSelector('#lookup li');
  assert.equal(await check.locator('#lookup li.ok').count(), 1, await check.textContent('#lookup'));
  assert.match(await check.textContent("#lookup li.ok"), new RegExp(`Ballot ${cast.short} is on the board`));
  const key = await check.evaluate(async () => (await (await fetch('/api/board/key')).json()).public_key);
  assert.equal(await check.textContent('#board-key'), key.match(/.{4}/g).join(' '));
  // typed by hand: lower case, spaces instead of dashes
  await check.fill('#lookup-code', cast.short.toLowerCase().replaceAll('-', ' '));
  await check.click('#lookup-form button[type=submit]');
  await check.waitForSelector('#lookup li.ok');
  const typo = cast.short.slice(0, 5) + (cast.short[5] === 'A' ? 'B' : 'A') + cast.short.slice(6);
  await check.fill('#lookup-code', typo);
  await check.click('#lookup-form button[type=submit]');
  await check.waitForSelector('#lookup li.bad');
  assert.match(await check.textContent('#lookup li.bad'), /has a mistake in it/);
  await screenshot(check, 'check-short-code');
  assert.deepEqual(check.problems, []);
  await check.close();
});

test('the check page opens a challenged ballot in the browser: matches; a tampered opening or a malleated signature (s + ℓ) does not', async () => {
  const expected = JSON.parse(readFileSync(join(OUT, 'challenge-expected.json'), 'utf8')).choices;
  const opening = JSON.parse(readFileSync(join(OUT, 'challenge-opening.json'), 'utf8'));
  const check = await openPage(context, `${BASE}/booth/check.html?lang=en`);
  await check.click('#audit summary');
  await check.waitForSelector('#audit-form:not([hidden])');
  await check.setInputFiles('#audit-ballot', join(OUT, 'challenge-ballot.json'));
  await check.setInputFiles('#audit-opening', join(OUT, 'challenge-opening.json'));
  const compare = async (choices) => {
    for (const [q, options] of Object.entries(choices)) for (const o of options) await check.check(`#a-${q}-${o}`);
    await check.click('#audit-form button[type=submit]');
    await check.waitForSelector('#audit-verdict:not([hidden])');
    return [await check.getAttribute('#audit-verdict', 'class'), await check.textContent('#audit-verdict')];
  };
  let [verdict, text] = await compare(expected);
  assert.equal(verdict, 'verdict ok', text);
  assert.match(text, /^Matches/);
  const cells = await check.locator('#audit-table tbody tr').evaluateAll((rows) => rows.map((r) => r.cells[1].textContent === r.cells[2].textContent));
  assert.deepEqual(cells, [true, true, true]);
  // the voter remembers choosing otherwise: does not match
  [verdict, text] = await compare({ q1: [expected.q1[0] === 'yes' ? 'no' : 'yes'] });
  assert.equal(verdict, 'verdict bad');
  assert.match(text, /does NOT match — your device may be compromised, do not vote on it/i);
  await compare(expected);
  // an opening whose values were altered (every value of the first question flipped) no longer opens the ballot
  const tampered = structuredClone(opening);
  tampered.plaintexts[0] = tampered.plaintexts[0].map((m) => 1 - m);
  const tamperedPath = join(OUT, 'challenge-opening-tampered.json');
  writeFileSync(tamperedPath, JSON.stringify(tampered));
  await check.setInputFiles('#audit-opening', tamperedPath);
  [verdict, text] = await compare({});
  assert.equal(verdict, 'verdict bad');
  assert.match(text, /does NOT match.*not a valid ballot of this election and its opening/is);
  await screenshot(check, 'check-audit-mismatch');
  // the ballot's signature with s + ℓ (the same scalar mod ℓ, not its one encoding) is not the ballot's signature
  const ballot = JSON.parse(readFileSync(join(OUT, 'challenge-ballot.json'), 'utf8'));
  const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (hexText) => BigInt(`0x${hexText.match(/../g).reverse().join('')}`);
  const sPlusL = (le(ballot.signature.slice(64)) + ORDER).toString(16).padStart(64, '0').match(/../g).reverse().join('');
  const malleated = { ...ballot, signature: ballot.signature.slice(0, 64) + sPlusL };
  const malleatedPath = join(OUT, 'challenge-ballot-malleated.json');
  writeFileSync(malleatedPath, JSON.stringify(malleated));
  await check.setInputFiles('#audit-opening', join(OUT, 'challenge-opening.json'));
  await check.setInputFiles('#audit-ballot', malleatedPath);
  [verdict, text] = await compare({});
  assert.equal(verdict, 'verdict bad');
  assert.match(text, /does NOT match.*ballot\.signature: s is not a canonical scalar/is);
  assert.deepEqual(await axeProblems(check), [], 'the audit verdict passes axe-core');
  assert.deepEqual(check.problems, []);
  await check.close();
});

test('a connection cut at cast ends in exactly one ballot on the board and a receipt for it', async () => {
  await load(); // after the last reload the page is back at step 1
  const code = await encrypt(LAST);
  const start = await size();
  let calls = 0;
  await page.route('**/api/ballots', async (route) => {
    calls += 1;
    if (calls > 1) return route.continue();
    await postAsThePage(route); // the ballot reaches the board, then the connection drops before the answer
    return route.abort('connectionreset');
  });
  await page.click('#cast');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  assert.match(await page.textContent('#cast-note'), /reached the board/);
  assert.equal(JSON.parse(await page.textContent('#receipt-json')).tracking_code, code);
  assert.equal(calls, 2, 'asked once more, for the receipt');
  assert.equal(await size(), start + 1, 'exactly one ballot');
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-receipt')]);
  assert.equal(JSON.parse(readFileSync(await download.path(), 'utf8')).tracking_code, code);
  assert.deepEqual(await kept(), [], 'a downloaded receipt is no longer kept');
  const finals = JSON.parse(readFileSync(join(OUT, 'final-choices.json'), 'utf8'));
  finals[VOTER] = LAST;
  writeFileSync(join(OUT, 'final-choices.json'), JSON.stringify(finals, null, 2));
  // left out: the ballot posts cut on purpose, and the requests a reload cancels
  assert.deepEqual(page.problems.filter((p) => !/api\/ballots|ERR_ABORTED/.test(p)), []);
});
