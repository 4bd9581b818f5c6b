// The coercion-resistant ballot (docs/coercion.md §4), mirroring src/plebiscite/coercion/ballot.py byte for byte:
// C1 = Enc_K(V; t1), C2 = Enc_K(σ·V; t2), the standard answers with `binding` = SHA-256(C1, C2) in the proofs'
// contexts, and a proof of knowledge of t1, σ and t' = t2 − σ·t1 whose challenge hashes the whole content.
//
// Nothing here knows or could know whether (σ, V) is a real credential: the ballot of a fake one is made and
// checked by exactly the same steps.
import { sha256 } from '../vendor/noble-hashes/sha2.js';
import { fromHex, hex, utf8 } from './bytes.js';
import { BallotError, contentBytes, ctToJson, decodeAnswer, decodeCiphertext, encryptAnswers, verifyAnswers } from './ballot.js';
import * as G from './group.js';
import { challenge, ProofError } from './proofs.js';

const BINDING_TAG = utf8('plebiscite/v1/cr-ballot-binding');
const BALLOT_TAG = utf8('plebiscite/v1/cr-ballot');
const TRACKING_TAG = utf8('plebiscite/v1/cr-tracking-code');
const PROOF_TAG = 'cr-ballot-credential';
const PROOF_CONTEXT = utf8('cr-ballot');
const KEYS = ['answers', 'credential', 'election', 'mac', 'proof'];

const bytesOf = (pair, what) => [fromHex(pair[0], `${what}[0]`, 32), fromHex(pair[1], `${what}[1]`, 32)];

/** SHA-256(frame("plebiscite/v1/cr-ballot-binding", C1.a, C1.b, C2.a, C2.b)) from the JSON pairs. */
export function bindingOf(credential, mac) {
  return sha256(G.frame(BINDING_TAG, ...bytesOf(credential, 'ballot.credential'), ...bytesOf(mac, 'ballot.mac')));
}

/**
 * content = frame("plebiscite/v1/cr-ballot", fp, C1.a, C1.b, C2.a, C2.b, votes_bytes), where votes_bytes is the
 * standard ballot content of (fp, binding, answers) — what the credential proof's challenge hashes.
 */
export function crContentBytes(ballot) {
  const binding = bindingOf(ballot.credential, ballot.mac);
  const votes = contentBytes({ election: ballot.election, credential: hex(binding), answers: ballot.answers });
  return G.frame(BALLOT_TAG, fromHex(ballot.election, 'ballot.election', 32), ...bytesOf(ballot.credential, 'ballot.credential'),
    ...bytesOf(ballot.mac, 'ballot.mac'), votes);
}

/** SHA-256(frame("plebiscite/v1/cr-tracking-code", content, c, z1, zσ, zt)) in hex (cr_tracking_code_of). */
export function crTrackingCode(ballot) {
  if (!Array.isArray(ballot.proof) || ballot.proof.length !== 4) throw new BallotError('ballot.proof', 'expected 4 scalars');
  const proof = ballot.proof.map((s, i) => G.scalarToBytes(G.scalarFromHex(s, `ballot.proof[${i}]`)));
  return hex(sha256(G.frame(TRACKING_TAG, crContentBytes(ballot), ...proof)));
}

const statement = (key, c1, c2, content) => [G.GENERATOR.toBytes(), key.toBytes(), c1.a.toBytes(), c1.b.toBytes(),
  c2.a.toBytes(), c2.b.toBytes(), content];

/**
 * Encrypt `selections` with the credential (σ, V) — `credential` is {sigma: BigInt, element: Point}.
 * `random` draws in coercion/ballot.py's order: t1, t2, the answers' draws, then w1, wσ, wt.
 * Returns {ballot, trackingCode}; there is no opening to keep (no Benaloh challenge in this mode).
 */
export function encryptCrBallot(election, credential, selections, random = G.randomScalar) {
  const { fingerprint: fp, publicKey: key } = election;
  const { sigma, element } = credential;
  const t1 = random();
  const t2 = random();
  const c1 = { a: G.mulBase(t1), b: G.mul(key, t1).add(element) };
  const c2 = { a: G.mulBase(t2), b: G.mul(key, t2).add(G.mul(element, sigma)) };
  const ballot = { election: hex(fp), credential: ctToJson(c1), mac: ctToJson(c2), answers: null, proof: null };
  ({ answers: ballot.answers } = encryptAnswers(election, bindingOf(ballot.credential, ballot.mac), selections, random));
  const tPrime = (((t2 - sigma * t1) % G.ORDER) + G.ORDER) % G.ORDER;
  const w1 = random();
  const ws = random();
  const wt = random();
  const commitments = [
    G.mulBase(w1),
    G.mul(c1.a, ws).add(G.mulBase(wt)),
    G.mul(c1.b, ws).add(G.mul(key, wt)),
  ].map((p) => p.toBytes());
  const c = challenge(PROOF_TAG, fp, PROOF_CONTEXT, statement(key, c1, c2, crContentBytes(ballot)), commitments);
  ballot.proof = [c, (w1 + c * t1) % G.ORDER, (ws + c * sigma) % G.ORDER, (wt + c * tPrime) % G.ORDER].map(G.scalarToHex);
  return { ballot, trackingCode: crTrackingCode(ballot) };
}

/**
 * Decode and check a cr-ballot as the board does (check_ballot: shape, fingerprint, credential proof, vote
 * proofs); throws BallotError naming the field. Whether the credential is real is not decidable here or anywhere
 * without the trustees.
 */
export function checkCrBallot(value, election) {
  const { layouts, fingerprint: fp, publicKey: key } = election;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BallotError('ballot', 'expected a JSON object');
  if (Object.keys(value).sort().join() !== KEYS.join()) throw new BallotError('ballot', `expected exactly the fields ${KEYS.join(', ')}`);
  const election32 = fromHex(value.election, 'ballot.election', 32);
  if (!Array.isArray(value.answers) || value.answers.length !== layouts.length) {
    throw new BallotError('ballot.answers', `expected ${layouts.length} answers`);
  }
  const decoded = value.answers.map((raw, q) => decodeAnswer(raw, layouts[q], `ballot.answers[${q}]`));
  const c1 = decodeCiphertext(value.credential, 'ballot.credential');
  const c2 = decodeCiphertext(value.mac, 'ballot.mac');
  if (!Array.isArray(value.proof) || value.proof.length !== 4) throw new BallotError('ballot.proof', 'expected 4 scalars');
  const [c, z1, zs, zt] = value.proof.map((s, i) => G.scalarFromHex(s, `ballot.proof[${i}]`));
  if (hex(election32) !== hex(fp)) throw new BallotError('ballot.election', 'made for another election (fingerprint differs)');
  for (const [name, ct] of [['credential', c1], ['mac', c2]]) {
    if (ct.a.equals(G.IDENTITY)) throw new BallotError(`ballot.${name}[0]`, 'the identity (the credential would be in clear)');
  }
  const commitments = [
    G.mulPublic(G.GENERATOR, z1).subtract(G.mulPublic(c1.a, c)),
    G.mulPublic(c1.a, zs).add(G.mulPublic(G.GENERATOR, zt)).subtract(G.mulPublic(c2.a, c)),
    G.mulPublic(c1.b, zs).add(G.mulPublic(key, zt)).subtract(G.mulPublic(c2.b, c)),
  ].map((p) => p.toBytes());
  if (challenge(PROOF_TAG, fp, PROOF_CONTEXT, statement(key, c1, c2, crContentBytes(value)), commitments) !== c) {
    throw new BallotError('ballot.proof', 'the credential proof does not verify');
  }
  verifyAnswers(decoded, election, bindingOf(value.credential, value.mac));
  return decoded;
}

export { ProofError };
