// Signed tree heads: the known answer of docs/board.md §4, byte for byte. (Inclusion proofs against the Python
// Merkle tree, and tampered receipts, are in tests/booth/test_interop.py.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { js, STATIC } from './helpers.mjs';

const M = await js('merkle.js');
const { hex, utf8 } = await js('bytes.js');
const { ed25519 } = await import(join(STATIC, 'vendor/noble-curves/ed25519.js'));
const { sha256 } = await import(join(STATIC, 'vendor/noble-hashes/sha2.js'));

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
const publicKey = ed25519.getPublicKey(seed);
const head = {
  log_id: '56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c',
  tree_size: 5,
  root_hash: hex(sha256(utf8('root'))),
  timestamp: 1700000000000,
  signature: '26579bdb66163be9007333eda8eac734e4ad7f1fdaa3c2d43a4e1e1c7e357ec1'
    + '266bc234e1fe878acfce30c39aa3cf3b87f90aa6b54bb348cdb4d7526847b90d',
};

test('the known answer of docs/board.md: log id, signed bytes, signature', () => {
  assert.equal(M.logIdFor(publicKey), head.log_id);
  const bytes = M.treeHeadSigningBytes(head);
  assert.equal(bytes.length, 137);
  assert.equal(hex(bytes), '0000000000000011706c65626973636974652f7374682f7631'
    + '000000000000002056475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c'
    + '00000000000000080000000000000005'
    + '00000000000000204813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2'
    + '00000000000000080000018bcfe56800');
  assert.equal(hex(ed25519.sign(bytes, seed)), head.signature);
  M.verifyTreeHead(head, publicKey);
});

test('a head with any field changed, or checked against another key, is refused', () => {
  const keyOf = (h, key = publicKey) => {
    try {
      M.verifyTreeHead(h, key);
      return null;
    } catch (e) {
      return e.key;
    }
  };
  assert.equal(keyOf({ ...head, tree_size: 6 }), 'receipt.signature');
  assert.equal(keyOf({ ...head, timestamp: head.timestamp + 1 }), 'receipt.signature');
  assert.equal(keyOf({ ...head, root_hash: '00'.repeat(32) }), 'receipt.signature');
  assert.equal(keyOf(head, ed25519.getPublicKey(new Uint8Array(32))), 'receipt.other_board');
  assert.equal(keyOf({ ...head, tree_size: -1 }), 'receipt.malformed');
  assert.equal(keyOf({ ...head, signature: 'zz' }), 'receipt.malformed');
});

test('inclusion in a one-leaf tree is the leaf hash itself; any extra hash is refused', () => {
  const leaf = M.leafHash(utf8('only'));
  M.verifyInclusion(leaf, 0, 1, [], leaf);
  assert.throws(() => M.verifyInclusion(leaf, 0, 1, [leaf], leaf), /too long/);
  assert.throws(() => M.verifyInclusion(leaf, 1, 1, [], leaf), /outside/);
});
