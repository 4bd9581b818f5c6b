// verifyConsistency (RFC 9162 §2.1.4.2) against proofs made by the Python core's MerkleTree, and tampered proofs
// judged by both: JS must give plebiscite.merkle.verify_consistency's verdict on every case, with the same reason,
// accept every honest proof and refuse every tampered one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { js } from './helpers.mjs';
import { python } from './oracle.mjs';

const M = await js('merkle.js');
const { fromHex, hex } = await js('bytes.js');

const SIZE = 1030;
const pairs = [];
for (let n = 0; n <= 20; n++) for (let m = 0; m <= n; m++) pairs.push([m, n]);
// around powers of two (where the old root is prepended, not sent) and sizes past 2^10
const edges = [1, 2, 3, 5, 8, 31, 32, 33, 63, 64, 65, 127, 128, 129, 500, 511, 512, 513, 1000, 1023, 1024, 1025, 1030];
for (const n of edges) for (const m of edges) if (m < n && n > 20) pairs.push([m, n]);
const tree = python('tree', { size: SIZE, pairs, inclusions: [] });
const roots = tree.roots;

const verdict = (c) => {
  try {
    M.verifyConsistency(c.first, c.second, fromHex(c.first_root), fromHex(c.second_root), c.proof.map((h) => fromHex(h)));
    return null;
  } catch (e) {
    assert.ok(e instanceof M.MerkleError, `not a MerkleError: ${e}`);
    assert.equal(e.key, 'board.consistency', e.message);
    return e.detail;
  }
};
const honest = tree.consistency.map(({ first, second, proof }) =>
  ({ first, second, first_root: roots[first], second_root: roots[second], proof }));
const flip = (h) => (h[0] === '0' ? '1' : '0') + h.slice(1);
const OTHER = 'ab'.repeat(32);

function tampered() {
  const cases = [];
  const add = (kind, c) => cases.push({ kind, ...c });
  for (const c of honest) {
    const { first: m, second: n, proof } = c;
    add('wrong first root', { ...c, first_root: flip(c.first_root) });
    // an empty tree is a prefix of every tree: with first = 0 any second root is consistent
    if (m > 0) add('wrong second root', { ...c, second_root: flip(c.second_root) });
    if (m > 0 && m < n) {
      proof.forEach((_, i) => add('wrong proof element', { ...c, proof: proof.map((h, j) => (i === j ? flip(h) : h)) }));
      add('truncated proof', { ...c, proof: proof.slice(0, -1) });
      add('proof without its first hash', { ...c, proof: proof.slice(1) });
      add('proof with an extra hash', { ...c, proof: [...proof, OTHER] });
      add('proof with two hashes swapped', proof.length > 1 ? { ...c, proof: [proof[1], proof[0], ...proof.slice(2)] } : null);
      add('first > second', { ...c, first: n, second: m, first_root: c.second_root, second_root: c.first_root });
      if (n + 1 <= SIZE) add('another second size', { ...c, second: n + 1, second_root: roots[n + 1] });
      if (m + 1 < n) add('another first size', { ...c, first: m + 1, first_root: roots[m + 1] });
    }
    if (m === 0) {
      add('first = 0 with a proof', { ...c, proof: [OTHER] });
    }
    if (m === n) {
      add('first = second with a proof', { ...c, proof: [OTHER] });
      if (m > 0) add('first = second, two roots', { ...c, second_root: roots[m - 1] });
    }
  }
  return cases.filter((c) => c.first !== undefined);
}

test('every honest proof from the Python tree verifies, sizes 0..1030', () => {
  assert.ok(honest.length > 400, `${honest.length} vectors: the generator is broken`);
  assert.ok(honest.some((c) => c.first > 0 && c.first < c.second && c.proof.length >= 10), 'no long proofs');
  for (const c of honest) assert.equal(verdict(c), null, `${c.first} -> ${c.second}`);
});

test('tampered proofs, roots and sizes are refused, exactly when Python refuses them', () => {
  const cases = tampered();
  const kinds = new Set(cases.map((c) => c.kind));
  for (const k of ['wrong first root', 'wrong second root', 'wrong proof element', 'truncated proof', 'first > second',
    'first = 0 with a proof', 'first = second with a proof', 'first = second, two roots']) assert.ok(kinds.has(k), k);
  const py = python('verify', { cases });
  assert.equal(py.length, cases.length);
  const disagree = [];
  for (const [i, c] of cases.entries()) {
    const js = verdict(c);
    // the same check must fire first: Python says "MerkleProofError: <reason>", JS's MerkleError carries <reason>
    const expected = py[i] === null ? null : py[i].replace(/^MerkleProofError: /, '');
    if (js !== expected) disagree.push(`${c.kind} ${c.first}->${c.second}: js ${js}, python ${py[i]}`);
    if (js === null) disagree.push(`${c.kind} ${c.first}->${c.second}: accepted`);
  }
  assert.deepEqual(disagree, []);
});

test('degenerate sizes: 0 -> n needs the empty root and no proof; n -> n needs equal roots and no proof', () => {
  const empty = roots[0];
  assert.equal(empty, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(verdict({ first: 0, second: 7, first_root: empty, second_root: roots[7], proof: [] }), null);
  assert.match(verdict({ first: 0, second: 7, first_root: roots[1], second_root: roots[7], proof: [] }), /empty-tree root/);
  assert.equal(verdict({ first: 0, second: 0, first_root: empty, second_root: empty, proof: [] }), null);
  assert.equal(verdict({ first: 7, second: 7, first_root: roots[7], second_root: roots[7], proof: [] }), null);
  assert.match(verdict({ first: 7, second: 7, first_root: roots[7], second_root: roots[6], proof: [] }), /two different roots/);
  assert.match(verdict({ first: 8, second: 7, first_root: roots[8], second_root: roots[7], proof: [] }), /larger than/);
  assert.match(verdict({ first: 3, second: 7, first_root: roots[3], second_root: roots[7], proof: [] }), /empty proof/);
});

test('malformed input is a malformed answer, not a verdict on the board', () => {
  const r = fromHex(roots[3]);
  const key = (f) => {
    try {
      f();
      return null;
    } catch (e) {
      return e.key;
    }
  };
  assert.equal(key(() => M.verifyConsistency(1.5, 3, r, r, [])), 'board.malformed');
  assert.equal(key(() => M.verifyConsistency(-1, 3, r, r, [])), 'board.malformed');
  assert.equal(key(() => M.verifyConsistency(1, 3, r.slice(1), r, [])), 'board.malformed');
  assert.equal(key(() => M.verifyConsistency(1, 3, r, r, [hex(r)])), 'board.malformed');
  assert.equal(key(() => M.verifyConsistency(1, 3, r, r, 'proof')), 'board.malformed');
});
