// The short code of a cast ballot (docs/booth.md §1b) and the page's one sessionStorage entry (keep.js).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { js } from './helpers.mjs';

const S = await js('shortcode.js');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

test('a short code carries the board index and the first 4 bytes of the tracking code, checksummed', () => {
  const code = 'ab12'.repeat(16);
  assert.doesNotMatch(S.shortCode(code, 3), /^AAAA/, 'a small index does not give a run of filler letters');
  for (const index of [0, 1, 9, 4095, 123456789, S.MAX_INDEX]) {
    const short = S.shortCode(code, index);
    assert.match(short, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
    assert.deepEqual(S.readShortCode(short), { index, prefix: 'ab12ab12' });
    // recomputed independently: base32(code[0:4] ‖ u32be(index XOR u32be(code[0:4])) ‖ SHA-256(tag ‖ payload)[0:2])
    const prefix = Buffer.from(code, 'hex').subarray(0, 4);
    const masked = Buffer.alloc(4);
    masked.writeUInt32BE((index ^ prefix.readUInt32BE(0)) >>> 0);
    const payload = Buffer.concat([prefix, masked]);
    const check = createHash('sha256').update('plebiscite/v1/short-code').update(payload).digest().subarray(0, 2);
    let bits = '';
    for (const b of Buffer.concat([payload, check])) bits += b.toString(2).padStart(8, '0');
    const expected = bits.match(/.{5}/g).map((b) => ALPHABET[parseInt(b, 2)]).join('').match(/.{4}/g).join('-');
    assert.equal(short, expected);
  }
  assert.equal(S.shortCode(code, S.MAX_INDEX + 1), null, 'no short code past 2³²−1');
  assert.equal(S.shortCode(code, -1), null);
});

test('typing is forgiven (case, spaces, dashes, look-alikes); each of the 496 one-character errors of a code is caught', () => {
  const short = S.shortCode('0f'.repeat(32), 77);
  const { index } = S.readShortCode(short.toLowerCase().replaceAll('-', ' '));
  assert.equal(index, 77);
  assert.equal(S.looksShort(` ${short.toLowerCase()} `), true);
  assert.equal(S.looksShort('0f'.repeat(32)), false);
  const clean = short.replaceAll('-', '');
  let caught = 0;
  for (let i = 0; i < clean.length; i++) {
    for (const ch of ALPHABET) {
      if (ch === clean[i]) continue;
      const typo = clean.slice(0, i) + ch + clean.slice(i + 1);
      assert.throws(() => S.readShortCode(typo), (e) => e.key === 'short.checksum', typo);
      caught += 1;
    }
  }
  assert.equal(caught, 16 * 31);
  assert.throws(() => S.readShortCode(clean.slice(1)), (e) => e.key === 'short.length');
  assert.throws(() => S.readShortCode(`${clean.slice(1)}!`), (e) => e.key === 'short.length');
  assert.throws(() => S.readShortCode(`${clean.slice(1)}9`), (e) => e.key === 'credential.alphabet');
});

test('keep.js: one entry, padded to 8192-character multiples, for this election only, never a credential', async () => {
  const store = new Map();
  globalThis.sessionStorage = {
    getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, String(v)),
    removeItem: (k) => store.delete(k),
  };
  const K = await js('keep.js');
  K.keepSending('e1', 'aa'.repeat(32), { answers: [] });
  assert.deepEqual([...store.keys()], ['plebiscite.booth']);
  assert.equal(store.get('plebiscite.booth').length, 8192);
  assert.equal(K.kept('e1').stage, 'sending');
  const big = { tracking_code: 'bb'.repeat(32), inclusion_proof: Array(200).fill('cc'.repeat(32)) };
  K.keepReceipt('e1', big);
  assert.equal(store.get('plebiscite.booth').length % 8192, 0);
  assert.deepEqual(K.kept('e1').receipt, big);
  assert.equal(K.kept('another election'), null, "another election's entry is not used…");
  assert.equal(store.size, 0, '…and is dropped');
  store.set('plebiscite.booth', '{not json');
  assert.equal(K.kept('e1'), null);
  K.keepReceipt('e1', big);
  K.forgetKept();
  assert.equal(store.size, 0);
  delete globalThis.sessionStorage;
});
