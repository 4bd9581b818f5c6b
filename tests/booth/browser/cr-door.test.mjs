// The door-to-door scenario in the booth of a coercion-resistant election (tests/booth/test_cr_browser.py starts
// `plebiscite serve`, prepares the voters, runs this file, then tallies and compares what it wrote).
//
// Each voter has their own fresh browser profile. R resists: makes a fake in the booth, then — the official
// watching — loads the fake and casts the demanded choice; later casts the real choice from the same profile.
// O obeys: loads the real credential in front of the official and casts the demanded choice. S loads a credential
// sheet from a picture of its QR code, votes with a fake made on the spot, and later types the real code.
// Written to BOOTH_OUT: fake-R.json (the downloaded fake), screenshots, and views.json (the official's view of R
// and O: screens as masked DOM structure, the receipt, the storage of the profile at the end).
//
// Environment: BOOTH_URL, CR_FILES {R, O}, CR_CODE, CR_DEMANDED, CR_REAL, CR_SECRETS (never to be sent), BOOTH_OUT.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { launch, openPage, ROOT } from './browser.mjs';

const BASE = process.env.BOOTH_URL;
const FILES = JSON.parse(process.env.CR_FILES ?? '{}');
const CODE = process.env.CR_CODE;
const DEMANDED = JSON.parse(process.env.CR_DEMANDED ?? '{}');
const REAL = JSON.parse(process.env.CR_REAL ?? '{}');
const SECRETS = JSON.parse(process.env.CR_SECRETS ?? '[]').map((s) => s.toLowerCase());
const OUT = process.env.BOOTH_OUT;
const booth = `${BASE}/booth/index.html`;
const { encodeQR } = await import(join(ROOT, 'src/plebiscite/booth/static/vendor/qr/index.js'));

const views = {};
const written = { views, fake_code: null };
const closers = [];
after(async () => {
  writeFileSync(join(OUT, 'views.json'), JSON.stringify(written, null, 2));
  for (const close of closers) await close();
});

async function profile(args = []) {
  const { context, close } = await launch(args);
  closers.push(close);
  const sent = [];
  context.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''}`.toLowerCase()));
  return { context, sent };
}

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors, CSP violations or failed requests');
}

function nothingSecretSent(sent) {
  assert.ok(sent.some((line) => line.includes('/api/ballots')), 'nothing was cast');
  for (const line of sent) for (const s of SECRETS) assert.ok(!line.includes(s), `a secret left the browser: ${line.slice(0, 80)}`);
}

async function open(context) {
  const page = await openPage(context, booth);
  await page.waitForSelector('#step-cr-credential:not([hidden])');
  return page;
}

async function submitCredential(page) {
  await page.click('#cr-credential-form button[type=submit]');
  await page.waitForSelector('#step-ballot:not([hidden])');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
}

async function loadFile(page, path) {
  await page.setInputFiles('#cr-file', path);
  await submitCredential(page);
}

/** The visible page as the official sees it: every visible element's tag, id, class and own text, codes masked. */
async function screen(page, name, step) {
  const png = `${name}.png`;
  await page.screenshot({ path: join(OUT, png), fullPage: true });
  const dom = await page.evaluate(() => {
    const mask = (s) => s.replace(/[0-9a-f]{16,}/g, 'HEX').replace(/[A-Z2-7]{4}(-[A-Z2-7]{4}){3}/g, 'SHORT').replace(/\d+/g, 'N').replace(/\s+/g, ' ').trim();
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!el.checkVisibility()) continue;
      const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
      const state = el.tagName === 'INPUT' ? `=${el.type}:${el.checked}:${el.value.length}` : '';
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}${state} ${mask(own)}`);
    }
    return out;
  });
  return { step, png, dom };
}

async function choose(page, selections) {
  for (const [q, options] of Object.entries(selections)) for (const o of options) await page.check(`#q-${q}-${o}`);
}

/** Choose, encrypt, cast: the screens of each step, and the receipt the booth shows. */
async function castWatched(page, name, selections) {
  const screens = [await screen(page, `${name}-1-loaded`, 'loaded')];
  await choose(page, selections);
  await page.click('#ballot-form button[type=submit]');
  await page.waitForSelector('#step-review:not([hidden])');
  assert.equal(await page.isVisible('#challenge'), false, 'no Benaloh challenge in this mode');
  assert.equal(await page.isVisible('#cr-no-challenge'), true);
  screens.push(await screen(page, `${name}-2-review`, 'review'));
  await page.click('#cast');
  await page.waitForSelector('#step-cast:not([hidden])');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  assert.match(await page.textContent('#cast-done'), /\d/);
  screens.push(await screen(page, `${name}-3-cast`, 'cast'));
  const receipt = JSON.parse(await page.textContent('#receipt-json'));
  assert.equal(receipt.tracking_code, (await page.textContent('#tracking-code')).trim());
  return { screens, receipt };
}

async function storage(context, page) {
  const inPage = await page.evaluate(async () => {
    const sizes = (store) => Object.keys(store).sort().map((k) => [k, store.getItem(k).length]);
    const opfs = [];
    for await (const name of (await navigator.storage.getDirectory()).keys()) opfs.push(name);
    return {
      local: sizes(localStorage),
      session: sizes(sessionStorage),
      indexedDB: (await indexedDB.databases()).map((d) => d.name).sort(),
      caches: (await caches.keys()).sort(),
      opfs,
    };
  });
  return { ...inPage, cookies: (await context.cookies()).length };
}

test('R resists: makes a fake in the booth, casts the demanded choice with it, later the real one', async () => {
  const { context, sent } = await profile();
  // alone, before the official comes in: load the real credential and make a fake of it
  let page = await open(context);
  await page.screenshot({ path: join(OUT, 'step-1-credential.png'), fullPage: true });
  await loadFile(page, FILES.R);
  const statusReal = await page.textContent('#status');
  await page.click('#cr-make-fake');
  await page.waitForSelector('#step-cr-fake:not([hidden])');
  assert.equal(await page.isVisible('#cr-fake-download'), true);
  assert.equal(await page.isVisible('#cr-fake-sheet'), false, 'a file credential gets a file fake');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#cr-fake-download')]);
  const fakePath = join(OUT, 'fake-R.json');
  await download.saveAs(fakePath);
  clean(page);
  await page.close();
  // the official watches: a fresh page, the fake loaded like any credential, the demanded choice cast
  page = await open(context);
  await loadFile(page, fakePath);
  assert.equal(await page.textContent('#status'), statusReal, 'the same words for the fake as for the real one');
  const watched = await castWatched(page, 'R', DEMANDED);
  clean(page);
  await page.close();
  // later, unobserved, from the same profile: the real vote
  page = await open(context);
  await loadFile(page, FILES.R);
  const real = await castWatched(page, 'R-later', REAL);
  assert.notEqual(real.receipt.tracking_code, watched.receipt.tracking_code);
  clean(page);
  views.R = { ...watched, storage: await storage(context, page), real_receipt: real.receipt };
  nothingSecretSent(sent);
});

test('O obeys: the real credential, the demanded choice cast in front of the official, nothing else', async () => {
  const { context, sent } = await profile();
  const page = await open(context);
  await loadFile(page, FILES.O);
  const watched = await castWatched(page, 'O', DEMANDED);
  clean(page);
  views.O = { ...watched, storage: await storage(context, page) };
  nothingSecretSent(sent);
});

test('S: a sheet read from a QR code picture, a fake made and used on the spot, later the typed real code', async () => {
  const { context, sent } = await profile();
  const picture = join(OUT, 'sheet-S.gif');
  writeFileSync(picture, encodeQR(CODE, 'gif', { scale: 6 }));
  let page = await open(context);
  await page.setInputFiles('#cr-qr-image', picture);
  await submitCredential(page);
  const statusReal = await page.textContent('#status');
  await page.click('#cr-make-fake');
  await page.waitForSelector('#step-cr-fake:not([hidden])');
  assert.equal(await page.isVisible('#cr-fake-sheet'), true, 'a sheet credential gets a sheet fake');
  await page.screenshot({ path: join(OUT, 'step-fake-sheet.png'), fullPage: true });
  assert.equal(await page.isVisible('#cr-fake-file'), false);
  const fakeCode = (await page.textContent('#cr-fake-code')).trim();
  assert.match(fakeCode, /^([A-Z2-7]{5}-){15}[A-Z2-7]{5}$/);
  assert.notEqual(fakeCode, CODE);
  // the QR code drawn for the fake holds the fake's code (read back from the canvas with the booth's own decoder)
  const shown = await page.evaluate(async () => {
    const { decodeQR } = await import('./vendor/qr/decode.js');
    const canvas = document.getElementById('cr-fake-qr');
    return decodeQR(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height));
  });
  assert.equal(shown, fakeCode);
  written.fake_code = fakeCode;
  await page.click('#cr-fake-use');
  await page.waitForSelector('#step-ballot:not([hidden])');
  assert.equal(await page.textContent('#status'), statusReal, 'voting with the fake: the same words as with the sheet');
  assert.equal(await page.textContent('#cr-fake-code'), '', 'the fake is dropped once used');
  await castWatched(page, 'S-fake', DEMANDED);
  clean(page);
  await page.close();
  page = await open(context);
  await page.fill('#cr-code', CODE.toLowerCase().replaceAll('-', ' '));
  await submitCredential(page);
  assert.equal(await page.inputValue('#cr-code'), '', 'the code is cleared from the form once loaded');
  const real = await castWatched(page, 'S-later', REAL);
  clean(page);
  // a mistyped code: a named error, nothing loaded
  const again = await open(context);
  await again.fill('#cr-code', CODE.slice(0, -1) + (CODE.endsWith('A') ? 'B' : 'A'));
  await again.click('#cr-credential-form button[type=submit]');
  await again.waitForSelector('#error:not([hidden])');
  assert.match(await again.textContent('#error'), /checksum/);
  assert.equal(await again.isHidden('#step-ballot'), true);
  views.S = { receipt: real.receipt };
  nothingSecretSent(sent);
});

/** A Y4M video (the format Chromium's fake camera plays) of `text`'s QR code: luma only, chroma neutral. */
function qrVideo(text, path) {
  const modules = encodeQR(text, 'raw', { ecc: 'medium' });
  const scale = 6;
  const side = (modules.length + 8) * scale;
  const w = side + (side % 2);
  const y = Buffer.alloc(w * w, 235);
  modules.forEach((row, r) => row.forEach((dark, c) => {
    if (!dark) return;
    for (let dy = 0; dy < scale; dy++) y.fill(16, ((r + 4) * scale + dy) * w + (c + 4) * scale, ((r + 4) * scale + dy) * w + (c + 5) * scale);
  }));
  const chroma = Buffer.alloc((w / 2) * (w / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${w} F5:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}

test('the camera: a sheet held up to it is read and loaded like a typed code', async () => {
  const video = join(OUT, 'sheet-S.y4m');
  qrVideo(CODE, video);
  const { context } = await profile(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${video}`]);
  const page = await open(context);
  await page.click('#cr-camera');
  await page.waitForSelector('#step-ballot:not([hidden])', { timeout: 20000 });
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  assert.equal(await page.isHidden('#cr-video'), true, 'the camera is stopped once the code is read');
  clean(page);
});

test('the check page verifies a cr-ballot receipt and finds it by its tracking code', async () => {
  const { context } = await profile();
  const page = await openPage(context, `${BASE}/booth/check.html`);
  const receipt = views.R.real_receipt;
  await page.fill('#receipt-text', JSON.stringify(receipt));
  await page.click('#receipt-form button[type=submit]');
  await page.waitForSelector('#checks li');
  assert.equal(await page.locator('#checks li.bad').count(), 0, await page.textContent('#checks'));
  assert.equal(await page.locator('#checks li.ok').count(), 3);
  await page.click('#live');
  await page.waitForFunction(() => document.querySelectorAll('#live-checks li').length > 0);
  await page.click('#lookup-form button[type=submit]');
  await page.waitForSelector('#lookup li');
  assert.equal(await page.locator('#lookup li.bad').count(), 0, await page.textContent('#lookup'));
  // a receipt whose tracking code is another cr-ballot's does not check
  await page.fill('#receipt-text', JSON.stringify({ ...receipt, tracking_code: views.O.receipt.tracking_code }));
  await page.click('#receipt-form button[type=submit]');
  await page.waitForSelector('#checks li.bad');
  clean(page);
});
