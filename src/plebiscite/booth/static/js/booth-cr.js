// The booth page's coercion-resistant part (docs/booth.md, "Coercion-resistant elections"): load a credential from a
// device file, a typed code, a QR code in a picture or from the camera; make a fake from the loaded one and offer it
// as a file or as a code with its QR code; vote with it through the very same path as any credential.
//
// One rule runs through this file: a real and a fake credential take the same code path, show the same words and
// leave the same traces. The page never learns which one it holds (the CrCredential cannot know), never asks the
// board or anyone about it, and stores nothing of either (no localStorage, sessionStorage, IndexedDB or cookie).
import { decodeQR } from '../vendor/qr/decode.js';
import { encodeQR } from '../vendor/qr/index.js';
import { getJson } from './api.js';
import { CredentialError } from './credential.js';
import { crContextFromEntries } from './crcredential.js';
import { t } from './i18n.js';
import { $, describeError, downloadText, showError, showStep, status } from './ui.js';
import { loadCrCredential } from './voter.js';

const MAX_PAGES = 20; // the registrar's key comes right after the ceremony: a few dozen entries at most
const SCAN_EVERY_MS = 300;
const MAX_IMAGE_SIDE = 1600;

let page; // {steps, onLoaded(credential), current() → the loaded CrCredential or null}
let ctx = null;
let fake = null; // {form, text | code} while the fake step is shown; dropped when it is left
let camera = null; // {stream, timer}

/** The election's public values a credential is checked against, from the board's first entries. */
async function loadContext(election) {
  const entries = [];
  for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
    const batch = await getJson(`board/entries?start=${pageNo * 100}&limit=100`);
    entries.push(...batch);
    if (batch.length < 100 || entries.some((e) => e.type === 'cr-mac-key')) break;
  }
  return crContextFromEntries(election, entries);
}

/** Load `source` ({fileText} or {code}) and hand the credential to the page; the one path for real and fake. */
function useSource(source) {
  showError('');
  let credential;
  try {
    credential = loadCrCredential(source, ctx);
  } catch (err) {
    const [text, detail] = describeError(err);
    showError(text, detail);
    return false;
  }
  page.onLoaded(credential);
  return true;
}

async function pixelsOf(image) {
  const bitmap = await createImageBitmap(image);
  const scale = Math.min(1, MAX_IMAGE_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const draw = canvas.getContext('2d', { willReadFrequently: true });
  draw.drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  return draw.getImageData(0, 0, width, height);
}

/** The text of the QR code in `image` (a File, a video frame…), or null when none can be read. */
async function readQr(image) {
  try {
    return decodeQR(await pixelsOf(image));
  } catch {
    return null;
  }
}

async function onSubmit(event) {
  event.preventDefault();
  showError('');
  const file = $('cr-file').files[0];
  const picture = $('cr-qr-image').files[0];
  const code = $('cr-code').value;
  let source;
  try {
    if (file) source = { fileText: await file.text() };
    else if (picture) {
      const text = await readQr(picture);
      if (text === null) throw new CredentialError('cr.qr_none');
      source = { code: text };
    } else source = { code };
  } catch (err) {
    showError(err instanceof CredentialError ? t(err.key) : t('credential.read_failed'));
    return;
  }
  const loaded = useSource(source);
  // once loaded, the secret is only inside the CrCredential: clear it from the form (a mistyped code stays, to fix)
  if (loaded) $('cr-code').value = '';
  $('cr-file').value = '';
  $('cr-qr-image').value = '';
  if (!loaded) (file ? $('cr-file') : picture ? $('cr-qr-image') : $('cr-code')).focus();
}

// --- the camera ----------------------------------------------------------------------------------------------------

function stopCamera() {
  if (!camera) return;
  clearInterval(camera.timer);
  for (const track of camera.stream.getTracks()) track.stop();
  camera = null;
  const video = $('cr-video');
  video.srcObject = null;
  video.hidden = true;
  $('cr-camera').textContent = t('cr.camera');
}

async function toggleCamera() {
  if (camera) {
    stopCamera();
    status('');
    return;
  }
  showError('');
  const video = $('cr-video');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    showError(t('cr.camera_failed'));
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play().catch(() => {});
  $('cr-camera').textContent = t('cr.camera_stop');
  status(t('cr.camera_looking'));
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || video.readyState < 2) return;
    busy = true;
    const text = await readQr(video);
    busy = false;
    if (text === null || !camera) return;
    stopCamera();
    status('');
    useSource({ code: text });
  }, SCAN_EVERY_MS);
  camera = { stream, timer };
}

// --- fakes ---------------------------------------------------------------------------------------------------------

function drawQr(canvas, text) {
  const modules = encodeQR(text, 'raw', { ecc: 'medium' });
  const quiet = 4;
  const cells = modules.length + 2 * quiet;
  const size = Math.floor(canvas.width / cells);
  const draw = canvas.getContext('2d');
  draw.fillStyle = '#ffffff';
  draw.fillRect(0, 0, canvas.width, canvas.height);
  draw.fillStyle = '#000000';
  const offset = Math.floor((canvas.width - size * cells) / 2) + quiet * size;
  modules.forEach((row, y) => row.forEach((dark, x) => dark && draw.fillRect(offset + x * size, offset + y * size, size, size)));
}

function clearFake() {
  fake = null;
  $('cr-fake-code').textContent = '';
  const canvas = $('cr-fake-qr');
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

function onMakeFake() {
  showError('');
  const credential = page.current();
  if (!credential) return;
  fake = credential.makeFake();
  status('');
  $('cr-fake-file').hidden = fake.form !== 'file';
  $('cr-fake-sheet').hidden = fake.form !== 'code';
  if (fake.form === 'code') {
    $('cr-fake-code').textContent = fake.code;
    drawQr($('cr-fake-qr'), fake.code);
  }
  showStep('step-cr-fake', page.steps);
}

function onUseFake() {
  const source = fake.form === 'file' ? { fileText: fake.text } : { code: fake.code };
  clearFake();
  useSource(source);
}

function onBack() {
  clearFake();
  showStep('step-ballot', page.steps);
}

/**
 * Wire the coercion-resistant steps into the booth page and show the first one. `hooks`: {steps, onLoaded,
 * current}. Throws (an ApiError or CredentialError) when the board's public values cannot be had.
 */
export async function startCr(election, hooks) {
  page = hooks;
  status(t('cr.loading_context'));
  ctx = await loadContext(election);
  status('');
  $('cr-credential-form').addEventListener('submit', onSubmit);
  $('cr-make-fake').addEventListener('click', onMakeFake);
  $('cr-fake-use').addEventListener('click', onUseFake);
  $('cr-fake-back').addEventListener('click', onBack);
  $('cr-fake-download').addEventListener('click', () => fake && downloadText('credential.json', fake.text));
  $('cr-fake-print').addEventListener('click', () => {
    document.body.classList.add('printing-sheet');
    window.print();
    document.body.classList.remove('printing-sheet');
  });
  if (navigator.mediaDevices?.getUserMedia) {
    $('cr-camera-field').hidden = false;
    $('cr-camera').addEventListener('click', toggleCamera);
  }
  $('cr-fake-panel').hidden = false;
  $('cr-no-challenge').hidden = false;
  $('review-explain').hidden = true;
  $('challenge').hidden = true;
  window.addEventListener('pagehide', () => {
    stopCamera();
    clearFake();
  });
  $('step-cr-credential').hidden = false;
}
