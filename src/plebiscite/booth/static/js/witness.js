// Witness cosignatures on the check page (docs/board.md §4). Python twins: plebiscite.merkle.cosign (bytes and
// counting) and plebiscite.board.witnessing (which head, which proofs).
//
// checkWitnessed(receipt, latest): the election's witnesses come from the manifest at index 0 of the log, proven by
// an inclusion proof into the latest head (GET board/inclusion?index=0&size=…), which checkHistory proved extends
// the receipt's own head: a board cannot name other witnesses to one voter without forking the log under that
// voter's receipt. The witnessed head is the receipt's
// `witnessed` block (plebiscite-receipt/2) or GET board/witnessed; it must carry `threshold` valid cosignatures by
// distinct named witnesses, extend the receipt's head, and be consistent with the board's latest head — else a
// BoardAlarm('alarm.rewritten') whose evidence also carries the witnesses' cosignatures on both heads.
import { ed25519 } from '../vendor/noble-curves/ed25519.js';
import { ApiError, getJson } from './api.js';
import { concat, fromHex, u64be, utf8 } from './bytes.js';
import { language } from './i18n.js';
import { BoardAlarm, forkEvidence } from './live.js';
import { hashList, leafHash, MerkleError, verifyConsistency, verifyInclusion, verifyTreeHead } from './merkle.js';

const COSIGNATURE_TAG = utf8('plebiscite/cosignature/v1');
const HEX32 = /^[0-9a-f]{64}$/;

/** The bytes a witness signs for `head` at `cosignedAt` (cosign.py cosignature_signing_bytes). */
export function cosignatureSigningBytes(head, cosignedAt) {
  const field = (b) => concat(u64be(b.length), b);
  return concat(
    field(COSIGNATURE_TAG),
    field(fromHex(head.log_id, 'tree_head.log_id', 32)),
    field(u64be(head.tree_size)),
    field(fromHex(head.root_hash, 'tree_head.root_hash', 32)),
    field(u64be(head.timestamp)),
    field(u64be(cosignedAt)),
  );
}

/** Whether `cosig` is a well-formed cosignature that verifies on `head` under its witness's key. */
export function cosignatureValid(head, cosig) {
  if (!cosig || typeof cosig !== 'object' || !HEX32.test(cosig.witness ?? '') || !/^[0-9a-f]{128}$/.test(cosig.signature ?? '')
    || !Number.isSafeInteger(cosig.cosigned_at) || cosig.cosigned_at < 0) return false;
  try {
    return ed25519.verify(fromHex(cosig.signature, 'signature', 64), cosignatureSigningBytes(head, cosig.cosigned_at),
      fromHex(cosig.witness, 'witness', 32), { zip215: false });
  } catch {
    return false;
  }
}

/** How many valid cosignatures on `head` by distinct witnesses named in `policy` ({keys, threshold}). */
export function countWitnesses(head, cosigs, policy) {
  const named = new Set(policy.keys);
  const seen = new Set();
  for (const c of Array.isArray(cosigs) ? cosigs : []) {
    if (named.has(c?.witness) && !seen.has(c.witness) && cosignatureValid(head, c)) seen.add(c.witness);
  }
  return seen.size;
}

/** The manifest's witnesses, from entry 0 proven into `head` (verified, extending the receipt's); null if none. */
async function witnessesOf(head, get) {
  const answer = await get(`board/inclusion?index=0&size=${head.tree_size}`);
  if (typeof answer?.leaf !== 'string' || !/^([0-9a-f]{2})+$/.test(answer.leaf)) throw new MerkleError('board.malformed', 'manifest');
  verifyInclusion(leafHash(fromHex(answer.leaf, 'leaf')), 0, head.tree_size, hashList(answer.proof, 'proof', 'board.malformed'),
    fromHex(head.root_hash, 'root_hash', 32));
  let event;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromHex(answer.leaf, 'leaf')));
  } catch {
    throw new MerkleError('board.malformed', 'manifest');
  }
  if (event?.type !== 'manifest') throw new MerkleError('board.malformed', 'entry 0 is not the manifest');
  const w = event.payload?.manifest?.witnesses;
  if (w === undefined || w === null) return null;
  if (!Array.isArray(w.keys) || !w.keys.every((k) => HEX32.test(k)) || new Set(w.keys).size !== w.keys.length
    || !Number.isSafeInteger(w.threshold) || w.threshold < 1 || w.threshold > w.keys.length) {
    throw new MerkleError('board.malformed', 'manifest.witnesses');
  }
  return { keys: w.keys, threshold: w.threshold };
}

async function proofBetween(get, first, second) {
  if (first >= second) return [];
  const answer = await get(`board/consistency?first=${first}&second=${second}`);
  return hashList(answer?.proof, 'proof', 'board.malformed');
}

/** Throws BoardAlarm with evidence (cosignatures included) unless heads `a` and `b` are one history. */
function consistentOrAlarm(a, b, proof, cosA, cosB) {
  const [first, second, cosFirst, cosSecond] = a.tree_size <= b.tree_size ? [a, b, cosA, cosB] : [b, a, cosB, cosA];
  try {
    verifyConsistency(first.tree_size, second.tree_size, fromHex(first.root_hash, 'root_hash', 32),
      fromHex(second.root_hash, 'root_hash', 32), proof);
  } catch (err) {
    if (err.key !== 'board.consistency') throw err;
    const reason = first.tree_size === second.tree_size ? 'history.fork' : 'history.inconsistent';
    const evidence = { ...forkEvidence(first, second, proof, err.detail),
      cosignatures: { first: cosFirst ?? [], second: cosSecond ?? [] } };
    throw new BoardAlarm('alarm.rewritten', { key: reason, params: { first: first.tree_size, second: second.tree_size } },
      err.detail, evidence);
  }
}

/**
 * Is the receipt witnessed? `latest` is the board's latest head (already checked by checkHistory). Returns
 * {status: 'witnessed' | 'not_yet' | 'none', valid, total, threshold, size}; throws BoardAlarm on a fork.
 */
export async function checkWitnessed(receipt, latest, { get = getJson } = {}) {
  const boardKey = fromHex(receipt.board_key, 'board_key', 32);
  const policy = await witnessesOf(latest, get);
  if (!policy) return { status: 'none' };
  const base = { total: policy.keys.length, threshold: policy.threshold };
  let head;
  let cosigs;
  let proof;
  if (receipt.format === 'plebiscite-receipt/2' && receipt.witnessed) {
    ({ tree_head: head, cosignatures: cosigs } = receipt.witnessed);
    proof = hashList(receipt.witnessed.consistency, 'witnessed.consistency');
  } else {
    try {
      const served = await get('board/witnessed');
      ({ cosignatures: cosigs = [], ...head } = served ?? {});
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'not_found') return { status: 'not_yet', valid: 0, ...base };
      throw err;
    }
    if (head.tree_size < receipt.tree_head.tree_size) return { status: 'not_yet', valid: 0, ...base };
    proof = await proofBetween(get, receipt.tree_head.tree_size, head.tree_size);
  }
  verifyTreeHead(head, boardKey);
  if (head.tree_size < receipt.tree_head.tree_size) throw new MerkleError('receipt.malformed', 'witnessed.tree_head');
  consistentOrAlarm(receipt.tree_head, head, proof, [], cosigs);
  const valid = countWitnesses(head, cosigs, policy);
  const low = Math.min(head.tree_size, latest.tree_size);
  const high = Math.max(head.tree_size, latest.tree_size);
  consistentOrAlarm(head, latest, await proofBetween(get, low, high), cosigs, latest.cosignatures ?? []);
  return { status: valid >= policy.threshold ? 'witnessed' : 'not_yet', valid, size: head.tree_size, ...base };
}

const TEXT = {
  witnessed: {
    uk: (w) => `Бюлетень включено; засвідчено ${w.valid} з ${w.total} свідків (потрібно ${w.threshold}), голова розміру ${w.size}.`,
    ru: (w) => `Бюллетень включён; заверено ${w.valid} из ${w.total} свидетелей (нужно ${w.threshold}), голова размера ${w.size}.`,
    en: (w) => `Included, witnessed by ${w.valid} of ${w.total} witnesses (${w.threshold} needed), head of size ${w.size}.`,
  },
  not_yet: {
    uk: (w) => `Бюлетень включено, але ще не засвідчено (потрібно ${w.threshold} з ${w.total} свідків). Перевірте пізніше.`,
    ru: (w) => `Бюллетень включён, но ещё не заверен (нужно ${w.threshold} из ${w.total} свидетелей). Проверьте позже.`,
    en: (w) => `Included, not yet witnessed (${w.threshold} of ${w.total} witnesses needed). Check again later.`,
  },
  none: {
    uk: () => 'Перевірку свідками не виконано: маніфест виборів не називає свідків.',
    ru: () => 'Проверка свидетелями не выполнена: манифест выборов не называет свидетелей.',
    en: () => 'Witness check not run: the election’s manifest names no witnesses.',
  },
};

/** The result of checkWitnessed in the page's language. */
export const witnessText = (w) => (TEXT[w.status][language()] ?? TEXT[w.status].en)(w);
