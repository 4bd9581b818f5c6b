// The check page against the live board (tests/booth/test_browser.py runs this after voting.test.mjs, on the same
// election): a receipt checked again after the board has grown — a newer signed head, a consistency proof, the ballot
// still at its index — a lookup by tracking code alone, and a board that lies (answers rewritten in transit with
// page.route): the alarm in the voter's language and the evidence file, which the pytest side re-checks in Python.
//
// Environment: BOOTH_URL, BOOTH_CREDENTIALS, BOOTH_OUT (voting.test.mjs's downloads: receipt-1.json and
// final-choices.json). Evidence files are written there as evidence-*.json.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, openPage, ROOT, screenshot } from './browser.mjs';

// Only to play a board that switched keys: heads signed with a key the test holds.
const { ed25519 } = await import(join(ROOT, 'src/plebiscite/booth/static/vendor/noble-curves/ed25519.js'));
const { treeHeadSigningBytes } = await import(join(ROOT, 'src/plebiscite/booth/static/js/merkle.js'));

const BASE = process.env.BOOTH_URL;
const CREDENTIALS = JSON.parse(process.env.BOOTH_CREDENTIALS ?? '[]');
const OUT = process.env.BOOTH_OUT;
const check = `${BASE}/booth/check.html`;
const read = (name) => JSON.parse(readFileSync(join(OUT, name), 'utf8'));
// The log id computed here with node's own SHA-256, not the booth's code under test.
const grouped = (keyHex) => keyHex.match(/.{4}/g).join(' ');
const logId = (keyHex) => createHash('sha256').update(Buffer.from(keyHex, 'hex')).digest('hex');

let context;
let close;
let receiptPath;
before(async () => {
  assert.ok(BASE && CREDENTIALS.length && OUT, 'BOOTH_URL, BOOTH_CREDENTIALS and BOOTH_OUT are needed');
  ({ context, close } = await launch());
});
after(async () => close?.());

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors, CSP violations or failed requests');
}

/** Cast voter 0's final choices again (a revote with the same choices leaves the result as voting.test.mjs expects). */
async function castAgain(page, selections) {
  for (const input of await page.$$('#questions input[type=checkbox]')) if (await input.isChecked()) await input.uncheck();
  for (const [q, options] of Object.entries(selections)) for (const o of options) await page.check(`#q-${q}-${o}`);
  await page.click('#ballot-form button[type=submit]');
  await page.waitForSelector('#step-review:not([hidden])');
  await page.click('#cast');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
}

async function loadReceipt(page, path) {
  await page.setInputFiles('#receipt-file', path);
  await page.click('#receipt-form button[type=submit]');
  await page.waitForSelector('#checks li');
  assert.equal(await page.locator('#checks li.ok').count(), 3, await page.textContent('#checks'));
}

/** Click "check against the board" and wait for its outcome: four passed checks, or a failed one. */
async function live(page) {
  await page.click('#live');
  await page.waitForSelector('#live-checks li:nth-child(4), #live-checks li.bad, #error:not([hidden])');
  return { ok: await page.locator('#live-checks li.ok').count(), bad: await page.locator('#live-checks li.bad').count() };
}

const boardHead = (page) => page.evaluate(async () => (await fetch('/api/board/head')).json());

test('a receipt checks out against a newer head once the board has grown', async () => {
  const selections = read('final-choices.json')[0];
  const booth = await openPage(context, `${BASE}/booth/index.html?lang=en`);
  await booth.setInputFiles('#credential-file', CREDENTIALS[0]);
  await booth.click('#credential-form button[type=submit]');
  await booth.waitForSelector('#step-ballot:not([hidden])');
  await castAgain(booth, selections);
  const [download] = await Promise.all([booth.waitForEvent('download'), booth.click('#download-receipt')]);
  receiptPath = join(OUT, 'receipt-check.json');
  await download.saveAs(receiptPath);
  const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));

  // another ballot after this receipt, so the board's latest head is strictly newer than the receipt's
  await booth.click('#revote');
  await booth.waitForSelector('#step-ballot:not([hidden])');
  await castAgain(booth, selections);
  const latest = await boardHead(booth);
  assert.ok(latest.tree_size > receipt.tree_head.tree_size, `board did not grow: ${latest.tree_size}`);
  clean(booth);
  await booth.close();

  const page = await openPage(context, `${check}?lang=en`);
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url()).pathname + new URL(r.url()).search));
  await loadReceipt(page, receiptPath);
  assert.deepEqual(await live(page), { ok: 4, bad: 0 });
  const m = receipt.tree_head.tree_size;
  const consistency = asked.find((u) => u.startsWith(`/api/board/consistency?first=${m}&second=`));
  assert.ok(consistency, `no consistency proof was asked for: ${asked.join(' ')}`);
  const n = Number(new URLSearchParams(consistency.split('?')[1]).get('second'));
  assert.ok(n > m);
  assert.ok(asked.includes(`/api/board/inclusion?index=${receipt.index}&size=${n}`), asked.join(' '));
  const text = await page.textContent('#live-checks');
  assert.match(text, new RegExp(`log of ${n} entries extends the ${m} entries of your receipt`));
  assert.match(text, new RegExp(`still entry ${receipt.index} of ${n}\\b`));
  assert.equal(await page.isHidden('#alarm'), true);
  await screenshot(page, 'check-live-consistent');
  await page.click('button[data-lang=uk]');
  await screenshot(page, 'check-live-consistent-uk');
  clean(page);
  await page.close();
});

test('a lookup by tracking code alone checks the signature with the board key and shows the key', async () => {
  const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
  const page = await openPage(context, `${check}?lang=en`);
  await page.fill('#lookup-code', receipt.tracking_code);
  await page.click('#lookup-form button[type=submit]');
  await page.waitForSelector('#lookup li');
  assert.match(await page.textContent('#lookup li.ok'), /the board’s signature and the proof that it is there are correct/);
  assert.equal(await page.textContent('#board-key'), grouped(receipt.board_key));
  await screenshot(page, 'check-lookup-key');
  // a board presenting another key: its heads do not verify under it, and the voter is told so
  await page.route(/\/api\/board\/key$/, (route) => route.fulfill({ json: { public_key: '11'.repeat(32) } }));
  await page.click('#lookup-form button[type=submit]');
  await page.waitForSelector('#lookup li.bad');
  assert.match(await page.textContent('#lookup li.bad'), /FAILED: the tree head belongs to another board/);
  await page.unroute(/\/api\/board\/key$/);
  clean(page);
  await page.close();
});

test('a board that rewrites its history: an alarm in the voter language, and the evidence to download', async () => {
  const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
  const older = read('receipt-1.json').tree_head; // genuinely signed by the board, and smaller
  assert.ok(older.tree_size < receipt.tree_head.tree_size);
  const page = await openPage(context, `${check}?lang=uk`);
  await loadReceipt(page, receiptPath);
  const evidence = async (name) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-evidence')]);
    await download.saveAs(join(OUT, name));
    const e = read(name);
    assert.deepEqual(Object.keys(e).sort(), ['first', 'proof', 'reason', 'second']);
    assert.deepEqual(e.first, receipt.tree_head);
    return e;
  };

  // 1. the consistency proof is altered: the latest head no longer provably extends the receipt's
  const consistency = /\/api\/board\/consistency\?/;
  await page.route(consistency, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.proof[0] = (body.proof[0][0] === '0' ? '1' : '0') + body.proof[0].slice(1);
    await route.fulfill({ response, json: body });
  });
  assert.deepEqual(await live(page), { ok: 2, bad: 1 });
  await page.waitForSelector('#alarm:not([hidden])');
  assert.match(await page.textContent('#alarm h2'), /дошка переписала свою історію — збережіть квитанцію, вона є доказом/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'alarm-title', 'focus goes to the alarm');
  await screenshot(page, 'check-alarm-inconsistent-uk');
  const inconsistent = await evidence('evidence-inconsistent.json');
  assert.ok(inconsistent.second.tree_size > receipt.tree_head.tree_size);
  // which root fails to come out depends on the two sizes (when the first is a power of two, only the second can)
  assert.match(inconsistent.reason, /does not reproduce the (first|second) root/);
  await page.unroute(consistency);

  // 2. the latest head is an older one the board really signed: the board went back on its receipt
  await page.click('button[data-lang=ru]');
  await page.route(/\/api\/board\/head$/, (route) => route.fulfill({ json: older }));
  assert.deepEqual(await live(page), { ok: 2, bad: 1 });
  assert.match(await page.textContent('#alarm h2'), /доска переписала свою историю — сохраните квитанцию/);
  assert.match(await page.textContent('#alarm'), new RegExp(`содержит ${older.tree_size} записей — меньше, чем ${receipt.tree_head.tree_size}`));
  await screenshot(page, 'check-alarm-shrank-ru');
  const shrank = await evidence('evidence-shrank.json');
  assert.deepEqual(shrank.second, older);
  assert.deepEqual(shrank.proof, []);
  await page.unroute(/\/api\/board\/head$/);

  // 3. a latest head altered after signing: alarming, but it proves nothing about the board — no evidence offered
  await page.click('button[data-lang=en]');
  await page.route(/\/api\/board\/head$/, async (route) => {
    const response = await route.fetch();
    const head = await response.json();
    await route.fulfill({ response, json: { ...head, tree_size: head.tree_size + 1 } });
  });
  assert.deepEqual(await live(page), { ok: 1, bad: 1 });
  assert.match(await page.textContent('#alarm h2'), /the board’s answer could not be verified — keep your receipt/);
  assert.equal(await page.locator('#download-evidence').count(), 0);
  await page.unroute(/\/api\/board\/head$/);

  // 4. another key than the receipt's: a loud warning, nothing else trusted
  const seed = new Uint8Array(32).fill(0x22);
  const otherKey = Buffer.from(ed25519.getPublicKey(seed)).toString('hex');
  await page.route(/\/api\/board\/key$/, (route) => route.fulfill({ json: { public_key: otherKey } }));
  assert.deepEqual(await live(page), { ok: 0, bad: 1 });
  assert.match(await page.textContent('#alarm h2'), /the board now uses another key than the one that signed your receipt/);
  assert.match(await page.textContent('#alarm'), new RegExp(`signed with board key ${grouped(receipt.board_key)}, the board now presents key ${grouped(otherKey)}`));
  assert.equal(await page.locator('#download-evidence').count(), 0);
  await screenshot(page, 'check-alarm-key');
  // ... and a lookup that the new key signs consistently is still flagged, since a receipt is loaded
  const inclusion = /\/api\/board\/inclusion\?tracking_code=/;
  await page.route(inclusion, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    const head = { ...body.tree_head, log_id: logId(otherKey) };
    head.signature = Buffer.from(ed25519.sign(treeHeadSigningBytes(head), seed)).toString('hex');
    await route.fulfill({ response, json: { ...body, tree_head: head } });
  });
  await page.click('#lookup-form button[type=submit]');
  await page.waitForSelector('#lookup li.ok');
  assert.equal(await page.textContent('#board-key'), grouped(otherKey));
  await page.waitForSelector('#alarm:not([hidden])');
  assert.match(await page.textContent('#alarm h2'), /the board now uses another key/);
  await page.unroute(inclusion);
  await page.unroute(/\/api\/board\/key$/);

  // the honest board again: the alarm goes away
  assert.deepEqual(await live(page), { ok: 4, bad: 0 });
  assert.equal(await page.isHidden('#alarm'), true);
  clean(page);
  await page.close();
});
