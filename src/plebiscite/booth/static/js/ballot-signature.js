// The credential's signature on a ballot: a Schnorr signature over ristretto255, mirroring
// src/plebiscite/proofs/ballot_signature.py (docs/protocol.md §5, §7.1).
//
// It is a Schnorr proof of knowledge of the credential's secret key x (X = x·G) whose Fiat–Shamir challenge hashes
// the ballot bytes as its context: R ‖ le32(s) with R = k·G, s = k + c·x and c the §2 challenge (proofs.js
// challenge()) with tag ballot-signature. Every hash and group operation is group.js's (noble's); this module only
// puts them in the protocol's order. The nonce is hedged — k = H_s(nonce domain, le32(x), ρ, M) with ρ fresh from
// crypto.getRandomValues — so a weak random generator alone never repeats k for two ballots (repeating it would
// give away x).
import { randomBytes } from '../vendor/noble-hashes/utils.js';
import { concat, utf8 } from './bytes.js';
import * as G from './group.js';
import { challenge } from './proofs.js';

export const TAG = 'ballot-signature';
const KEY_DOMAIN = utf8('plebiscite/v1/credential-key');
const NONCE_DOMAIN = utf8('plebiscite/v1/ballot-signature-nonce');
export const SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;
const RHO_BYTES = 32;

/** The credential's secret scalar x = H_s(credential-key, seed); 0 means the seed is not a credential. */
export function secretKey(seed) {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw new RangeError(`a credential seed is ${SEED_BYTES} bytes`);
  return G.hashToScalar(KEY_DOMAIN, seed);
}

/** X = x·G as its 32-byte encoding, the key the roll lists; the zero scalar is no credential's key. */
export function publicKey(x) {
  if (x % G.ORDER === 0n) throw new RangeError('the zero scalar is not a credential key');
  return G.mulBase(x).toBytes();
}

const statement = (publicKeyBytes) => [G.GENERATOR.toBytes(), publicKeyBytes];

/**
 * Sign `message` (the ballot bytes) for the election `fingerprint` with `x` (public key `publicKeyBytes`):
 * R ‖ le32(s), 64 bytes. `rho` is given by the test vectors only; the booth always draws it.
 */
export function sign(x, publicKeyBytes, fingerprint, message, rho = randomBytes(RHO_BYTES)) {
  const xBytes = G.scalarToBytes(x);
  try {
    for (;;) {
      const k = G.hashToScalar(NONCE_DOMAIN, xBytes, rho, message);
      if (k !== 0n) {
        const commitment = G.mulBase(k).toBytes();
        const c = challenge(TAG, fingerprint, message, statement(publicKeyBytes), [commitment]);
        return concat(commitment, G.scalarToBytes(k + c * x));
      }
      rho = randomBytes(RHO_BYTES); // probability 2^-252
    }
  } finally {
    xBytes.fill(0);
  }
}

/**
 * Why `signature` is not a valid signature of `message` under `publicKeyBytes` — or null when it is. The checks of
 * docs/protocol.md §7.1 in order, with the Python reference's reasons: length, R canonical and not the identity,
 * s < ℓ, the key canonical and not the identity, then s·G = R + c·X.
 */
export function refusal(publicKeyBytes, fingerprint, message, signature) {
  if (signature.length !== SIGNATURE_BYTES) return `must be ${SIGNATURE_BYTES} bytes`;
  const commitment = signature.subarray(0, 32);
  const decoded = (bytes) => {
    try {
      return G.elementFromBytes(bytes);
    } catch {
      return null;
    }
  };
  const R = decoded(commitment);
  if (R === null) return 'R is not a canonical ristretto255 element';
  if (R.equals(G.IDENTITY)) return 'R is the identity';
  let s;
  try {
    s = G.scalarFromBytes(signature.subarray(32));
  } catch {
    return 's is not a canonical scalar (s ≥ ℓ)';
  }
  const X = decoded(publicKeyBytes);
  if (X === null) return 'the credential is not a canonical ristretto255 element';
  if (X.equals(G.IDENTITY)) return 'the credential is the identity';
  const c = challenge(TAG, fingerprint, message, statement(publicKeyBytes), [commitment]);
  if (!G.mulPublic(G.GENERATOR, s).equals(R.add(G.mulPublic(X, c)))) return "does not verify with the ballot's credential";
  return null;
}
