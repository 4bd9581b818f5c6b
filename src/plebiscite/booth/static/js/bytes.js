// Byte helpers shared by the booth's modules. Encodings only: no cryptography happens here.
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../vendor/noble-hashes/utils.js';

export { concatBytes as concat, utf8ToBytes as utf8 };

/** Raised for malformed input; `field` names what was wrong, like the Python core's "<field>: <reason>". */
export class FormatError extends Error {
  constructor(field, reason) {
    super(`${field}: ${reason}`);
    this.name = 'FormatError';
    this.field = field;
    this.reason = reason;
  }
}

/** Lower-case hex of `bytes`. */
export const hex = (bytes) => bytesToHex(bytes);

/**
 * Decode canonical hex — lowercase digits only, nothing else (docs/protocol.md §1: one spelling per value) —
 * optionally requiring `size` bytes; throws FormatError naming `what`. Text a person typed (a tracking code) is
 * normalised by its page before it gets here.
 */
export function fromHex(text, what, size) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new FormatError(what, 'not hexadecimal');
  }
  if (size !== undefined && text.length !== 2 * size) {
    throw new FormatError(what, `expected ${size} bytes (${2 * size} hex digits)`);
  }
  if (/[A-F]/.test(text)) throw new FormatError(what, 'hex must be lowercase digits without spaces or separators');
  return hexToBytes(text);
}

/**
 * 8-byte big-endian unsigned integer, the length prefix of frame() and the integer encoding of transcripts.
 * Limited to [0, 2^63) like the Python core so both refuse the same inputs.
 */
export function u64be(value) {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << 63n) throw new RangeError('integer out of range for a transcript');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, false);
  return out;
}

/** Constant-time-independent equality: only ever used on public values (hashes, keys, roots). */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A key or code in short groups ("39bd 56c2 3a30 …"), easier to compare by eye with what the operator published
 * (docs/operator.md: the board key `plebiscite serve` prints, 64 hex digits). One format wherever a key is shown.
 */
export const groups = (text, size = 4) => (String(text).match(new RegExp(`.{1,${size}}`, 'g')) ?? []).join(' ');
