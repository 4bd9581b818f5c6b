// checkHistory (live.js) against a scripted board: the Python core's tree gives roots and proofs, the test signs heads
// with a throwaway key, and the board's answers are then altered one at a time. Every evidence file the booth offers
// is handed to plebiscite.merkle.verify_heads_consistent, which must call it a fork.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { js, STATIC } from './helpers.mjs';
import { python } from './oracle.mjs';

const M = await js('merkle.js');
const L = await js('live.js');
const { ApiError } = await js('api.js');
const { fromHex, hex } = await js('bytes.js');
const { ed25519 } = await import(join(STATIC, 'vendor/noble-curves/ed25519.js'));

const [M_SIZE, N_SIZE, INDEX] = [5, 13, 3];
const tree = python('tree', { size: N_SIZE, pairs: [[M_SIZE, N_SIZE]], inclusions: [[INDEX, M_SIZE], [INDEX, N_SIZE], [2, N_SIZE]] });
const seed = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
const boardKey = ed25519.getPublicKey(seed);

function sign(size, root, timestamp = 1700000000000 + size, key = seed) {
  const head = { log_id: M.logIdFor(ed25519.getPublicKey(key)), tree_size: size, root_hash: root, timestamp, signature: '' };
  head.signature = hex(ed25519.sign(M.treeHeadSigningBytes(head), key));
  return head;
}

const first = sign(M_SIZE, tree.roots[M_SIZE]);
const latest = sign(N_SIZE, tree.roots[N_SIZE]);
const receipt = { index: INDEX, tree_head: first, board_key: hex(boardKey), leaf: tree.leaves[INDEX],
  inclusion_proof: tree.inclusion[0].proof };
const consistencyPath = `board/consistency?first=${M_SIZE}&second=${N_SIZE}`;
const inclusionPath = `board/inclusion?index=${INDEX}&size=${N_SIZE}`;

/** The honest board's answers, with `changes` (path → answer, or an Error to throw) applied; records what was asked. */
function board(changes = {}) {
  const answers = {
    'board/key': { public_key: hex(boardKey) },
    'board/head': latest,
    [consistencyPath]: { first: M_SIZE, second: N_SIZE, proof: tree.consistency[0].proof },
    [inclusionPath]: { index: INDEX, tree_size: N_SIZE, proof: tree.inclusion[1].proof, tree_head: latest, leaf: tree.leaves[INDEX] },
    ...changes,
  };
  const asked = [];
  const get = async (path) => {
    asked.push(path);
    const answer = answers[path];
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw new ApiError('not_found', 404, `no ${path}`);
    return structuredClone(answer);
  };
  return { get, asked };
}

async function run(changes, r = receipt) {
  const b = board(changes);
  const steps = [];
  try {
    await L.checkHistory(r, { get: b.get, step: (key) => steps.push(key) });
    return { ok: true, steps, asked: b.asked };
  } catch (err) {
    return { ok: false, err, steps, asked: b.asked };
  }
}

const flip = (h) => (h[0] === '0' ? '1' : '0') + h.slice(1);
const evidences = [];

async function alarm(changes, key, reasonKey, r = receipt) {
  const out = await run(changes, r);
  assert.equal(out.ok, false, `expected ${key}`);
  assert.ok(out.err instanceof L.BoardAlarm, String(out.err));
  assert.equal(out.err.key, key, out.err.message);
  assert.equal(out.err.reason.key, reasonKey, out.err.message);
  if (key === 'alarm.rewritten') {
    const e = out.err.evidence;
    assert.deepEqual(Object.keys(e).sort(), ['first', 'proof', 'reason', 'second']);
    assert.deepEqual(e.first, r.tree_head);
    evidences.push(e);
  } else {
    assert.equal(out.err.evidence, null, 'no evidence without two signed heads that contradict each other');
  }
  return out;
}

test('an honest board: same key, signed latest head, consistent, ballot still at its index', async () => {
  const out = await run({});
  assert.equal(out.ok, true, out.err?.message);
  assert.deepEqual(out.steps, ['check.ok_key', 'check.ok_latest', 'check.ok_consistent', 'check.ok_still']);
  assert.deepEqual(out.asked, ['board/key', 'board/head', consistencyPath, inclusionPath]);
});

test('a board that has not grown needs no consistency proof, but the very same root', async () => {
  const same = { 'board/head': first, [`board/inclusion?index=${INDEX}&size=${M_SIZE}`]: { index: INDEX, proof: receipt.inclusion_proof, leaf: receipt.leaf } };
  const out = await run(same);
  assert.equal(out.ok, true, out.err?.message);
  assert.ok(!out.asked.some((p) => p.startsWith('board/consistency')));
  await alarm({ ...same, 'board/head': sign(M_SIZE, tree.roots[M_SIZE - 1]) }, 'alarm.rewritten', 'history.fork');
});

test('a rewritten history is an alarm with evidence', async () => {
  const proof = tree.consistency[0].proof;
  await alarm({ [consistencyPath]: { first: M_SIZE, second: N_SIZE, proof: proof.map((h, i) => (i === 1 ? flip(h) : h)) } },
    'alarm.rewritten', 'history.inconsistent');
  await alarm({ [consistencyPath]: { first: M_SIZE, second: N_SIZE, proof: proof.slice(0, -1) } }, 'alarm.rewritten', 'history.inconsistent');
  // a latest head over other leaves: signed, the right size, but not an extension of the receipt's tree
  await alarm({ 'board/head': sign(N_SIZE, flip(tree.roots[N_SIZE])) }, 'alarm.rewritten', 'history.inconsistent');
  const shrank = await alarm({ 'board/head': sign(4, tree.roots[4]) }, 'alarm.rewritten', 'history.shrank');
  assert.deepEqual(shrank.err.evidence.proof, []);
  assert.equal(shrank.err.evidence.second.tree_size, 4);
  const bad = evidences.at(-2);
  assert.equal(bad.second.root_hash, flip(tree.roots[N_SIZE]));
  // and the Python core agrees that each of them convicts the board
  const verdicts = python('evidence', { key: hex(boardKey), items: evidences });
  assert.equal(verdicts.length, 5);
  for (const v of verdicts) assert.match(v, /^fork: /);
});

test('evidence carries only the signed fields of each head', async () => {
  const out = await alarm({ 'board/head': { ...sign(4, tree.roots[4]), note: 'unsigned extra' } }, 'alarm.rewritten', 'history.shrank');
  assert.deepEqual(Object.keys(out.err.evidence.second), ['log_id', 'tree_size', 'root_hash', 'timestamp', 'signature']);
});

test('another key, unsigned or refused answers are alarms without evidence', async () => {
  const other = ed25519.getPublicKey(new Uint8Array(32).fill(7));
  const changed = await alarm({ 'board/key': { public_key: hex(other) } }, 'alarm.key_changed', 'history.key_changed');
  assert.deepEqual(changed.asked, ['board/key'], 'nothing else is trusted from a board with another key');
  assert.deepEqual(changed.steps, []);
  await alarm({ 'board/key': { public_key: 'zz' } }, 'alarm.unverified', 'history.bad_answer');
  // the latest head altered after signing, or signed by someone else
  await alarm({ 'board/head': { ...latest, root_hash: flip(latest.root_hash) } }, 'alarm.unverified', 'history.bad_answer');
  await alarm({ 'board/head': sign(N_SIZE, tree.roots[N_SIZE], 1, new Uint8Array(32).fill(9)) }, 'alarm.unverified', 'history.bad_answer');
  await alarm({ 'board/head': new ApiError('not_found', 404, 'board: empty') }, 'alarm.unverified', 'history.bad_answer');
  await alarm({ [consistencyPath]: new ApiError('rejected', 400, 'first: must not exceed second') }, 'alarm.unverified', 'history.bad_answer');
  await alarm({ [consistencyPath]: { first: M_SIZE - 1, second: N_SIZE, proof: [] } }, 'alarm.unverified', 'history.bad_answer');
  await alarm({ [consistencyPath]: { first: M_SIZE, second: N_SIZE, proof: ['00'] } }, 'alarm.unverified', 'history.bad_answer');
});

test('a ballot no longer shown at its index is an alarm without evidence', async () => {
  const inclusion = board().get;
  const honest = await inclusion(inclusionPath);
  await alarm({ [inclusionPath]: { ...honest, leaf: tree.leaves[2] } }, 'alarm.missing', 'history.missing');
  await alarm({ [inclusionPath]: { ...honest, proof: honest.proof.map(flip) } }, 'alarm.missing', 'history.missing');
  await alarm({ [inclusionPath]: { ...honest, index: 2, leaf: tree.leaves[2], proof: tree.inclusion[2].proof } }, 'alarm.missing', 'history.missing');
  const out = await alarm({ [inclusionPath]: { ...honest, proof: honest.proof.slice(1) } }, 'alarm.missing', 'history.missing');
  assert.deepEqual(out.steps, ['check.ok_key', 'check.ok_latest', 'check.ok_consistent']);
});

test('an outage is not an accusation: network and server errors reach the page as they are', async () => {
  for (const err of [new ApiError('network'), new ApiError('server', 503, 'board: busy')]) {
    const out = await run({ [consistencyPath]: err });
    assert.equal(out.err, err);
  }
});

test('a receipt whose own head is not signed never yields evidence', async () => {
  const forged = { ...receipt, tree_head: { ...first, tree_size: 6 } };
  const out = await run({}, forged);
  assert.equal(out.ok, false);
  assert.equal(out.err.key, 'receipt.signature');
  assert.deepEqual(out.asked, []);
});
