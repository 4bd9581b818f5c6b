// The booth page's last step and its safety net (docs/booth.md §1b): cast the prepared ballot so that neither a
// reload, a tab the phone discarded, nor a connection cut at the moment of casting loses the ballot or its receipt;
// show the receipt with its short code and lead the voter to keep it; warn before leaving while it is unsaved.
//
// Casting is idempotent on the board (the same ballot gets the same receipt), so the page keeps the encrypted ballot
// it is sending (keep.js) and, when the answer is lost, asks the board whether the ballot is there and posts the very
// same ballot again to get its receipt. Nothing here touches a credential or the choices: a real and a fake
// credential's ballots and receipts (coercion-resistant mode) take exactly the same path and leave the same traces.
import { ApiError, getJson, postJson } from './api.js';
import { t } from './i18n.js';
import { forgetKept, keepReceipt, keepSending, kept } from './keep.js';
import { verifyReceipt } from './merkle.js';
import { shortCode } from './shortcode.js';
import { $, describeError, download, el, groups, shortTime, showError, showStep, status } from './ui.js';

let page; // {electionId, steps, onRevote()}
let receipt = null; // the receipt on the cast step
let saved = false; // downloaded, or the voter confirmed the short code is written down
let pending = null; // {trackingCode, ballot} whose fate the resume step is about

/** Where the ballot with `code` stands: true (on the board), false (not there), null (cannot tell now). */
async function onBoard(code) {
  try {
    await getJson(`board/inclusion?tracking_code=${code}`);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not_found') return false;
    return null;
  }
}

async function send(ballot) {
  keepSending(page.electionId, ballot.trackingCode, ballot.ballot);
  const answer = await postJson('ballots', ballot.ballot);
  keepReceipt(page.electionId, answer);
  return answer;
}

/**
 * Cast `ballot` ({trackingCode, ballot}) and show its receipt. Returns true when the receipt is shown, false when
 * the page had to leave it to the voter (the resume step); throws the ApiError when nothing was cast.
 */
export async function castBallot(ballot) {
  try {
    showCast(await send(ballot), ballot.trackingCode);
    return true;
  } catch (err) {
    if (!(err instanceof ApiError && err.kind === 'network')) {
      forgetKept(); // a refusal or a server error: the board acknowledged nothing
      throw err;
    }
  }
  // The answer was lost: the ballot may or may not be on the board. Ask.
  const there = await onBoard(ballot.trackingCode);
  if (there === false) {
    forgetKept();
    throw new ApiError('network');
  }
  return settle(ballot, there, 'resume.cut');
}

/** After a lost answer or a reload mid-cast: fetch the receipt of a ballot on the board, or let the voter decide. */
async function settle(ballot, there, why) {
  pending = ballot;
  if (there === false) forgetKept(); // not on the board: nothing to warn about until the voter sends it again
  if (there) {
    try {
      showCast(await send(ballot), ballot.trackingCode, 'resume.reached');
      pending = null;
      return true;
    } catch {
      // fall through: the voter is told it is there and can ask again
    }
  }
  const text = there === true ? 'resume.there_no_receipt' : there === false ? 'resume.not_there' : 'resume.unknown';
  $('resume-why').textContent = t(why);
  $('resume-text').textContent = t(text);
  $('resume-send').hidden = there !== false;
  $('resume-retry').hidden = there === false;
  status('');
  showStep('step-resume', page.steps);
  return false;
}

async function onResumeRetry() {
  if (!pending) return;
  status(t('resume.asking'));
  await settle(pending, await onBoard(pending.trackingCode), 'resume.cut');
}

async function onResumeSend() {
  if (!pending) return;
  status(t('review.casting'));
  showError('');
  try {
    await castBallot(pending);
    pending = null;
  } catch (err) {
    status('');
    showError(...describeError(err));
  }
}

function onResumeDiscard() {
  pending = null;
  forgetKept();
  page.onRevote();
}

// --- the receipt ------------------------------------------------------------------------------------------------

function showCast(answer, expectedCode, note = '') {
  receipt = answer;
  saved = false;
  $('receipt-written').checked = false;
  $('keep-state').textContent = t('keep.unsaved');
  $('cast-note').textContent = note ? t(note) : '';
  $('cast-note').hidden = !note;
  try {
    const summary = verifyReceipt(answer);
    if (summary.trackingCode !== expectedCode) throw Object.assign(new Error('code'), { key: 'receipt.code_mismatch' });
    $('cast-done').textContent = t('cast.done', { index: summary.index });
  } catch (err) {
    const [text] = describeError(err);
    $('cast-done').textContent = '';
    showError(t('cast.receipt_bad', { detail: text }));
  }
  const short = shortCode(answer.tracking_code, answer.index) ?? answer.tracking_code;
  $('short-code').textContent = short;
  $('check-link').setAttribute('href', `check.html?code=${encodeURIComponent(short)}`);
  const head = answer.tree_head ?? {};
  $('receipt-summary').replaceChildren(
    el('dt', { text: t('review.code') }), el('dd', {}, el('code', { text: answer.tracking_code })),
    el('dt', { text: t('cast.board_entry') }), el('dd', { text: String(answer.index) }),
    el('dt', { text: t('cast.signed_head') }),
    el('dd', { text: t('cast.head_text', { size: head.tree_size, time: shortTime(head.timestamp) }) }),
    el('dt', { text: t('cast.board_key') }), el('dd', {}, el('code', { text: groups(String(answer.board_key)) })),
  );
  $('receipt-json').textContent = JSON.stringify(answer, null, 2);
  status('');
  showStep('step-cast', page.steps);
}

function markSaved(isSaved) {
  saved = isSaved;
  if (saved) forgetKept();
  else if (receipt) keepReceipt(page.electionId, receipt);
  $('keep-state').textContent = t(saved ? 'keep.saved' : 'keep.unsaved');
}

function onDownload() {
  download(`receipt-${receipt.tracking_code.slice(0, 16)}.json`, receipt);
  markSaved(true);
}

/** Leaving the cast step for a new ballot: what was kept of the last one goes. */
export function leaveCast() {
  receipt = null;
  saved = false;
  forgetKept();
}

/**
 * Wire the cast step and, once the page is ready, pick up what a reload left: a receipt not yet saved is shown
 * again; a ballot that was being sent is looked for on the board. `options`: {electionId, steps, onRevote}.
 */
export async function startReceipts(options) {
  page = options;
  $('download-receipt').addEventListener('click', onDownload);
  $('receipt-written').addEventListener('change', () => markSaved($('receipt-written').checked));
  $('resume-retry').addEventListener('click', onResumeRetry);
  $('resume-send').addEventListener('click', onResumeSend);
  $('resume-discard').addEventListener('click', onResumeDiscard);
  window.addEventListener('beforeunload', (event) => {
    if ((receipt && !saved) || kept(page.electionId)?.stage === 'sending') {
      event.preventDefault();
      event.returnValue = ''; // older browsers need it set to show their "leave this page?" question
    }
  });
  const left = kept(page.electionId);
  if (left?.stage === 'cast') {
    showCast(left.receipt, left.tracking_code, 'resume.shown');
    return true;
  }
  if (left?.stage === 'sending') {
    const ballot = { trackingCode: left.tracking_code, ballot: left.ballot };
    status(t('resume.asking'));
    await settle(ballot, await onBoard(ballot.trackingCode), 'resume.reloaded');
    return true;
  }
  return false;
}
