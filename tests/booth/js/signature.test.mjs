// The ballot signature (ballot-signature.js, docs/protocol.md §7.1): the booth's checkBallot refuses every kind of
// tampered signature under 'ballot.signature' with the Python reference's reason. Where a lenient verifier would
// be fooled, the forgery is made to satisfy the equation s·G = R + c·X (with the vector's secret key), so only the
// rule under test can refuse it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { js, vectors } from './helpers.mjs';

const G = await js('group.js');
const S = await js('ballot-signature.js');
const B = await js('ballot.js');
const { challenge } = await js('proofs.js');
const { electionFromApi } = await js('election.js');
const { Voter, seedFromCode } = await js('credential.js');
const { concat, fromHex, hex } = await js('bytes.js');

const vec = vectors('ballot.json');
const encodings = vectors('encodings.json');
const election = electionFromApi({ manifest: vec.manifest_event, election: { fingerprint: vec.fingerprint,
  public_key: vec.public_key }, phase: 'voting' });
const fp = election.fingerprint;
const x = G.scalarFromHex(vec.credential_secret_key);
const signature = fromHex(vec.ballot.signature, 'signature', 64);
const R = signature.slice(0, 32);
const s = G.scalarFromBytes(signature.slice(32));
const badElements = encodings.elements.filter((v) => !v.valid && /^[0-9a-f]{64}$/.test(v.hex));

/** The vector ballot with `change` applied to a copy (signature and credential as bytes). */
function ballotWith({ sig = signature, credential = fromHex(vec.ballot.credential, 'credential', 32) }) {
  return { ...structuredClone(vec.ballot), credential: hex(credential), signature: hex(sig) };
}

/** The error checkBallot throws for `ballot` (no roll: the signature rules alone decide), as [field, reason]. */
function refused(ballot) {
  try {
    B.checkBallot(ballot, election);
  } catch (e) {
    assert.ok(e instanceof B.BallotError, e.stack);
    return [e.field, e.reason];
  }
  return null;
}

/** R' ‖ le32(s) with s = k + c·x for the challenge over `commitmentBytes`: satisfies s·G = R + c·X if R' reads as k·G. */
function forged(commitmentBytes, k, credential = fromHex(vec.ballot.credential, 'credential', 32), secret = x) {
  const message = B.contentBytes({ ...vec.ballot, credential: hex(credential) });
  const c = challenge(S.TAG, fp, message, [G.GENERATOR.toBytes(), credential], [commitmentBytes]);
  return concat(commitmentBytes, G.scalarToBytes(k + c * secret));
}

const NOT_VERIFIED = ['ballot.signature', "does not verify with the ballot's credential"];

test('the vector ballot passes, and its signature is exactly R ‖ s with s = k + c·x for some k', () => {
  assert.equal(refused(vec.ballot), null);
  assert.equal(S.refusal(fromHex(vec.ballot.credential, 'c', 32), fp, B.contentBytes(vec.ballot), signature), null);
});

test('a changed s is refused, and so is s + ℓ (the same scalar, not its one encoding)', () => {
  assert.deepEqual(refused(ballotWith({ sig: concat(R, G.scalarToBytes(s + 1n)) })), NOT_VERIFIED);
  const wide = new Uint8Array(32);
  let v = s + G.ORDER;
  for (let i = 0; i < 32; i++, v >>= 8n) wide[i] = Number(v & 0xffn);
  assert.deepEqual(refused(ballotWith({ sig: concat(R, wide) })), ['ballot.signature', 's is not a canonical scalar (s ≥ ℓ)']);
  assert.deepEqual(refused(ballotWith({ sig: concat(R, new Uint8Array(32).fill(0xff)) })),
    ['ballot.signature', 's is not a canonical scalar (s ≥ ℓ)']);
});

test('R not canonical is refused: bit 255 set on a forgery that a lenient decoder accepts, and every bad encoding', () => {
  const k = 12345n;
  const R255 = G.mulBase(k).toBytes();
  R255[31] |= 0x80;
  const reason = ['ballot.signature', 'R is not a canonical ristretto255 element'];
  assert.deepEqual(refused(ballotWith({ sig: forged(R255, k) })), reason);
  assert.ok(badElements.length > 10);
  for (const v of badElements) {
    assert.deepEqual(refused(ballotWith({ sig: concat(fromHex(v.hex, 'R', 32), G.scalarToBytes(s)) })), reason, v.why);
  }
});

test('R the identity is refused even when s = c·x satisfies the equation', () => {
  const zero = new Uint8Array(32);
  assert.deepEqual(refused(ballotWith({ sig: forged(zero, 0n) })), ['ballot.signature', 'R is the identity']);
});

test('R changed to another valid element, or R and s of another ballot, are refused', () => {
  const moved = G.elementFromBytes(R).add(G.GENERATOR).toBytes();
  assert.deepEqual(refused(ballotWith({ sig: concat(moved, signature.slice(32)) })), NOT_VERIFIED);
  const voter = new Voter(seedFromCode(vec.credential.code));
  const other = structuredClone(vec.ballot);
  other.answers[0].proofs[0].z[0] = other.answers[0].proofs[0].z[1];
  const otherSignature = voter.sign(fp, B.contentBytes(other));
  assert.equal(S.refusal(fromHex(vec.ballot.credential, 'c', 32), fp, B.contentBytes(other), otherSignature), null);
  assert.deepEqual(refused(ballotWith({ sig: otherSignature })), NOT_VERIFIED);
  // the same ballot bytes signed for another election: the fingerprint is in the challenge
  const elsewhere = voter.sign(new Uint8Array(32).fill(9), B.contentBytes(vec.ballot));
  assert.deepEqual(refused(ballotWith({ sig: elsewhere })), NOT_VERIFIED);
});

test('the credential must be a canonical element and not the identity, even under a signature that satisfies the equation', () => {
  const zero = new Uint8Array(32);
  const k = 777n;
  // X = identity: s = k verifies for anyone (s·G = R + c·0), so only the rule refuses it
  const anyone = forged(G.mulBase(k).toBytes(), k, zero, 0n);
  assert.deepEqual(refused(ballotWith({ sig: anyone, credential: zero })), ['ballot.signature', 'the credential is the identity']);
  const X255 = fromHex(vec.ballot.credential, 'credential', 32);
  X255[31] |= 0x80;
  assert.deepEqual(refused(ballotWith({ sig: forged(G.mulBase(k).toBytes(), k, X255), credential: X255 })),
    ['ballot.signature', 'the credential is not a canonical ristretto255 element']);
});

test('refusal() checks the length itself', () => {
  const X = fromHex(vec.ballot.credential, 'c', 32);
  const message = B.contentBytes(vec.ballot);
  assert.equal(S.refusal(X, fp, message, signature.slice(0, 63)), 'must be 64 bytes');
  assert.equal(S.refusal(X, fp, message, concat(signature, Uint8Array.of(0))), 'must be 64 bytes');
});

test('the nonce is hedged: fresh ρ gives a fresh R each time, and every signature verifies', () => {
  const voter = new Voter(seedFromCode(vec.credential.code));
  const message = B.contentBytes(vec.ballot);
  const X = voter.publicKey;
  const made = [voter.sign(fp, message), voter.sign(fp, message)];
  assert.notEqual(hex(made[0].slice(0, 32)), hex(made[1].slice(0, 32)));
  for (const sig of made) assert.equal(S.refusal(X, fp, message, sig), null);
  // a given ρ is used as given: the vector's ρ gives the vector's signature
  assert.equal(hex(voter.sign(fp, message, fromHex(vec.signature_rho, 'rho', 32))), vec.ballot.signature);
});

test('keys: x from the seed, the zero scalar is no key, a seed is 32 bytes', () => {
  assert.throws(() => S.publicKey(0n), /zero scalar/);
  assert.throws(() => S.publicKey(G.ORDER), /zero scalar/);
  assert.throws(() => S.secretKey(new Uint8Array(31)), /32 bytes/);
  assert.equal(hex(S.publicKey(x)), vec.credential_public_key);
});
