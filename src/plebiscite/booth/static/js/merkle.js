// Checking a receipt: RFC 9162 inclusion proofs and the board's Ed25519-signed tree heads, as in
// src/plebiscite/merkle/{tree,heads}.py. Every check throws MerkleError with the reason; nothing returns a boolean
// that a caller could forget to look at.
import { ed25519 } from '../vendor/noble-curves/ed25519.js';
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import { concat, equal, fromHex, hex, u64be, utf8 } from './bytes.js';
import { trackingCode } from './ballot.js';

const STH_TAG = utf8('plebiscite/sth/v1');

export class MerkleError extends Error {
  constructor(key, detail = '') {
    super(detail ? `${key}: ${detail}` : key);
    this.name = 'MerkleError';
    this.key = key;
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

function hashes(list, what) {
  if (!Array.isArray(list)) throw new MerkleError('receipt.malformed', what);
  return list.map((h) => {
    if (typeof h !== 'string' || !/^[0-9a-fA-F]{64}$/.test(h)) throw new MerkleError('receipt.malformed', what);
    return fromHex(h, what, 32);
  });
}

/** The ballot JSON inside a leaf (the event's canonical bytes), checked to be a ballot event. */
export function ballotOfLeaf(leafHex) {
  if (typeof leafHex !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(leafHex)) throw new MerkleError('receipt.malformed', 'leaf');
  let event;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromHex(leafHex, 'leaf')));
  } catch {
    throw new MerkleError('receipt.malformed', 'leaf');
  }
  if (event?.type !== 'ballot' || !event.payload) throw new MerkleError('receipt.not_ballot');
  return event.payload;
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
  let code;
  try {
    code = trackingCode(ballot);
  } catch {
    throw new MerkleError('receipt.malformed', 'ballot in leaf');
  }
  if (code !== receipt.tracking_code.toLowerCase()) throw new MerkleError('receipt.code_mismatch');
  verifyTreeHead(receipt.tree_head, boardKey);
  const proof = hashes(receipt.inclusion_proof, 'inclusion_proof');
  verifyInclusion(leafHash(fromHex(receipt.leaf, 'leaf')), receipt.index, receipt.tree_head.tree_size, proof,
    fromHex(receipt.tree_head.root_hash, 'root_hash', 32));
  return { trackingCode: code, index: receipt.index, treeSize: receipt.tree_head.tree_size,
    timestamp: receipt.tree_head.timestamp, logId: receipt.tree_head.log_id, credential: ballot.credential };
}

/**
 * Check a fresh inclusion answer from GET /api/board/inclusion against the receipt: same leaf, same board key,
 * a head at least as large as the receipt's, and a valid proof under it.
 */
export function verifyFreshInclusion(receipt, fresh) {
  const boardKey = fromHexOr(receipt.board_key, 'board_key', 32);
  if (!fresh || typeof fresh !== 'object') throw new MerkleError('receipt.malformed', 'board answer');
  if (String(fresh.leaf).toLowerCase() !== String(receipt.leaf).toLowerCase() || fresh.index !== receipt.index) {
    throw new MerkleError('receipt.fresh_mismatch');
  }
  verifyTreeHead(fresh.tree_head, boardKey);
  if (fresh.tree_head.tree_size < receipt.tree_head.tree_size) throw new MerkleError('receipt.fresh_smaller');
  verifyInclusion(leafHash(fromHex(fresh.leaf, 'leaf')), fresh.index, fresh.tree_head.tree_size,
    hashes(fresh.proof, 'proof'), fromHex(fresh.tree_head.root_hash, 'root_hash', 32));
  return { treeSize: fresh.tree_head.tree_size, timestamp: fresh.tree_head.timestamp };
}

function fromHexOr(value, what, size) {
  try {
    return fromHex(value, what, size);
  } catch {
    throw new MerkleError('receipt.malformed', what);
  }
}
