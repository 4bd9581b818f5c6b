// Ballots: encrypt, prove, sign (the voter's side) and check (anyone's side). Mirrors
// src/plebiscite/ballot/{encrypt,check,model,challenge}.py; the bytes signed and the tracking code are those of
// model.py's content_bytes() and tracking_code(), computed straight from the JSON form.
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import { refusal as signatureRefusal } from './ballot-signature.js';
import { FormatError, fromHex, hex, u64be, utf8 } from './bytes.js';
import * as G from './group.js';
import { plaintexts } from './manifest.js';
import { intBytes, proveRange, ProofError, rangeFromJson, rangeToJson, verifyRange } from './proofs.js';

const BALLOT_TAG = utf8('plebiscite/v1/ballot');
const TRACKING_TAG = utf8('plebiscite/v1/tracking-code');

export class BallotError extends FormatError {}

/** Fiat–Shamir context of a 0/1 proof: the voter's credential and the position (no copying between ballots). */
export const optionContext = (credential, q, i) => Uint8Array.from([...credential, ...intBytes(q), ...intBytes(i)]);
export const sumContext = (credential, q) => Uint8Array.from([...credential, ...intBytes(q), ...utf8('sum')]);

export const encrypt = (publicKey, m, r) => ({ a: G.mulBase(r), b: G.mul(publicKey, r).add(G.smallMultipleBase(m)) });

export function weightedSum(cts, weights) {
  let a = G.IDENTITY;
  let b = G.IDENTITY;
  cts.forEach((ct, i) => {
    const w = BigInt(weights[i]);
    a = a.add(w === 1n ? ct.a : G.mulPublic(ct.a, w));
    b = b.add(w === 1n ? ct.b : G.mulPublic(ct.b, w));
  });
  return { a, b };
}

export const ctToJson = (ct) => [G.elementToBytes(ct.a), G.elementToBytes(ct.b)].map(hex);

/**
 * Encrypt and prove every answer (encrypt.py encrypt_answers): `binding` (the voter's public key, or in the
 * coercion-resistant mode the digest of the encrypted credential) goes into every proof's context. `random` draws
 * fresh scalars in encrypt.py's order (per question: all ciphertext randomness, then each 0/1 proof, then the sum
 * proof), which the test vectors rely on. Returns {answers, opening} in their JSON forms.
 */
export function encryptAnswers(election, binding, selections, random = G.randomScalar) {
  const { manifest, layouts, fingerprint: fp, publicKey: key } = election;
  const known = new Set(manifest.questions.map((q) => q.id));
  for (const id of Object.keys(selections)) if (!known.has(id)) throw new BallotError('selections', `unknown question ${id}`);
  const answers = [];
  const opening = { plaintexts: [], randomness: [] };
  manifest.questions.forEach((q, qi) => {
    const lay = layouts[qi];
    if (!(q.id in selections)) throw new BallotError('selections', `question ${q.id}: no answer given`);
    const ms = plaintexts(q, selections[q.id]);
    const rs = ms.map(() => random());
    const cts = ms.map((m, i) => encrypt(key, m, rs[i]));
    const proofs = cts.map((ct, i) => proveRange(key, ct, ms[i], rs[i], 0, 1, fp, optionContext(binding, qi, i), random));
    let sumProof = null;
    if (lay.sumProof) {
      const total = weightedSum(cts, lay.weights);
      const mSum = ms.reduce((acc, m, i) => acc + lay.weights[i] * m, 0);
      const rSum = rs.reduce((acc, r, i) => acc + BigInt(lay.weights[i]) * r, 0n) % G.ORDER;
      sumProof = proveRange(key, total, mSum, rSum, lay.lo, lay.hi, fp, sumContext(binding, qi), random);
    }
    answers.push({
      choices: cts.map(ctToJson),
      proofs: proofs.map(rangeToJson),
      sum_proof: sumProof ? rangeToJson(sumProof) : null,
    });
    opening.plaintexts.push(ms);
    opening.randomness.push(rs.map(G.scalarToHex));
  });
  return { answers, opening };
}

/**
 * Encrypt `selections` (question id → chosen option ids, or ["blank"]) and sign with `voter`.
 *
 * `voter` is anything with `publicKey` (32 bytes) and `sign(fingerprint, message) → 64 bytes` (credential.js: the
 * Schnorr signature R ‖ s of docs/protocol.md §7.1): the seed stays inside it. `random` draws fresh scalars (encryptAnswers' order).
 * Returns {ballot, opening, trackingCode}, ballot and opening in their JSON forms.
 */
export function encryptBallot(election, voter, selections, random = G.randomScalar) {
  const { answers, opening } = encryptAnswers(election, voter.publicKey, selections, random);
  const ballot = { election: hex(election.fingerprint), credential: hex(voter.publicKey), answers, signature: '' };
  ballot.signature = hex(voter.sign(election.fingerprint, contentBytes(ballot)));
  return { ballot, opening, trackingCode: trackingCode(ballot) };
}

/** What the credential signs: model.py's content_bytes(), from a ballot's JSON form (assumed well-formed). */
export function contentBytes(ballot) {
  const parts = [fromHex(ballot.election, 'ballot.election'), fromHex(ballot.credential, 'ballot.credential'),
    u64be(ballot.answers.length)];
  for (const ans of ballot.answers) {
    parts.push(u64be(ans.choices.length));
    for (const [a, b] of ans.choices) parts.push(fromHex(a, 'choice'), fromHex(b, 'choice'));
    for (const proof of [...ans.proofs, ...(ans.sum_proof ? [ans.sum_proof] : [])]) {
      parts.push(u64be(proof.c.length));
      proof.c.forEach((c, i) => parts.push(fromHex(proof.A[i], 'proof.A'), fromHex(proof.B[i], 'proof.B'),
        fromHex(c, 'proof.c'), fromHex(proof.z[i], 'proof.z')));
    }
    parts.push(Uint8Array.of(ans.sum_proof ? 1 : 0));
  }
  return G.frame(BALLOT_TAG, ...parts);
}

/** Hex SHA-256 of the signed ballot: what the voter looks up on the board. */
export function trackingCode(ballot) {
  return hex(sha256(G.frame(TRACKING_TAG, contentBytes(ballot), fromHex(ballot.signature, 'ballot.signature', 64))));
}

/**
 * Decode and fully check a ballot against `election` (structure, signature, every proof); throws BallotError
 * naming the field. `roll` (a Set of hex public keys) is checked when given. The check order follows check.py.
 */
export function checkBallot(value, election, roll = null) {
  const { layouts, fingerprint: fp } = election;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BallotError('ballot', 'expected a JSON object');
  const extra = Object.keys(value).filter((k) => !['election', 'credential', 'answers', 'signature'].includes(k));
  if (extra.length) throw new BallotError('ballot', `unexpected field '${extra.sort()[0]}'`);
  const election32 = fromHex(value.election, 'ballot.election', 32);
  const credential = fromHex(value.credential, 'ballot.credential', 32);
  const signature = fromHex(value.signature, 'ballot.signature', 64);
  if (!Array.isArray(value.answers) || value.answers.length !== layouts.length) {
    throw new BallotError('ballot.answers', `expected ${layouts.length} answers`);
  }
  const decoded = value.answers.map((raw, q) => decodeAnswer(raw, layouts[q], `ballot.answers[${q}]`));
  if (hex(election32) !== hex(fp)) throw new BallotError('ballot.election', 'made for another election (fingerprint differs)');
  if (roll && !roll.has(value.credential.toLowerCase())) throw new BallotError('ballot.credential', 'not on the roll');
  const refused = signatureRefusal(credential, election32, contentBytes(value), signature);
  if (refused) throw new BallotError('ballot.signature', refused);
  verifyAnswers(decoded, election, credential);
  return decoded;
}

/** Every 0/1 and sum proof of decoded answers, with `binding` in their contexts; throws BallotError naming the proof. */
export function verifyAnswers(decoded, election, binding) {
  const { layouts, fingerprint: fp, publicKey: key } = election;
  decoded.forEach((ans, q) => {
    ans.choices.forEach((ct, i) => {
      if (ct.a.equals(G.IDENTITY)) {
        throw new BallotError(`ballot.answers[${q}].choices[${i}][0]`, 'the identity (the vote would be in clear)');
      }
      try {
        verifyRange(ans.proofs[i], key, ct, 0, 1, fp, optionContext(binding, q, i));
      } catch (e) {
        throw new BallotError(`ballot.answers[${q}].proofs[${i}]`, e.message);
      }
    });
    if (ans.sumProof) {
      const lay = layouts[q];
      try {
        verifyRange(ans.sumProof, key, weightedSum(ans.choices, lay.weights), lay.lo, lay.hi, fp, sumContext(binding, q));
      } catch (e) {
        throw new BallotError(`ballot.answers[${q}].sum_proof`, e.message);
      }
    }
  });
}

export function decodeAnswer(raw, lay, where) {
  if (!raw || typeof raw !== 'object' || Object.keys(raw).sort().join() !== 'choices,proofs,sum_proof') {
    throw new BallotError(where, 'expected keys choices, proofs, sum_proof');
  }
  if (!Array.isArray(raw.choices) || raw.choices.length !== lay.width) {
    throw new BallotError(`${where}.choices`, `expected ${lay.width} ciphertexts`);
  }
  if (!Array.isArray(raw.proofs) || raw.proofs.length !== lay.width) {
    throw new BallotError(`${where}.proofs`, `expected ${lay.width} proofs`);
  }
  try {
    const choices = raw.choices.map((c, i) => decodeCiphertext(c, `${where}.choices[${i}]`));
    const proofs = raw.proofs.map((p, i) => rangeFromJson(p, 2, `${where}.proofs[${i}]`));
    let sumProof = null;
    if (!lay.sumProof) {
      if (raw.sum_proof !== null) throw new BallotError(`${where}.sum_proof`, 'must be null for this question');
    } else {
      sumProof = rangeFromJson(raw.sum_proof, lay.hi - lay.lo + 1, `${where}.sum_proof`);
    }
    return { choices, proofs, sumProof };
  } catch (e) {
    if (e instanceof BallotError) throw e;
    if (e instanceof ProofError) throw new BallotError(where, e.message);
    throw new BallotError(e.field ?? where, e.reason ?? e.message);
  }
}

export function decodeCiphertext(value, what) {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'string')) {
    throw new BallotError(what, 'expected a list of two hex elements');
  }
  return { a: G.elementFromHex(value[0], `${what}[0]`), b: G.elementFromHex(value[1], `${what}[1]`) };
}

/**
 * Check a Benaloh opening against the ballot's ciphertexts (a = r·G, b = r·K + m·G, m ∈ {0, 1}) and return the
 * plaintexts; throws BallotError when any ciphertext does not open to the claimed value.
 */
export function checkOpening(ballot, opening, publicKey) {
  const shape = ballot.answers.map((a) => a.choices.length);
  const sameShape = (rows) => Array.isArray(rows) && rows.length === shape.length && rows.every((r, i) => Array.isArray(r) && r.length === shape[i]);
  if (!sameShape(opening?.plaintexts)) throw new BallotError('opening.plaintexts', 'shape does not match the ballot');
  if (!sameShape(opening?.randomness)) throw new BallotError('opening.randomness', 'shape does not match the ballot');
  ballot.answers.forEach((ans, q) => {
    ans.choices.forEach(([a, b], i) => {
      const m = opening.plaintexts[q][i];
      if (m !== 0 && m !== 1) throw new BallotError(`opening.plaintexts[${q}]`, 'each value must be 0 or 1');
      const r = G.scalarFromHex(opening.randomness[q][i], `opening.randomness[${q}][${i}]`);
      const ct = encrypt(publicKey, m, r);
      if (hex(ct.a.toBytes()) !== a.toLowerCase() || hex(ct.b.toBytes()) !== b.toLowerCase()) {
        throw new BallotError('opening', `ciphertext answers[${q}].choices[${i}] does not open to the claimed value`);
      }
    });
  });
  return opening.plaintexts;
}
