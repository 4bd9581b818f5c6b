// Checking a receipt: RFC 9162 inclusion and consistency proofs and the board's Ed25519-signed tree heads, as in
// src/plebiscite/merkle/{tree,heads}.py. Every check throws MerkleError with the reason; nothing returns a boolean
// that a caller could forget to look at.
import { ed25519 } from '../vendor/noble-curves/ed25519.js';
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import { concat, equal, fromHex, hex, u64be, utf8 } from './bytes.js';
import { trackingCode } from './ballot.js';
import { crTrackingCode } from './crballot.js';

const STH_TAG = utf8('plebiscite/sth/v1');
const EMPTY_ROOT = sha256(new Uint8Array(0));

export class MerkleError extends Error {
  constructor(key, detail = '') {
    super(detail ? `${key}: ${detail}` : key);
    this.name = 'MerkleError';
    this.key = key;
    this.detail = detail;
  }
}

export const leafHash = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
export const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));
export const logIdFor = (publicKey) => hex(sha256(publicKey));

const isCount = (n) => Number.isSafeInteger(n) && n >= 0;

/** RFC 9162 §2.1.3.2: `leaf` (a leaf hash) sits at `index` in the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(leaf, index, size, proof, root) {
  if (!isCount(index) || !isCount(size)) throw new MerkleError('receipt.malformed', 'index and size must be integers');
  if (index >= size) throw new MerkleError('receipt.inclusion', `index ${index} is outside a tree of size ${size}`);
  // Numbers up to 2^53 are exact; BigInt keeps the bit operations right for any size the board can reach.
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new MerkleError('receipt.inclusion', 'proof is too long');
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      if (!(fn & 1n)) {
        while (fn && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new MerkleError('receipt.inclusion', 'proof is too short');
  if (!equal(r, root)) throw new MerkleError('receipt.inclusion', 'the proof does not lead to the signed root');
}

const isHash = (h) => h instanceof Uint8Array && h.length === 32;

/**
 * RFC 9162 §2.1.4.2: the tree of `second` leaves whose root is `secondRoot` extends the tree of `first` leaves whose
 * root is `firstRoot` (every old leaf is still there, in place). Line for line tree.py verify_consistency, including
 * the degenerate cases the RFC leaves to the caller: first = second needs an empty proof and equal roots; first = 0
 * needs an empty proof and the empty-tree root. Throws MerkleError('board.consistency') when the proof fails.
 */
export function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (!isCount(first) || !isCount(second)) throw new MerkleError('board.malformed', 'tree sizes must be integers');
  if (!isHash(firstRoot) || !isHash(secondRoot) || !Array.isArray(proof) || !proof.every(isHash)) {
    throw new MerkleError('board.malformed', 'roots and proof must be 32-byte hashes');
  }
  const fail = (detail) => new MerkleError('board.consistency', detail);
  if (first > second) throw fail(`first size ${first} is larger than second size ${second}`);
  if (first === second || first === 0) {
    if (proof.length) throw fail(`proof from size ${first} to ${second} must be empty, got ${proof.length} hashes`);
    if (first === 0 && !equal(firstRoot, EMPTY_ROOT)) throw fail('first root is not the empty-tree root although first size is 0');
    if (first === second && !equal(firstRoot, secondRoot)) throw fail(`two different roots for the same size ${first}`);
    return;
  }
  if (!proof.length) throw fail(`empty proof from size ${first} to ${second}`);
  // BigInt, as in verifyInclusion: `first & (first - 1)` on Numbers would silently truncate to 32 bits.
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  // When the old tree is a perfect subtree (size a power of two) its root is the first node of the path, and the
  // board does not send it: the verifier already holds it.
  const path = (BigInt(first) & fn) === 0n ? [firstRoot, ...proof] : proof;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw fail(`proof is too long for sizes ${first} -> ${second}`);
    if (fn & 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!(fn & 1n)) {
        while (fn && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw fail(`proof is too short for sizes ${first} -> ${second}`);
  if (!equal(fr, firstRoot)) throw fail(`consistency proof ${first} -> ${second} does not reproduce the first root`);
  if (!equal(sr, secondRoot)) throw fail(`consistency proof ${first} -> ${second} does not reproduce the second root`);
}

/** The bytes a tree-head signature covers (heads.py tree_head_signing_bytes). */
export function treeHeadSigningBytes(sth) {
  const field = (b) => concat(u64be(b.length), b);
  return concat(
    field(STH_TAG),
    field(fromHex(sth.log_id, 'tree_head.log_id', 32)),
    field(u64be(sth.tree_size)),
    field(fromHex(sth.root_hash, 'tree_head.root_hash', 32)),
    field(u64be(sth.timestamp)),
  );
}

/** Throw unless `sth` is well-formed and signed by the board whose Ed25519 public key is `boardKey` (bytes). */
export function verifyTreeHead(sth, boardKey) {
  if (!sth || typeof sth !== 'object' || !isCount(sth.tree_size) || !isCount(sth.timestamp)
    || !/^[0-9a-f]{64}$/.test(sth.log_id ?? '') || !/^[0-9a-f]{64}$/.test(sth.root_hash ?? '')
    || !/^[0-9a-f]{128}$/.test(sth.signature ?? '')) {
    throw new MerkleError('receipt.malformed', 'tree head');
  }
  if (sth.log_id !== logIdFor(boardKey)) throw new MerkleError('receipt.other_board');
  let good = false;
  try {
    good = ed25519.verify(fromHex(sth.signature, 'tree_head.signature', 64), treeHeadSigningBytes(sth), boardKey,
      { zip215: false });
  } catch {
    good = false;
  }
  if (!good) throw new MerkleError('receipt.signature');
}

/** A list of 64-hex-digit strings as 32-byte hashes; anything else is a malformed `what`. */
export function hashList(list, what, key = 'receipt.malformed') {
  if (!Array.isArray(list)) throw new MerkleError(key, what);
  return list.map((h) => {
    if (typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h)) throw new MerkleError(key, what);
    return fromHex(h, what, 32);
  });
}

/** The ballot JSON inside a leaf (the event's canonical bytes), checked to be a ballot or cr-ballot event. */
export function ballotOfLeaf(leafHex) {
  return eventOfLeaf(leafHex).payload;
}

/**
 * The tracking code of the ballot in a leaf: tracking_code_of for a `ballot`, cr_tracking_code_of for a `cr-ballot`
 * (docs/coercion.md §4). Throws MerkleError('receipt.not_ballot') for any other event, 'receipt.malformed' when
 * the ballot's fields cannot be read.
 */
export function leafTrackingCode(leafHex) {
  const event = eventOfLeaf(leafHex);
  try {
    return event.type === 'cr-ballot' ? crTrackingCode(event.payload) : trackingCode(event.payload);
  } catch {
    throw new MerkleError('receipt.malformed', 'ballot in leaf');
  }
}

function eventOfLeaf(leafHex) {
  if (typeof leafHex !== 'string' || !/^([0-9a-f]{2})+$/.test(leafHex)) throw new MerkleError('receipt.malformed', 'leaf');
  let event;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromHex(leafHex, 'leaf')));
  } catch {
    throw new MerkleError('receipt.malformed', 'leaf');
  }
  if (!['ballot', 'cr-ballot'].includes(event?.type) || !event.payload) throw new MerkleError('receipt.not_ballot');
  return event;
}

/**
 * Check a receipt offline: the leaf is the ballot with this tracking code, the tree head is signed by the board
 * key in the receipt, and the inclusion proof puts the leaf under that head. Returns a summary; throws MerkleError.
 */
export function verifyReceipt(receipt) {
  if (!receipt || typeof receipt !== 'object' || typeof receipt.tracking_code !== 'string') {
    throw new MerkleError('receipt.malformed', 'tracking_code');
  }
  const boardKey = fromHexOr(receipt.board_key, 'board_key', 32);
  const ballot = ballotOfLeaf(receipt.leaf);
  const code = leafTrackingCode(receipt.leaf);
  if (code !== receipt.tracking_code) throw new MerkleError('receipt.code_mismatch'); // one spelling per value
  verifyTreeHead(receipt.tree_head, boardKey);
  const proof = hashList(receipt.inclusion_proof, 'inclusion_proof');
  verifyInclusion(leafHash(fromHex(receipt.leaf, 'leaf')), receipt.index, receipt.tree_head.tree_size, proof,
    fromHex(receipt.tree_head.root_hash, 'root_hash', 32));
  return { trackingCode: code, index: receipt.index, treeSize: receipt.tree_head.tree_size,
    timestamp: receipt.tree_head.timestamp, logId: receipt.tree_head.log_id, credential: ballot.credential };
}

function fromHexOr(value, what, size) {
  try {
    return fromHex(value, what, size);
  } catch {
    throw new MerkleError('receipt.malformed', what);
  }
}
