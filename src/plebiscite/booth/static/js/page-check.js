// Check-my-ballot page: verify a receipt offline (leaf ↔ tracking code, signed tree head, inclusion proof), then
// optionally ask the board for a fresh inclusion proof under its latest head.
import { ApiError, getJson } from './api.js';
import { initLanguage, t } from './i18n.js';
import { leafHash, MerkleError, ballotOfLeaf, verifyFreshInclusion, verifyInclusion, verifyReceipt } from './merkle.js';
import { fromHex } from './bytes.js';
import { trackingCode } from './ballot.js';
import { $, describeError, el, shortTime, showError, status } from './ui.js';

let receipt = null;

function line(list, ok, text) {
  list.append(el('li', { class: ok ? 'ok' : 'bad', text }));
}

function failure(err) {
  const [text] = describeError(err);
  return t('check.failed', { reason: text });
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
  const list = $('checks');
  list.replaceChildren();
  receipt = null;
  try {
    const value = await readReceipt();
    const s = verifyReceipt(value);
    receipt = value;
    line(list, true, t('check.ok_leaf', { code: s.trackingCode }));
    line(list, true, t('check.ok_head', { log: s.logId.slice(0, 16), size: s.treeSize, time: shortTime(s.timestamp) }));
    line(list, true, t('check.ok_inclusion', { index: s.index }));
    $('lookup-code').value = s.trackingCode;
  } catch (err) {
    if (err.key === 'check.no_receipt') showError(t('check.no_receipt'));
    else line(list, false, failure(err));
  }
}

async function onFresh() {
  showError('');
  if (!receipt) {
    showError(t('check.no_receipt'));
    return;
  }
  const list = $('checks');
  status('…');
  try {
    const fresh = await getJson(`board/inclusion?tracking_code=${encodeURIComponent(receipt.tracking_code)}`);
    const s = verifyFreshInclusion(receipt, fresh);
    line(list, true, t('check.ok_fresh', { size: s.treeSize, time: shortTime(s.timestamp) }));
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not_found') line(list, false, t('check.failed', { reason: t('check.not_found') }));
    else if (err instanceof ApiError) showError(...describeError(err));
    else line(list, false, failure(err));
  } finally {
    status('');
  }
}

async function onLookup(event) {
  event.preventDefault();
  showError('');
  const list = $('lookup');
  list.replaceChildren();
  const code = $('lookup-code').value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(code)) {
    line(list, false, t('check.failed', { reason: t('receipt.code_mismatch') }));
    return;
  }
  status('…');
  try {
    const found = await getJson(`board/inclusion?tracking_code=${code}`);
    // Without the board key (it is in the receipt) only the leaf and the path to the head's root can be checked.
    if (trackingCode(ballotOfLeaf(found.leaf)) !== code) throw new MerkleError('receipt.code_mismatch');
    verifyInclusion(leafHash(fromHex(found.leaf, 'leaf')), found.index, found.tree_head.tree_size,
      found.proof.map((h) => fromHex(h, 'proof', 32)), fromHex(found.tree_head.root_hash, 'root_hash', 32));
    line(list, true, t('check.ok_lookup', { code: code.slice(0, 16), index: found.index, size: found.tree_head.tree_size }));
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not_found') line(list, false, t('check.not_found'));
    else if (err instanceof ApiError) showError(...describeError(err));
    else line(list, false, failure(err));
  } finally {
    status('');
  }
}

initLanguage();
$('receipt-form').addEventListener('submit', onCheck);
$('fresh').addEventListener('click', onFresh);
$('lookup-form').addEventListener('submit', onLookup);
document.body.dataset.ready = 'true';
