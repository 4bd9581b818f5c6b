// Strong Fiat–Shamir challenges and the disjunctive range proof, mirroring src/plebiscite/proofs/{transcript,range}.py.
//
// The prover draws its randomness in exactly the Python order — w first, then for each simulated branch c_i then
// z_i — so that, fed the same scalars, both implementations produce the same bytes (tests/vectors/proofs.json).
import { u64be, utf8 } from './bytes.js';
import * as G from './group.js';

export const PROTOCOL = 'plebiscite/v1/';
export const RANGE_TAG = 'range';

export class ProofError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProofError';
  }
}

/** Integers in statements (range bounds, indices) as 8-byte big-endian. */
export const intBytes = (n) => u64be(n);

/** H(tag, fingerprint, context, |statement|, statement…, commitments…) as a scalar. */
export function challenge(tag, fingerprint, context, statement, commitments) {
  return G.hashToScalar(utf8(PROTOCOL + tag), fingerprint, context, intBytes(statement.length), ...statement, ...commitments);
}

const statementOf = (publicKey, ct, lo, hi) => [
  G.GENERATOR.toBytes(), publicKey.toBytes(), ct.a.toBytes(), ct.b.toBytes(), intBytes(lo), intBytes(hi),
];

/**
 * Prove that ct = Enc(m; r) with lo ≤ m ≤ hi. `random` returns fresh non-zero scalars (G.randomScalar in the
 * booth; a fixed stream in the vector tests). Returns {A: [Point], B: [Point], c: [BigInt], z: [BigInt]} for
 * branches lo..hi: the commitments travel with the proof so that verifiers can batch-check it (range.py).
 */
export function proveRange(publicKey, ct, m, r, lo, hi, fingerprint, context, random = G.randomScalar) {
  if (!(lo <= m && m <= hi)) throw new RangeError('plaintext outside the range being proved');
  const n = hi - lo + 1;
  const cs = new Array(n).fill(0n);
  const zs = new Array(n).fill(0n);
  const A = [];
  const B = [];
  const w = random();
  const real = m - lo;
  for (let i = 0; i < n; i++) {
    if (i === real) {
      A.push(G.mulBase(w));
      B.push(G.mul(publicKey, w));
      continue;
    }
    cs[i] = random();
    zs[i] = random();
    // simulated branch: commitments chosen so that the branch verifies for the random (c_i, z_i)
    const shifted = ct.b.subtract(G.smallMultipleBase(lo + i));
    A.push(G.mulPublic(G.GENERATOR, zs[i]).subtract(G.mulPublic(ct.a, cs[i])));
    B.push(G.mulPublic(publicKey, zs[i]).subtract(G.mulPublic(shifted, cs[i])));
  }
  const c = challenge(RANGE_TAG, fingerprint, context, statementOf(publicKey, ct, lo, hi), interleaved(A, B));
  const others = cs.reduce((acc, x) => acc + x, 0n);
  cs[real] = (((c - others) % G.ORDER) + G.ORDER) % G.ORDER;
  zs[real] = (w + cs[real] * r) % G.ORDER;
  return { A, B, c: cs, z: zs };
}

const interleaved = (A, B) => A.flatMap((a, i) => [a.toBytes(), B[i].toBytes()]);

/**
 * Throw ProofError unless the proof shows ct encrypts some m in [lo, hi]. This checks every branch's two
 * equations exactly (A_j = z_j·G − c_j·a, B_j = z_j·K − c_j·(b − j·G)); the Python verifier checks random linear
 * combinations of the same equations, which accepts the same proofs except with probability ≤ 2^-128.
 */
export function verifyRange(proof, publicKey, ct, lo, hi, fingerprint, context) {
  const n = hi - lo + 1;
  if ([proof.A, proof.B, proof.c, proof.z].some((list) => list.length !== n)) {
    throw new ProofError(`range proof: expected ${n} branches`);
  }
  const expected = challenge(RANGE_TAG, fingerprint, context, statementOf(publicKey, ct, lo, hi), interleaved(proof.A, proof.B));
  const sum = proof.c.reduce((acc, x) => acc + x, 0n) % G.ORDER;
  if (sum !== expected) throw new ProofError('range proof: challenges do not add up to the Fiat–Shamir challenge');
  for (let i = 0; i < n; i++) {
    const j = lo + i;
    const shifted = j === 0 ? ct.b : ct.b.subtract(G.smallMultipleBase(j));
    const a = G.mulPublic(G.GENERATOR, proof.z[i]).subtract(G.mulPublic(ct.a, proof.c[i]));
    const b = G.mulPublic(publicKey, proof.z[i]).subtract(G.mulPublic(shifted, proof.c[i]));
    if (!a.equals(proof.A[i])) throw new ProofError("range proof: a branch's equation on a does not hold");
    if (!b.equals(proof.B[i])) throw new ProofError("range proof: a branch's equation on b does not hold");
  }
}

export const rangeToJson = (p) => ({
  A: p.A.map((x) => x.toHex()),
  B: p.B.map((x) => x.toHex()),
  c: p.c.map(G.scalarToHex),
  z: p.z.map(G.scalarToHex),
});

export function rangeFromJson(value, branches, what = 'range proof') {
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).sort().join() !== 'A,B,c,z') {
    throw new ProofError(`${what}: expected an object with keys A, B, c and z`);
  }
  const decode = (list, key, kind, fromHex) => {
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
      throw new ProofError(`${what}.${key}: expected a list of hex ${kind}s`);
    }
    if (list.length !== branches) throw new ProofError(`${what}.${key}: expected ${branches} ${kind}s, got ${list.length}`);
    try {
      return list.map((v, i) => fromHex(v, `${what}.${key}[${i}]`));
    } catch (e) {
      throw new ProofError(e.message);
    }
  };
  return {
    A: decode(value.A, 'A', 'element', G.elementFromHex),
    B: decode(value.B, 'B', 'element', G.elementFromHex),
    c: decode(value.c, 'c', 'scalar', G.scalarFromHex),
    z: decode(value.z, 'z', 'scalar', G.scalarFromHex),
  };
}
