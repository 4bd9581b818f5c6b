// The booth's JavaScript reproduces tests/vectors/*.json (made by the Python core) byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { js, replay, vectors } from './helpers.mjs';

const G = await js('group.js');
const P = await js('proofs.js');
const B = await js('ballot.js');
const { electionFromApi } = await js('election.js');
const S = await js('ballot-signature.js');
const { Voter, seedFromCode, parseCredentialFile } = await js('credential.js');
const { hex, fromHex, utf8 } = await js('bytes.js');

const group = vectors('group.json');
const proofs = vectors('proofs.json');
const ballotVec = vectors('ballot.json');

test('generator, base multiplications and small multiples', () => {
  assert.equal(hex(G.GENERATOR.toBytes()), group.generator);
  for (const v of group.mul_base) assert.equal(hex(G.mulBase(G.scalarFromHex(v.scalar)).toBytes()), v.element);
  group.small_multiples.forEach((e, m) => assert.equal(hex(G.smallMultipleBase(m).toBytes()), e));
});

test('frame, hash_to_scalar and hash_to_element', () => {
  for (const v of group.hash_to_scalar) {
    const parts = v.parts.map((p) => fromHex(p, 'part'));
    assert.equal(hex(G.frame(utf8(v.domain), ...parts)), v.frame);
    assert.equal(G.scalarToHex(G.hashToScalar(utf8(v.domain), ...parts)), v.scalar);
  }
  for (const v of group.hash_to_element) {
    const parts = v.parts.map((p) => fromHex(p, 'part'));
    assert.equal(hex(G.hashToElement(utf8(v.domain), ...parts).toBytes()), v.element);
  }
});

test('range proofs: same proof from the same nonces, and it verifies', () => {
  const fp = fromHex(proofs.fingerprint, 'fp');
  const ctx = fromHex(proofs.context, 'ctx');
  assert.equal(proofs.range.length, 3);
  for (const v of proofs.range) {
    const key = G.elementFromHex(v.public_key);
    const r = G.scalarFromHex(v.r);
    const ct = B.encrypt(key, v.m, r);
    assert.deepEqual([hex(ct.a.toBytes()), hex(ct.b.toBytes())], v.ciphertext);
    const random = replay(v.nonces, G);
    const proof = P.proveRange(key, ct, v.m, r, v.lo, v.hi, fp, ctx, random);
    assert.equal(random.used(), v.nonces.length, 'every nonce drawn, in order');
    assert.deepEqual(P.rangeToJson(proof), v.proof);
    P.verifyRange(P.rangeFromJson(v.proof, v.hi - v.lo + 1), key, ct, v.lo, v.hi, fp, ctx);
    // a proof checked against another context must fail: the context is in the challenge
    assert.throws(() => P.verifyRange(proof, key, ct, v.lo, v.hi, fp, utf8('other')), P.ProofError);
    // every altered commitment, challenge or response is rejected (z is not hashed: only the equations catch it)
    const last = proof.c.length - 1;
    const altered = [
      { ...proof, A: proof.A.map((x, i) => (i === last ? x.add(G.GENERATOR) : x)) },
      { ...proof, B: proof.B.map((x, i) => (i === 0 ? x.add(G.GENERATOR) : x)) },
      { ...proof, c: proof.c.map((x, i) => (i === last ? (x + 1n) % G.ORDER : x)) },
      { ...proof, z: proof.z.map((x, i) => (i === last ? (x + 1n) % G.ORDER : x)) },
    ];
    for (const bad of altered) assert.throws(() => P.verifyRange(bad, key, ct, v.lo, v.hi, fp, ctx), P.ProofError);
  }
});

function vectorElection() {
  return electionFromApi({
    manifest: ballotVec.manifest_event,
    election: { fingerprint: ballotVec.fingerprint, public_key: ballotVec.public_key },
    phase: 'voting',
  });
}

test('credential code decodes to the seed whose secret and public keys are in the vector', () => {
  const { electionId, seed } = parseCredentialFile(JSON.stringify(ballotVec.credential));
  assert.equal(electionId, 'vector-election');
  assert.equal(G.scalarToHex(S.secretKey(seed)), ballotVec.credential_secret_key);
  assert.equal(hex(S.publicKey(S.secretKey(seed))), ballotVec.credential_public_key);
  assert.equal(hex(new Voter(seed).publicKey), ballotVec.credential_public_key);
  assert.deepEqual(seedFromCode(ballotVec.credential.code), seed);
});

test('ballot: same ciphertexts, proofs, signed bytes, signature and tracking code from the same nonces and ρ', () => {
  const election = vectorElection();
  const voter = new Voter(seedFromCode(ballotVec.credential.code));
  const rho = fromHex(ballotVec.signature_rho, 'rho', 32);
  const signer = { publicKey: voter.publicKey, sign: (fp, message) => voter.sign(fp, message, rho) };
  const random = replay(ballotVec.nonces, G);
  const made = B.encryptBallot(election, signer, ballotVec.selections, random);
  assert.equal(random.used(), ballotVec.nonces.length);
  assert.deepEqual(made.ballot, ballotVec.ballot);
  assert.equal(hex(B.contentBytes(made.ballot)), ballotVec.content_bytes);
  assert.equal(made.trackingCode, ballotVec.tracking_code);
  assert.deepEqual(made.opening, ballotVec.opening);
});

test('the Python ballot verifies in JS, and a tampered one does not', () => {
  const election = vectorElection();
  const roll = new Set(ballotVec.roll);
  B.checkBallot(ballotVec.ballot, election, roll);
  const tampered = structuredClone(ballotVec.ballot);
  tampered.answers[2].proofs[1].z[0] = tampered.answers[2].proofs[0].z[0];
  assert.throws(() => B.checkBallot(tampered, election), /signature/);
  assert.throws(() => B.checkBallot(ballotVec.ballot, election, new Set()), /not on the roll/);
  const opened = B.checkOpening(ballotVec.ballot, ballotVec.opening, election.publicKey);
  assert.deepEqual(opened, ballotVec.opening.plaintexts);
});
