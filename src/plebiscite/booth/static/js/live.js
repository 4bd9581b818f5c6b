// Checks against the live board, beyond what a receipt proves offline. Python twin: plebiscite.board.client.
//
// checkHistory(receipt): GET board/key (still the key that signed the receipt?) → GET board/head (signed by it?) →
// GET board/consistency (RFC 9162 proof that the latest tree extends the receipt's) → GET board/inclusion?index&size
// (the ballot is still at its index under the latest head). lookUp(code): a ballot by tracking code alone, with the
// head's signature checked against GET board/key — which is only as good as that key, hence the log id to compare.
//
// Failures are BoardAlarm, of kinds that prove different things:
//  * 'alarm.rewritten': two heads, both validly signed by the board, that cannot both be honest (the latest is smaller
//    than the receipt's, two roots for one size, a consistency proof that fails). `evidence` has exactly the fields of
//    plebiscite.merkle.ForkEvidence, so anyone holding the board key can re-check it (verify_heads_consistent).
//  * 'alarm.missing': the heads are consistent, yet the board's inclusion answer does not show the ballot at its
//    index. Inclusion answers are not signed, so there is nothing to hand to a third party but the receipt itself
//    (which, with the consistency proof, shows the ballot must still be there): no evidence file.
//  * 'alarm.key_changed', 'alarm.unverified': another key, or an answer that is unsigned, malformed or refused. Anyone on
//    the network path could produce those, so they accuse nobody: no evidence file either.
// Network failures and 5xx answers propagate as ApiError: an outage is not an accusation.
import { ApiError, getJson } from './api.js';
import { fromHex, groups, hex } from './bytes.js';
import {
  hashList, leafHash, logIdFor, MerkleError, leafTrackingCode, verifyConsistency, verifyInclusion, verifyTreeHead,
} from './merkle.js';
import { readShortCode } from './shortcode.js';

export class BoardAlarm extends Error {
  /** `key` names the headline, `reason` {key, params} the voter-language reason, `detail` the technical one. */
  constructor(key, reason, detail, evidence = null) {
    super(`${key}: ${detail}`);
    this.name = 'BoardAlarm';
    this.key = key;
    this.reason = reason;
    this.detail = detail;
    this.evidence = evidence;
  }
}

const HEAD_FIELDS = ['log_id', 'tree_size', 'root_hash', 'timestamp', 'signature'];
// Only the five signed fields: ForkEvidence refuses any other, and nothing unsigned belongs in evidence.
const signedFields = (head) => Object.fromEntries(HEAD_FIELDS.map((f) => [f, head[f]]));

/** The evidence file: both signed heads, the proof the board gave (hex), and why they cannot both be honest. */
export const forkEvidence = (first, second, proof, reason) =>
  ({ first: signedFields(first), second: signedFields(second), proof: proof.map(hex), reason });

/**
 * The board presents a key (hex `now`) other than the one that signed the receipt (hex `was`); the voter is shown
 * both as the operator publishes a board key, in groups (docs/booth.md, "The check page").
 */
export const keyChanged = (was, now) => new BoardAlarm('alarm.key_changed',
  { key: 'history.key_changed', params: { was: groups(was), now: groups(now) } },
  `the receipt was signed by board key ${was} (log id ${logIdFor(fromHex(was, 'board_key', 32))}), the board now ` +
  `presents board key ${now} (log id ${logIdFor(fromHex(now, 'board_key', 32))})`);

const unverified = (what, detail) =>
  new BoardAlarm('alarm.unverified', { key: 'history.bad_answer', params: { what } }, `${what}: ${detail}`);

/** GET `path`; a refusal or a malformed answer is an alarm, while an outage stays an ApiError for "try again". */
async function ask(get, path, what) {
  try {
    return await get(path);
  } catch (err) {
    if (!(err instanceof ApiError) || err.kind === 'network' || err.kind === 'server') throw err;
    throw unverified(what, err.message);
  }
}

/** The key of a GET board/key answer as bytes, or null if it is not one. */
const keyOf = (answer) =>
  (typeof answer?.public_key === 'string' && /^[0-9a-fA-F]{64}$/.test(answer.public_key)
    ? fromHex(answer.public_key, 'public_key', 32) : null);

function signedBy(head, boardKey, what) {
  try {
    verifyTreeHead(head, boardKey);
  } catch (err) {
    if (err instanceof MerkleError) throw unverified(what, err.message);
    throw err;
  }
}

/** Throws 'alarm.rewritten' with evidence unless the signed head `second` extends the signed head `first`. */
async function checkExtends(get, first, second) {
  const [m, n] = [first.tree_size, second.tree_size];
  const rewritten = (reasonKey, detail, proof) => new BoardAlarm('alarm.rewritten',
    { key: reasonKey, params: { first: m, second: n } }, detail, forkEvidence(first, second, proof, detail));
  if (n < m) {
    // Python's mirror says the same (board/client.py check_extends): a board never signs a smaller log later.
    throw rewritten('history.shrank', `the board's latest head has size ${n}, smaller than the receipt's ${m}`, []);
  }
  let proof = [];
  if (n > m) {
    const what = 'board/consistency';
    const answer = await ask(get, `board/consistency?first=${m}&second=${n}`, what);
    if (answer?.first !== m || answer?.second !== n) throw unverified(what, 'a proof for other sizes');
    try {
      proof = hashList(answer.proof, 'proof', 'board.malformed');
    } catch (err) {
      throw unverified(what, err.message);
    }
  }
  try {
    verifyConsistency(m, n, fromHex(first.root_hash, 'root_hash', 32), fromHex(second.root_hash, 'root_hash', 32), proof);
  } catch (err) {
    if (err.key !== 'board.consistency') throw err;
    if (n === m) throw rewritten('history.fork', err.detail, proof);
    throw rewritten('history.inconsistent', err.detail, proof);
  }
  return proof;
}

/** Throws 'alarm.missing' unless the board shows the receipt's leaf at its index under the signed head `latest`. */
async function checkStillIncluded(get, receipt, latest) {
  const [index, size] = [receipt.index, latest.tree_size];
  const missing = (detail) =>
    new BoardAlarm('alarm.missing', { key: 'history.missing', params: { index, size } }, detail);
  const answer = await ask(get, `board/inclusion?index=${index}&size=${size}`, 'board/inclusion');
  if (answer?.index !== index || typeof answer.leaf !== 'string' || answer.leaf !== receipt.leaf) {
    throw missing(`the board shows another entry at index ${index}`);
  }
  try {
    verifyInclusion(leafHash(fromHex(receipt.leaf, 'leaf')), index, size, hashList(answer.proof, 'proof', 'board.malformed'),
      fromHex(latest.root_hash, 'root_hash', 32));
  } catch (err) {
    if (!(err instanceof MerkleError)) throw err;
    throw missing(`inclusion proof under the latest head: ${err.message}`);
  }
}

/**
 * Check a receipt (one that verifyReceipt accepted) against the live board. `step(key, params)` is told each check
 * that passed, in order. Returns {latest, proof}; throws BoardAlarm, or ApiError when the board cannot be reached.
 */
export async function checkHistory(receipt, { get = getJson, step = () => {} } = {}) {
  const boardKey = fromHex(receipt.board_key, 'board_key', 32);
  const first = receipt.tree_head;
  verifyTreeHead(first, boardKey); // evidence must only ever carry heads the board really signed
  const now = keyOf(await ask(get, 'board/key', 'board/key'));
  if (!now) throw unverified('board/key', 'not a 32-byte hex key');
  if (logIdFor(now) !== first.log_id) throw keyChanged(receipt.board_key.toLowerCase(), hex(now));
  step('check.ok_key', { key: groups(receipt.board_key.toLowerCase()) });
  const latest = await ask(get, 'board/head', 'board/head');
  signedBy(latest, boardKey, 'board/head');
  step('check.ok_latest', { size: latest.tree_size, time: latest.timestamp });
  const proof = await checkExtends(get, first, latest);
  step('check.ok_consistent', { first: first.tree_size, second: latest.tree_size });
  await checkStillIncluded(get, receipt, latest);
  step('check.ok_still', { index: receipt.index, size: latest.tree_size });
  return { latest, proof };
}

/**
 * Look a ballot up by tracking code alone: the leaf is that ballot, the head is signed by the key the board serves,
 * and the inclusion proof leads to its root. The key itself comes from the same board, so the voter must compare
 * `logId` with the one the organisers published. Throws MerkleError or ApiError.
 */
/**
 * A ballot found by its tracking code (64 hex) or its short code (shortcode.js: the board index and the first bytes
 * of the tracking code): the leaf is that ballot, its head is signed by the board's key, the inclusion proof holds.
 * Returns {index, size, trackingCode, logId, boardKey (hex)}.
 */
export async function lookUp(code, { get = getJson } = {}) {
  const short = /^[0-9a-f]{64}$/.test(code) ? null : readShortCode(code);
  const boardKey = keyOf(await get('board/key'));
  if (!boardKey) throw new MerkleError('board.malformed', 'board/key');
  const found = await get(short ? `board/inclusion?index=${short.index}` : `board/inclusion?tracking_code=${code}`);
  const actual = leafTrackingCode(found?.leaf);
  if (short ? !actual.startsWith(short.prefix) || found.index !== short.index : actual !== code) {
    throw new MerkleError('receipt.code_mismatch');
  }
  verifyTreeHead(found.tree_head, boardKey);
  verifyInclusion(leafHash(fromHex(found.leaf, 'leaf')), found.index, found.tree_head.tree_size,
    hashList(found.proof, 'proof', 'board.malformed'), fromHex(found.tree_head.root_hash, 'root_hash', 32));
  return { index: found.index, size: found.tree_head.tree_size, trackingCode: actual, logId: logIdFor(boardKey),
    boardKey: hex(boardKey) };
}
