// Check-my-ballot page: verify a receipt offline (leaf ↔ tracking code, signed tree head, inclusion proof), then
// against the live board (same key, latest head extends the receipt's, ballot still at its index: live.js), or look
// a ballot up by tracking code alone. A board caught contradicting itself gets an alarm and, where two signed heads
// prove it, an evidence file.
import { ApiError } from './api.js';
import { initLanguage, onLanguageChange, t } from './i18n.js';
import { BoardAlarm, checkHistory, keyChanged, lookUp } from './live.js';
import { MerkleError, verifyReceipt } from './merkle.js';
import { startOpeningCheck } from './opening-check.js';
import { looksShort, shortCode } from './shortcode.js';
import { $, describeError, download, el, fileButtons, groups, shortTime, showError, status } from './ui.js';
import { checkWitnessed, witnessText } from './witness.js';

let receipt = null;

function line(list, ok, text) {
  list.append(el('li', { class: ok ? 'ok' : 'bad', text }));
}

function failure(err) {
  const [text] = describeError(err);
  return t('check.failed', { reason: text });
}

/** Show the alarm for `alarm` (a BoardAlarm), or hide the region when `alarm` is null. */
function showAlarm(alarm) {
  const box = $('alarm');
  box.replaceChildren();
  box.hidden = !alarm;
  if (!alarm) return;
  const title = el('h2', { id: 'alarm-title', tabindex: '-1', text: t(alarm.key) });
  box.append(title, el('p', { text: t('check.failed', { reason: t(alarm.reason.key, alarm.reason.params) }) }),
    el('p', { class: 'detail', text: alarm.detail }), el('p', { text: t('alarm.report') }));
  if (alarm.evidence) {
    const { first, second } = alarm.evidence;
    const button = el('button', { type: 'button', id: 'download-evidence', class: 'primary', text: t('alarm.evidence') });
    button.addEventListener('click', () =>
      download(`board-evidence-${first.tree_size}-${second.tree_size}.json`, alarm.evidence));
    box.append(el('p', { class: 'hint', text: t('alarm.evidence_hint') }), button);
  }
  title.focus();
}

async function readReceipt() {
  const file = $('receipt-file').files[0];
  const text = file ? await file.text() : $('receipt-text').value;
  if (!text.trim()) throw new MerkleError('check.no_receipt');
  try {
    return JSON.parse(text);
  } catch {
    throw new MerkleError('receipt.malformed', t('receipt.not_json'));
  }
}

async function onCheck(event) {
  event.preventDefault();
  showError('');
  showAlarm(null);
  const list = $('checks');
  list.replaceChildren();
  $('live-checks').replaceChildren();
  receipt = null;
  try {
    const value = await readReceipt();
    const s = verifyReceipt(value);
    receipt = value;
    line(list, true, t('check.ok_leaf', { code: shortCode(s.trackingCode, s.index) ?? s.trackingCode }));
    line(list, true, t('check.ok_head', { key: groups(receipt.board_key), size: s.treeSize, time: shortTime(s.timestamp) }));
    line(list, true, t('check.ok_inclusion', { index: s.index }));
    $('lookup-code').value = s.trackingCode;
  } catch (err) {
    if (err.key === 'check.no_receipt') showError(t('check.no_receipt'));
    else line(list, false, failure(err));
  }
}

async function onLive() {
  showError('');
  showAlarm(null);
  if (!receipt) {
    showError(t('check.no_receipt'));
    return;
  }
  const list = $('live-checks');
  list.replaceChildren();
  status('…');
  const step = (key, params) => line(list, true, t(key, 'time' in params ? { ...params, time: shortTime(params.time) } : params));
  try {
    const { latest } = await checkHistory(receipt, { step });
    const w = await checkWitnessed(receipt, latest); // "witnessed by k of n" (docs/board.md §4)
    list.append(el('li', { class: w.status === 'witnessed' ? 'ok' : 'info', id: 'witnessed', text: witnessText(w) }));
  } catch (err) {
    if (err instanceof BoardAlarm) {
      line(list, false, t('check.failed', { reason: t(err.reason.key, err.reason.params) }));
      showAlarm(err);
    } else if (err instanceof ApiError) {
      showError(...describeError(err));
    } else {
      line(list, false, failure(err));
    }
  } finally {
    status('');
  }
}

// --- a ballot by its tracking code or short code --------------------------------------------------------------

/** The typed code as lookUp takes it: 64 lowercase hex, or the short code as typed; null when it is neither. */
function typedCode() {
  const text = $('lookup-code').value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  return looksShort(text) ? text : null;
}

async function onLookup(event) {
  event?.preventDefault();
  showError('');
  showAlarm(null);
  const list = $('lookup');
  list.replaceChildren();
  const code = typedCode();
  if (!code) {
    line(list, false, t('check.failed', { reason: t('check.code_form') }));
    return;
  }
  status('…');
  try {
    const found = await lookUp(code);
    line(list, true, t('check.ok_lookup', { code: shortCode(found.trackingCode, found.index) ?? found.trackingCode,
      index: found.index, size: found.size }));
    // The key came from the same board: only the organisers' published board key makes the signature mean anything.
    list.append(el('li', { class: 'info' }, t('check.board_key'), ' ', el('code', { id: 'board-key', text: groups(found.boardKey) })));
    if (receipt && receipt.tree_head.log_id !== found.logId) showAlarm(keyChanged(receipt.board_key, found.boardKey));
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not_found') line(list, false, t('check.not_found'));
    else if (err instanceof ApiError) showError(...describeError(err));
    else line(list, false, failure(err));
  } finally {
    status('');
  }
}

/** check.html?code=… (the booth's "Check my ballot" link carries the short code): look it up at once. */
function lookUpFromUrl() {
  const code = new URLSearchParams(location.search).get('code');
  if (!code) return Promise.resolve();
  $('lookup-code').value = code;
  return onLookup();
}

fileButtons();
initLanguage();
$('receipt-form').addEventListener('submit', onCheck);
$('live').addEventListener('click', onLive);
$('lookup-form').addEventListener('submit', onLookup);
startOpeningCheck(onLanguageChange);
lookUpFromUrl().finally(() => {
  document.body.dataset.ready = 'true';
});
