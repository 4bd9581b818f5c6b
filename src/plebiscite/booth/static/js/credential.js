// Voter credentials, as in src/plebiscite/setup/credentials.py: a 32-byte seed whose secret key is the ristretto255
// scalar x = H_s(credential-key, seed) and public key X = x·G (docs/protocol.md §5), typed as base32 of the seed and
// a 2-byte checksum in groups of five, or kept in a JSON file {"format": "plebiscite-credential/1", election_id, code}.
//
// The seed lives only inside a Voter object (a private class field): the page can ask it for the public key and
// for signatures, never for the seed, and nothing in the booth sends it anywhere. The scalar x is derived from the
// seed for each signature and dropped with it, so that forget() leaves nothing of the secret behind.
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import * as signature from './ballot-signature.js';
import { concat, equal, utf8 } from './bytes.js';

const CHECK_TAG = utf8('plebiscite/v1/credential-check');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_CHARS = 55; // base32 of 34 bytes without padding

/** A credential problem; `key` names the message in i18n.js. */
export class CredentialError extends Error {
  constructor(key, detail = '') {
    super(detail ? `${key}: ${detail}` : key);
    this.name = 'CredentialError';
    this.key = key;
  }
}

// Letters a voter may type for look-alike code characters: Cyrillic homoglyphs (a Ukrainian or Russian keyboard
// layout left on) and the digits base32 leaves out. Only ever widens what is accepted; the checksum still decides.
const LOOKALIKES = { А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', І: 'I',
  0: 'O', 1: 'I', 8: 'B' };

const checksum = (seed) => sha256(concat(CHECK_TAG, seed)).slice(0, 2);

export function base32Decode(text) {
  // RFC 4648 base32 without padding; trailing bits beyond the last whole byte are ignored, as Python's b32decode does.
  const out = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new CredentialError('credential.alphabet');
    buffer = ((buffer << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

export function base32Encode(bytes) {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** A typed code upper-cased, look-alikes mapped, everything but letters and digits dropped (sheet_code.py too). */
export function normaliseCode(code) {
  return Array.from(String(code).toUpperCase())
    .map((ch) => LOOKALIKES[ch] ?? ch)
    .filter((ch) => /[\p{L}\p{N}]/u.test(ch))
    .join('');
}

/** The 32-byte seed of a typed code; throws CredentialError (empty, length, alphabet, checksum). */
export function seedFromCode(code) {
  const text = normaliseCode(code);
  if (!text) throw new CredentialError('credential.empty');
  if (text.length !== CODE_CHARS) throw new CredentialError('credential.length', `${text.length} characters`);
  const raw = base32Decode(text);
  const seed = raw.slice(0, 32);
  if (!equal(checksum(seed), raw.slice(32, 34))) throw new CredentialError('credential.checksum');
  return seed;
}

/** The typed form of a seed: XXXXX-XXXXX-… (used by tests and by a future "fake credential" generator). */
export function codeFromSeed(seed) {
  const text = base32Encode(concat(seed, checksum(seed)));
  return text.match(/.{1,5}/g).join('-');
}

/** {electionId, seed} from the text of a credential file; throws CredentialError. */
export function parseCredentialFile(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CredentialError('credential.file_json');
  }
  if (!value || typeof value !== 'object' || value.format !== 'plebiscite-credential/1') {
    throw new CredentialError('credential.file_format');
  }
  if (typeof value.election_id !== 'string' || typeof value.code !== 'string') {
    throw new CredentialError('credential.file_format');
  }
  return { electionId: value.election_id, seed: seedFromCode(value.code) };
}

/**
 * What building a ballot needs from a credential: its public key (32 bytes, X = x·G) and signatures. The seed is a
 * private field; forget() overwrites it when the voter is done. A seed whose key is 0 is not a credential
 * (probability 2^-252; the registrar never issues one) and is refused.
 */
export class Voter {
  #seed;

  constructor(seed, electionId = null) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new CredentialError('credential.length');
    this.#seed = Uint8Array.from(seed);
    this.electionId = electionId;
    const x = signature.secretKey(this.#seed);
    if (x === 0n) {
      this.forget();
      throw new CredentialError('credential.zero_key');
    }
    this.publicKey = signature.publicKey(x);
  }

  /**
   * The signature R ‖ s of the ballot bytes `message` for the election `fingerprint` (docs/protocol.md §7.1). `rho`
   * is for the test vectors only: the booth leaves it out and a fresh one is drawn.
   */
  sign(fingerprint, message, rho = undefined) {
    if (!this.#seed) throw new Error('credential forgotten');
    return signature.sign(signature.secretKey(this.#seed), this.publicKey, fingerprint, message, rho);
  }

  forget() {
    if (this.#seed) this.#seed.fill(0);
    this.#seed = null;
  }
}
