// Credentials of the coercion-resistant mode (docs/coercion.md §3.2, §3.4, §3.5), mirroring
// src/plebiscite/coercion/{dvproof,credentials,registration,sheet_code}.py:
//
// * the device file `plebiscite-cr-device-credential/1` (σ, V, the roll entry, the designated-verifier proof, the
//   voter's secret y, the election's public values): checked like `plebiscite credential check` does, and faked by
//   simulating the proof's first branch with y (`Credential.fake`);
// * the credential sheet's typed code / QR text (a 16-byte seed of σ, and V): read, and faked with no secret at all
//   (`SheetCredential.fake`).
//
// A real credential and a fake one go through the same code paths, cost the same work and give the same messages:
// nothing here can tell them apart (only the registrar, or all tally trustees together, can).
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import { randomBytes } from '../vendor/noble-hashes/utils.js';
import { concat, equal, fromHex, hex, u64be, utf8 } from './bytes.js';
import { encryptCrBallot } from './crballot.js';
import { base32Decode, base32Encode, CredentialError, normaliseCode } from './credential.js';
import * as G from './group.js';
import { challenge } from './proofs.js';

export const DEVICE_FORMAT = 'plebiscite-cr-device-credential/1';
export const CREDENTIAL_FORMAT = 'plebiscite-cr-credential/1';
const DV_TAG = 'cr-dv-registration';
const FAKE_TAG = utf8('plebiscite/v1/cr-fake');
const SHEET_CHECK_TAG = utf8('plebiscite/v1/cr-sheet-check');
const SHEET_SIGMA_TAG = utf8('plebiscite/v1/cr-sheet-sigma');
const CEREMONY_TAG = utf8('plebiscite/v1/ceremony');
const SEED_BYTES = 16;
const CODE_CHARS = 80;

// --- the election's public values a credential is checked against ----------------------------------------------

/**
 * {electionId, ceremony (32 bytes), electionKey, macKey (Points)} from the board's public entries: the manifest
 * event (entry 0; the ceremony fingerprint hashes its payload's canonical JSON, which is the leaf's own substring)
 * and the registrar's `cr-mac-key` (P is its first commitment). `entries` is the list GET /api/board/entries gives.
 */
export function crContextFromEntries(election, entries) {
  const manifestLeaf = entries.find((e) => e.index === 0 && e.type === 'manifest')?.leaf;
  const head = '{"payload":';
  const tail = ',"type":"manifest"}';
  if (typeof manifestLeaf !== 'string' || !manifestLeaf.startsWith(head) || !manifestLeaf.endsWith(tail)) {
    throw new CredentialError('cr.no_context', 'manifest entry');
  }
  const manifestPayload = JSON.parse(manifestLeaf).payload;
  const raw = utf8(manifestLeaf.slice(head.length, manifestLeaf.length - tail.length));
  const ceremony = G.scalarToBytes(G.hashToScalar(CEREMONY_TAG, raw, u64be(manifestPayload.trustees), u64be(manifestPayload.threshold)));
  const mac = entries.find((e) => e.type === 'cr-mac-key');
  if (!mac) throw new CredentialError('cr.no_context', 'cr-mac-key');
  const macKey = G.elementFromHex(JSON.parse(mac.leaf).payload.commitments?.[0], 'cr-mac-key.commitments[0]');
  return { electionId: election.electionId, ceremony, electionKey: election.publicKey, macKey };
}

// --- the designated-verifier proof (dvproof.py) -------------------------------------------------------------------

/** [G, K, P, Y, A, B, V, W = σ·V] */
function dvStatement(ctx, cred) {
  const w = G.mul(cred.element, cred.sigma);
  return { w, parts: [G.GENERATOR, ctx.electionKey, ctx.macKey, cred.voterKey, cred.entry.a, cred.entry.b, cred.element, w]
    .map((p) => p.toBytes()) };
}

function branch1(ctx, cred, w, c1, z1, z2) {
  return [
    G.mulPublic(G.GENERATOR, z1).subtract(G.mulPublic(cred.entry.a, c1)),
    G.mulPublic(ctx.electionKey, z1).subtract(G.mulPublic(cred.entry.b.subtract(cred.element), c1)),
    G.mulPublic(G.GENERATOR, z2).subtract(G.mulPublic(ctx.macKey, c1)),
    G.mulPublic(cred.element, z2).subtract(G.mulPublic(G.GENERATOR.subtract(w), c1)),
  ].map((p) => p.toBytes());
}

/** Throw CredentialError('cr.proof_bad') unless the OR-proof verifies (what anyone, a coercer too, can check). */
export function verifyDvProof(ctx, cred) {
  const [c1, c2, z1, z2, z3] = cred.proof;
  const { w, parts } = dvStatement(ctx, cred);
  const t5 = G.mulPublic(G.GENERATOR, z3).subtract(G.mulPublic(cred.voterKey, c2)).toBytes();
  const c = challenge(DV_TAG, ctx.ceremony, cred.voterKey.toBytes(), parts, [...branch1(ctx, cred, w, c1, z1, z2), t5]);
  if ((c1 + c2) % G.ORDER !== c) throw new CredentialError('cr.proof_bad');
}

/** The voter's proof for any (σ, V): simulated first branch (c1, z1, z2 drawn first), real second with y (then w3). */
export function simulateDvProof(ctx, cred, voterSecret, random = G.randomScalar) {
  const c1 = random();
  const z1 = random();
  const z2 = random();
  const w3 = random();
  const { w, parts } = dvStatement(ctx, cred);
  const c = challenge(DV_TAG, ctx.ceremony, cred.voterKey.toBytes(), parts, [...branch1(ctx, cred, w, c1, z1, z2), G.mulBase(w3).toBytes()]);
  const c2 = (((c - c1) % G.ORDER) + G.ORDER) % G.ORDER;
  return [c1, c2, z1, z2, (w3 + c2 * voterSecret) % G.ORDER];
}

// --- the device file (registration.py DeviceCredential) ------------------------------------------------------------

const field = (fn, value, what) => {
  try {
    return fn(value, what);
  } catch (e) {
    throw new CredentialError('cr.file_field', e.message);
  }
};

/** The device file's JSON decoded and checked against `ctx`; throws CredentialError whose key names the message. */
export function parseDeviceFile(text, ctx) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CredentialError('credential.file_json');
  }
  if (!value || typeof value !== 'object' || value.format !== DEVICE_FORMAT) {
    throw new CredentialError(value?.format === 'plebiscite-credential/1' ? 'cr.standard_file' : 'credential.file_format');
  }
  const c = value.credential;
  const e = value.election;
  if (!c || typeof c !== 'object' || c.format !== CREDENTIAL_FORMAT || !e || typeof e !== 'object') {
    throw new CredentialError('credential.file_format');
  }
  if (c.election_id !== ctx.electionId || e.election_id !== ctx.electionId) {
    throw new CredentialError('credential.other_election', String(c.election_id));
  }
  // The file must be for the values this board publishes; a file for other values would never be counted.
  if (e.election_key !== hex(ctx.electionKey.toBytes()) || e.mac_key !== hex(ctx.macKey.toBytes())
    || e.ceremony_fingerprint !== hex(ctx.ceremony)) {
    throw new CredentialError('cr.other_values');
  }
  if (!Array.isArray(c.roll_entry) || c.roll_entry.length !== 2 || !Array.isArray(c.proof) || c.proof.length !== 5) {
    throw new CredentialError('cr.file_field', 'roll_entry or proof');
  }
  const cred = {
    voterKey: field(G.elementFromHex, c.voter_key, 'credential.voter_key'),
    entry: { a: field(G.elementFromHex, c.roll_entry[0], 'credential.roll_entry[0]'),
      b: field(G.elementFromHex, c.roll_entry[1], 'credential.roll_entry[1]') },
    sigma: field(G.scalarFromHex, c.sigma, 'credential.sigma'),
    element: field(G.elementFromHex, c.credential, 'credential.credential'),
    proof: c.proof.map((s, i) => field(G.scalarFromHex, s, `credential.proof[${i}]`)),
  };
  const y = field(G.scalarFromHex, value.voter_secret, 'voter_secret');
  if (!G.mulBase(y).equals(cred.voterKey)) throw new CredentialError('cr.file_field', "voter_secret is not the credential's voter key");
  if (cred.element.equals(G.IDENTITY)) throw new CredentialError('cr.file_field', 'credential.credential is the identity');
  verifyDvProof(ctx, cred);
  return { cred, y };
}

/** The device file's text exactly as `plebiscite credential register|fake` writes it (json.dumps, indent=2, ASCII). */
export function deviceFileText(ctx, cred, y) {
  const value = {
    format: DEVICE_FORMAT,
    credential: {
      format: CREDENTIAL_FORMAT,
      election_id: ctx.electionId,
      voter_key: hex(cred.voterKey.toBytes()),
      roll_entry: [hex(cred.entry.a.toBytes()), hex(cred.entry.b.toBytes())],
      sigma: G.scalarToHex(cred.sigma),
      credential: hex(cred.element.toBytes()),
      proof: cred.proof.map(G.scalarToHex),
    },
    voter_secret: G.scalarToHex(y),
    election: {
      election_id: ctx.electionId,
      ceremony_fingerprint: hex(ctx.ceremony),
      election_key: hex(ctx.electionKey.toBytes()),
      mac_key: hex(ctx.macKey.toBytes()),
    },
  };
  // Python's json.dumps escapes every non-ASCII character (ensure_ascii): the same bytes, the same size
  return JSON.stringify(value, null, 2).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A fake of a device credential (Credential.fake): fresh σ' (drawn first), V' = H_G("plebiscite/v1/cr-fake", 32
 * random bytes), the same voter key and roll entry, the proof simulated with y. `fakeBytes` is for the test vectors.
 */
export function fakeDevice(ctx, cred, y, random = G.randomScalar, fakeBytes = randomBytes(32)) {
  const sigma = random();
  const element = G.hashToElement(FAKE_TAG, fakeBytes);
  const fake = { voterKey: cred.voterKey, entry: cred.entry, sigma, element, proof: null };
  fake.proof = simulateDvProof(ctx, fake, y, random);
  return fake;
}

// --- the sheet code (sheet_code.py) --------------------------------------------------------------------------------

export const sheetSigma = (electionId, seed) => G.hashToScalar(SHEET_SIGMA_TAG, utf8(electionId), seed);
const sheetCheck = (electionId, seed, element) => sha256(G.frame(SHEET_CHECK_TAG, utf8(electionId), seed, element)).slice(0, 2);

/** XXXXX-XXXXX-… (16 groups of five): what is typed, and what the QR code holds. */
export function sheetCode(electionId, seed, element) {
  const v = element.toBytes();
  return base32Encode(concat(seed, v, sheetCheck(electionId, seed, v))).match(/.{5}/g).join('-');
}

/** {seed, element} of a typed or scanned code; errors name the reason, never the code. */
export function readSheetCode(electionId, code) {
  const text = normaliseCode(code);
  if (!text) throw new CredentialError('credential.empty');
  if (text.length !== CODE_CHARS) throw new CredentialError('cr.code_length', `${text.length}`);
  const raw = base32Decode(text);
  const seed = raw.slice(0, SEED_BYTES);
  const v = raw.slice(SEED_BYTES, 48);
  if (!equal(sheetCheck(electionId, seed, v), raw.slice(48, 50))) throw new CredentialError('cr.code_checksum');
  let element;
  try {
    element = G.elementFromBytes(v);
  } catch {
    throw new CredentialError('cr.code_element');
  }
  if (element.equals(G.IDENTITY)) throw new CredentialError('cr.code_element');
  return { seed, element };
}

/** A fake sheet (SheetCredential.fake): a random seed and a random element, distributed as a real sheet's. */
export function fakeSheet(seedBytes = randomBytes(SEED_BYTES), fakeBytes = randomBytes(32)) {
  return { seed: seedBytes, element: G.hashToElement(FAKE_TAG, fakeBytes) };
}

// --- what the booth page holds ----------------------------------------------------------------------------------

/**
 * A loaded credential, real or fake (the object cannot know which). σ, V and y are private fields: the page can
 * cast with it, make a fake of it and forget it, never read the secrets; nothing here sends or stores them.
 * `form` is 'file' or 'code' (how it was given, so a fake is offered in the same form).
 */
export class CrCredential {
  #ctx;
  #cred;
  #y;
  #seed;

  constructor(ctx, form, { cred = null, y = null, seed = null, element = null }) {
    this.#ctx = ctx;
    this.form = form;
    if (form === 'file') {
      this.#cred = cred;
      this.#y = y;
    } else {
      this.#seed = Uint8Array.from(seed);
      this.#cred = { sigma: sheetSigma(ctx.electionId, seed), element };
    }
  }

  static fromDeviceFile(text, ctx) {
    return new CrCredential(ctx, 'file', parseDeviceFile(text, ctx));
  }

  static fromCode(code, ctx) {
    return new CrCredential(ctx, 'code', readSheetCode(ctx.electionId, code));
  }

  #live() {
    if (!this.#cred) throw new Error('credential forgotten');
    return this.#cred;
  }

  /** {ballot, trackingCode} of a cr-ballot for `selections`. */
  encrypt(election, selections) {
    return encryptCrBallot(election, this.#live(), selections);
  }

  /** A fake in this credential's form: {form: 'file', text} (a device file) or {form: 'code', code}. */
  makeFake() {
    const cred = this.#live();
    if (this.form === 'file') return { form: 'file', text: deviceFileText(this.#ctx, fakeDevice(this.#ctx, cred, this.#y), this.#y) };
    const fake = fakeSheet();
    return { form: 'code', code: sheetCode(this.#ctx.electionId, fake.seed, fake.element) };
  }

  forget() {
    this.#seed?.fill(0);
    this.#cred = null;
    this.#y = null;
    this.#seed = null;
  }
}
