// One encoding per value: the booth's decoders accept and refuse exactly what the Python core does
// (tests/vectors/encodings.json, read by tests/core/test_encodings.py too).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { js, vectors } from './helpers.mjs';

const G = await js('group.js');
const { FormatError, hex } = await js('bytes.js');
const table = vectors('encodings.json');

test('elements: canonical RFC 9496 encodings only, bit 255 refused, lowercase hex of 32 bytes', () => {
  assert.ok(table.elements.length > 50);
  for (const v of table.elements) {
    if (v.valid) {
      assert.equal(hex(G.elementFromHex(v.hex).toBytes()), v.hex, v.why);
    } else {
      assert.throws(() => G.elementFromHex(v.hex), FormatError, `accepted ${v.why}: ${v.hex}`);
    }
  }
});

test('scalars: below the group order, lowercase hex of 32 bytes', () => {
  for (const v of table.scalars) {
    if (v.valid) {
      assert.equal(G.scalarToHex(G.scalarFromHex(v.hex)), v.hex, v.why);
    } else {
      assert.throws(() => G.scalarFromHex(v.hex), FormatError, `accepted ${v.why}: ${v.hex}`);
    }
  }
});
