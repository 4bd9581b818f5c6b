// Credential codes and files: the Python code format, forgiving typing, and a clear error for each bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { js, vectors } from './helpers.mjs';

const C = await js('credential.js');
const V = await js('voter.js');
const { hex } = await js('bytes.js');
const { electionFromApi } = await js('election.js');

const vec = vectors('ballot.json');
const code = vec.credential.code;
const keyOf = (c) => hex(new C.Voter(C.seedFromCode(c)).publicKey);

test('the code the Python core printed round-trips', () => {
  const seed = C.seedFromCode(code);
  assert.equal(C.codeFromSeed(seed), code);
  assert.equal(keyOf(code), vec.credential_public_key);
});

test('dashes, spaces, lower case and look-alike characters are accepted', () => {
  const plain = code.replaceAll('-', '');
  assert.equal(keyOf(plain.toLowerCase()), vec.credential_public_key);
  assert.equal(keyOf(` ${code.replaceAll('-', ' ')} `), vec.credential_public_key);
  // Cyrillic letters that look like Latin ones (a Ukrainian/Russian layout left on)
  const cyrillic = code.replaceAll('A', 'А').replaceAll('C', 'С').replaceAll('E', 'Е');
  assert.notEqual(cyrillic, code);
  assert.equal(keyOf(cyrillic), vec.credential_public_key);
});

test('each kind of bad code has its own error', () => {
  const key = (c) => {
    try {
      C.seedFromCode(c);
    } catch (e) {
      assert.ok(e instanceof C.CredentialError);
      return e.key;
    }
    return null;
  };
  assert.equal(key(''), 'credential.empty');
  assert.equal(key(' - '), 'credential.empty');
  assert.equal(key(code.slice(0, -1)), 'credential.length');
  assert.equal(key(code + 'A'), 'credential.length');
  assert.equal(key('9' + code.slice(1)), 'credential.alphabet');
  const i = 7;
  const typo = code.slice(0, i) + (code[i] === 'Q' ? 'R' : 'Q') + code.slice(i + 1);
  assert.equal(key(typo), 'credential.checksum');
});

test('credential files: format and election are checked', () => {
  const election = electionFromApi({ manifest: vec.manifest_event, election: { fingerprint: vec.fingerprint,
    public_key: vec.public_key }, phase: 'voting' });
  const roll = new Set(vec.roll);
  const good = JSON.stringify(vec.credential);
  assert.equal(hex(V.loadVoter({ fileText: good }, election, roll).publicKey), vec.credential_public_key);
  const fail = (source, r = roll) => {
    try {
      V.loadVoter(source, election, r);
    } catch (e) {
      return e.key;
    }
    return null;
  };
  assert.equal(fail({ fileText: 'not json' }), 'credential.file_json');
  assert.equal(fail({ fileText: '{"format": "other"}' }), 'credential.file_format');
  assert.equal(fail({ fileText: JSON.stringify({ ...vec.credential, election_id: 'another' }) }), 'credential.other_election');
  assert.equal(fail({ fileText: good }, new Set()), 'credential.not_on_roll');
  assert.equal(fail({ code: C.codeFromSeed(new Uint8Array(32).fill(7)) }), 'credential.not_on_roll');
  assert.equal(fail({ code }), null);
  assert.equal(fail({ code }, null), null, 'unknown roll: the board checks it on cast');
});

test('a Voter never exposes its seed and can forget it', () => {
  const seed = C.seedFromCode(code);
  const voter = new C.Voter(seed);
  const seen = JSON.stringify(voter) + Object.values(voter).map(String).join();
  assert.ok(!seen.includes(hex(seed)));
  const fp = new Uint8Array(32).fill(1);
  assert.equal(voter.sign(fp, new Uint8Array(3)).length, 64);
  voter.forget();
  assert.throws(() => voter.sign(fp, new Uint8Array(3)), /forgotten/);
});
