// The short code of a cast ballot (docs/booth.md §1b): 16 base32 characters in four groups of four, small enough to
// write on paper, that the check page turns back into a question the board already answers. It is derived from the
// receipt alone — the ballot's board index and the first bytes of its tracking code — so nothing on the board
// changes: the check page asks GET /api/board/inclusion?index=… and requires the leaf there to be a ballot whose
// tracking code starts with those bytes. A prefix alone could not be looked up without scanning the whole board.
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import { concat, equal, fromHex, hex, utf8 } from './bytes.js';
import { base32Decode, base32Encode, CredentialError, normaliseCode } from './credential.js';

const TAG = utf8('plebiscite/v1/short-code');
const PREFIX_BYTES = 4;
const CHARS = 16; // base32 of 10 bytes: 4 (tracking-code prefix) + 4 (masked index) + 2 (checksum)
export const MAX_INDEX = 0xffffffff;

const checksum = (payload) => sha256(concat(TAG, payload)).slice(0, 2);

// prefix ‖ u32be(index XOR prefix): the index is masked by the prefix so that a small board's codes do not all
// start with the same letters (a run like "AAAA-" reads as filler and gets left out when copied by hand)
function payloadOf(index, prefix) {
  const out = new Uint8Array(PREFIX_BYTES + 4);
  out.set(prefix, 0);
  const view = new DataView(out.buffer);
  view.setUint32(PREFIX_BYTES, (index ^ view.getUint32(0)) >>> 0);
  return out;
}

/** The short code of the ballot at board `index` with tracking code `trackingCode` (hex), or null past 2³²−1. */
export function shortCode(trackingCode, index) {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) return null;
  const payload = payloadOf(index, fromHex(trackingCode, 'tracking_code', 32).slice(0, PREFIX_BYTES));
  return base32Encode(concat(payload, checksum(payload))).match(/.{4}/g).join('-');
}

/** True when `text` looks like a short code rather than a 64-hex tracking code (the check page accepts both). */
export const looksShort = (text) => normaliseCode(text).length === CHARS;

/**
 * {index, prefix (hex)} of a typed short code; case, spaces, dashes and look-alikes are forgiven as in credential
 * codes. Throws CredentialError('short.length' | 'credential.alphabet' | 'short.checksum').
 */
export function readShortCode(text) {
  const clean = normaliseCode(text);
  if (clean.length !== CHARS) throw new CredentialError('short.length', `${clean.length} characters`);
  const raw = base32Decode(clean);
  const payload = raw.slice(0, PREFIX_BYTES + 4);
  if (!equal(checksum(payload), raw.slice(PREFIX_BYTES + 4, 10))) throw new CredentialError('short.checksum');
  const view = new DataView(payload.buffer, payload.byteOffset);
  return { index: (view.getUint32(PREFIX_BYTES) ^ view.getUint32(0)) >>> 0, prefix: hex(payload.slice(0, PREFIX_BYTES)) };
}
