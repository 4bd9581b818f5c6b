// ristretto255 behind the same small interface as src/plebiscite/hazmat/group.py, so the two read alike.
//
// Elements are noble RistrettoPoint objects inside the booth and canonical 32-byte encodings on the wire; scalars
// are BigInts in [0, ℓ) inside and 32 bytes little-endian on the wire. Every group operation and hash is noble's;
// this module only frames inputs the way the Python core does (frame(), hash_to_scalar(), hash_to_element()).
import { ristretto255, ristretto255_hasher } from '../vendor/noble-curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '../vendor/noble-curves/utils.js';
import { sha512 } from '../vendor/noble-hashes/sha2.js';
import { randomBytes } from '../vendor/noble-hashes/utils.js';
import { concat, FormatError, fromHex, u64be } from './bytes.js';

const Point = ristretto255.Point;

/** The prime order ℓ of ristretto255. */
export const ORDER = Point.Fn.ORDER;
export const GENERATOR = Point.BASE;
export const IDENTITY = Point.ZERO;

export class GroupError extends FormatError {}

/** frame(domain, *parts): the domain and every part, each preceded by its 8-byte big-endian length. */
export function frame(domain, ...parts) {
  const chunks = [u64be(domain.length), domain];
  for (const part of parts) chunks.push(u64be(part.length), part);
  return concat(...chunks);
}

/** SHA-512 of the frame, read little-endian and reduced mod ℓ (Python: hash_to_scalar). */
export function hashToScalar(domain, ...parts) {
  return scalarFromWide(sha512(frame(domain, ...parts)));
}

/** RFC 9496 one-way map of SHA-512 of the frame: an element nobody knows the discrete log of. */
export function hashToElement(domain, ...parts) {
  return ristretto255_hasher.deriveToCurve(sha512(frame(domain, ...parts)));
}

export function scalarFromWide(bytes64) {
  if (bytes64.length !== 64) throw new GroupError('wide scalar', 'expected 64 bytes');
  return bytesToNumberLE(bytes64) % ORDER;
}

/**
 * A uniformly random non-zero scalar: 64 bytes from crypto.getRandomValues (noble's randomBytes) reduced mod ℓ,
 * exactly as the Python core does (bias < 2^-250).
 */
export function randomScalar() {
  for (;;) {
    const s = scalarFromWide(randomBytes(64));
    if (s !== 0n) return s;
  }
}

export const scalarToBytes = (s) => numberToBytesLE(((s % ORDER) + ORDER) % ORDER, 32);
export const scalarToHex = (s) => Array.from(scalarToBytes(s), (b) => b.toString(16).padStart(2, '0')).join('');

/** Decode a canonical scalar (< ℓ); throws GroupError naming `what`. */
export function scalarFromBytes(bytes, what = 'scalar') {
  if (bytes.length !== 32) throw new GroupError(what, 'expected 32 bytes');
  const value = bytesToNumberLE(bytes);
  if (value >= ORDER) throw new GroupError(what, 'not reduced modulo the group order');
  return value;
}

export const scalarFromHex = (text, what = 'scalar') => scalarFromBytes(fromHex(text, what, 32), what);

/**
 * Decode an untrusted element; noble's fromBytes rejects non-canonical and invalid encodings, and bit 255 is
 * refused here explicitly as the Python core does (RFC 9496 §4.3.1), whatever the library's version.
 */
export function elementFromBytes(bytes, what = 'element') {
  if (bytes.length !== 32) throw new GroupError(what, 'expected 32 bytes');
  if (bytes[31] & 0x80) throw new GroupError(what, 'not a canonical ristretto255 encoding (bit 255 set)');
  try {
    return Point.fromBytes(bytes);
  } catch {
    throw new GroupError(what, 'not a canonical ristretto255 encoding');
  }
}

export const elementFromHex = (text, what = 'element') => elementFromBytes(fromHex(text, what, 32), what);
export const elementToBytes = (p) => p.toBytes();

/** s·G for a possibly secret s (noble's constant-time path); 0·G is the identity, which noble refuses. */
export function mulBase(s) {
  s %= ORDER;
  return s === 0n ? IDENTITY : GENERATOR.multiply(s);
}

/** s·P for a possibly secret s. */
export function mul(point, s) {
  s %= ORDER;
  return s === 0n || point.is0() ? IDENTITY : point.multiply(s);
}

/** s·P for a public s (challenges, responses, weights): the faster variable-time path. */
export function mulPublic(point, s) {
  s %= ORDER;
  return s === 0n ? IDENTITY : point.multiplyUnsafe(s);
}

/** m·G for a small, possibly secret m ≥ 0 (a vote), as (m+1)·G − G so that m = 0 takes the same steps. */
export function smallMultipleBase(m) {
  return GENERATOR.multiply(BigInt(m) + 1n).subtract(GENERATOR);
}

export const NAME = 'ristretto255';
