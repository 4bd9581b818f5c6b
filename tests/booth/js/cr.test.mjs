// The coercion-resistant mode's JavaScript reproduces tests/vectors/cr.json (made by the Python core) byte for byte,
// and refuses what the Python core refuses: altered proofs, altered ballots, mistyped or foreign sheet codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { js, replay, vectors } from './helpers.mjs';

const G = await js('group.js');
const CB = await js('crballot.js');
const CC = await js('crcredential.js');
const { electionFromApi } = await js('election.js');
const { fromHex, hex } = await js('bytes.js');

const v = vectors('cr.json');
const election = electionFromApi({ manifest: v.manifest_event,
  election: { fingerprint: v.fingerprint, public_key: v.public_key }, phase: 'voting' });
const ctx = CC.crContextFromEntries(election, v.entries);
const device = JSON.parse(v.device_file);
const scalars = (list) => list.map((s) => G.scalarFromHex(s));

test('the election values a credential is checked against come from the board entries', () => {
  assert.equal(hex(ctx.ceremony), v.ceremony_fingerprint);
  assert.equal(ctx.macKey.toHex(), v.mac_key);
  assert.equal(ctx.electionId, 'vector-cr-election');
  assert.throws(() => CC.crContextFromEntries(election, v.entries.slice(0, 1)), { key: 'cr.no_context' });
});

test("device file: the registrar's proof verifies, the file reads back, and is written byte for byte as Python does", () => {
  const { cred, y } = CC.parseDeviceFile(v.device_file, ctx);
  assert.deepEqual(cred.proof.map(G.scalarToHex), v.dv.registrar_proof);
  assert.equal(CC.deviceFileText(ctx, cred, y), v.device_file);
  const { cred: fcred } = CC.parseDeviceFile(v.fake_device_file, ctx);
  assert.equal(CC.deviceFileText(ctx, fcred, y), v.fake_device_file);
  assert.equal(v.device_file.length, v.fake_device_file.length, 'real and fake files have the same size');
});

test('a fake device credential: same draws, same simulated proof and file as Credential.fake', () => {
  const { cred, y } = CC.parseDeviceFile(v.device_file, ctx);
  const random = replay(v.dv.fake_nonces, G);
  const fake = CC.fakeDevice(ctx, cred, y, random, fromHex(v.dv.fake_bytes, 'fake bytes', 32));
  assert.equal(random.used(), v.dv.fake_nonces.length);
  assert.deepEqual(fake.proof.map(G.scalarToHex), v.dv.fake_proof);
  assert.equal(CC.deviceFileText(ctx, fake, y), v.fake_device_file);
  CC.verifyDvProof(ctx, fake);
  // a fresh fake (random draws) verifies too, and differs
  const other = CC.fakeDevice(ctx, cred, y);
  CC.verifyDvProof(ctx, other);
  assert.notEqual(other.element.toHex(), fake.element.toHex());
});

test('an altered designated-verifier proof or statement is refused', () => {
  const { cred } = CC.parseDeviceFile(v.device_file, ctx);
  for (let i = 0; i < 5; i++) {
    const proof = cred.proof.map((s, j) => (j === i ? (s + 1n) % G.ORDER : s));
    assert.throws(() => CC.verifyDvProof(ctx, { ...cred, proof }), { key: 'cr.proof_bad' }, `proof[${i}]`);
  }
  assert.throws(() => CC.verifyDvProof(ctx, { ...cred, sigma: (cred.sigma + 1n) % G.ORDER }), { key: 'cr.proof_bad' });
  assert.throws(() => CC.verifyDvProof(ctx, { ...cred, element: cred.element.add(G.GENERATOR) }), { key: 'cr.proof_bad' });
  assert.throws(() => CC.verifyDvProof(ctx, { ...cred, entry: { ...cred.entry, b: cred.entry.b.add(G.GENERATOR) } }), { key: 'cr.proof_bad' });
  assert.throws(() => CC.verifyDvProof({ ...ctx, ceremony: new Uint8Array(32) }, cred), { key: 'cr.proof_bad' });
  // a fake simulated with another y does not verify (the proof's second branch is the voter's key)
  const bad = CC.fakeDevice(ctx, cred, 12345n);
  assert.throws(() => CC.verifyDvProof(ctx, bad), { key: 'cr.proof_bad' });
});

test('a device file is refused with a named reason', () => {
  const change = (fn) => {
    const d = JSON.parse(v.device_file);
    fn(d);
    return JSON.stringify(d);
  };
  const cases = [
    ['{', 'credential.file_json'],
    [JSON.stringify({ format: 'plebiscite-credential/1', election_id: 'x', code: 'y' }), 'cr.standard_file'],
    [change((d) => { d.format = 'other'; }), 'credential.file_format'],
    [change((d) => { d.credential.election_id = 'other'; }), 'credential.other_election'],
    [change((d) => { d.election.mac_key = d.election.election_key; }), 'cr.other_values'],
    [change((d) => { d.election.ceremony_fingerprint = '00'.repeat(32); }), 'cr.other_values'],
    [change((d) => { d.credential.sigma = 'zz'; }), 'cr.file_field'],
    [change((d) => { d.voter_secret = d.credential.sigma; }), 'cr.file_field'],
    [change((d) => { d.credential.proof[4] = d.credential.proof[3]; }), 'cr.proof_bad'],
  ];
  for (const [text, key] of cases) assert.throws(() => CC.parseDeviceFile(text, ctx), { key }, key);
  assert.equal(device.credential.sigma.length, 64);
});

test('sheet codes: σ, the code, the fake, and what is accepted or refused, as sheet_code.py', () => {
  const seed = fromHex(v.sheet.seed, 'seed', 16);
  assert.equal(G.scalarToHex(CC.sheetSigma(ctx.electionId, seed)), v.sheet.sigma);
  assert.equal(CC.sheetCode(ctx.electionId, seed, G.elementFromHex(v.sheet.element)), v.sheet.code);
  const fake = CC.fakeSheet(fromHex(v.sheet.fake_bytes[1], 'seed', 16), fromHex(v.sheet.fake_bytes[0], 'v', 32));
  assert.equal(CC.sheetCode(ctx.electionId, fake.seed, fake.element), v.sheet.fake_code);
  for (const code of [...v.sheet.accepted, v.sheet.fake_code]) CC.readSheetCode(ctx.electionId, code);
  for (const { code, key } of v.sheet.refused) assert.throws(() => CC.readSheetCode(ctx.electionId, code), { key }, key);
  const read = CC.readSheetCode(ctx.electionId, v.sheet.accepted[2]);
  assert.equal(hex(read.seed), v.sheet.seed);
  assert.equal(read.element.toHex(), v.sheet.element);
  const random = CC.fakeSheet();
  assert.equal(CC.sheetCode(ctx.electionId, random.seed, random.element).length, v.sheet.code.length);
});

test('cr-ballot: same bytes from the same draws, same binding, content and tracking code', () => {
  const { cred } = CC.parseDeviceFile(v.device_file, ctx);
  const random = replay(v.ballot.nonces, G);
  const made = CB.encryptCrBallot(election, cred, v.ballot.selections, random);
  assert.equal(random.used(), v.ballot.nonces.length, 'every nonce drawn, in order');
  assert.deepEqual(made.ballot, v.ballot.ballot);
  assert.equal(hex(CB.bindingOf(made.ballot.credential, made.ballot.mac)), v.ballot.binding);
  assert.equal(hex(CB.crContentBytes(made.ballot)), v.ballot.content_bytes);
  assert.equal(made.trackingCode, v.ballot.tracking_code);
  assert.equal(CB.crTrackingCode(v.ballot.ballot), v.ballot.tracking_code);
  CB.checkCrBallot(v.ballot.ballot, election);
});

test('cr-ballot: every alteration is refused by the JS check, naming the field', () => {
  const good = v.ballot.ballot;
  const changed = (fn) => {
    const b = structuredClone(good);
    fn(b);
    return b;
  };
  const other = G.mulBase(7n).toHex();
  const cases = [
    [changed((b) => { b.proof[0] = b.proof[1]; }), 'ballot.proof'],
    [changed((b) => { b.proof[3] = b.proof[2]; }), 'ballot.proof'],
    [changed((b) => { b.credential[1] = other; }), 'ballot.proof'],
    [changed((b) => { b.mac[0] = other; }), 'ballot.proof'],
    // votes moved: the credential proof hashes them (and their proofs are bound to the binding)
    [changed((b) => { b.answers[0].choices[0][1] = other; }), 'ballot.proof'],
    [changed((b) => { b.election = '00'.repeat(32); }), 'ballot.election'],
    [changed((b) => { b.extra = 1; }), 'ballot'],
    [changed((b) => { b.proof = b.proof.slice(1); }), 'ballot.proof'],
  ];
  for (const [bad, field] of cases) {
    assert.throws(() => CB.checkCrBallot(bad, election), (e) => e.field === field, field);
  }
  assert.notEqual(CB.crTrackingCode(cases[0][0]), v.ballot.tracking_code);
});

test('a loaded credential casts, fakes in its own form, and forgets', () => {
  const file = CC.CrCredential.fromDeviceFile(v.device_file, ctx);
  const made = file.encrypt(election, v.ballot.selections);
  CB.checkCrBallot(made.ballot, election);
  const fakeFile = file.makeFake();
  assert.equal(fakeFile.form, 'file');
  assert.equal(fakeFile.text.length, v.device_file.length);
  const reloaded = CC.CrCredential.fromDeviceFile(fakeFile.text, ctx);
  CB.checkCrBallot(reloaded.encrypt(election, v.ballot.selections).ballot, election);
  const sheet = CC.CrCredential.fromCode(v.sheet.code, ctx);
  const fakeCode = sheet.makeFake();
  assert.equal(fakeCode.form, 'code');
  assert.equal(fakeCode.code.length, v.sheet.code.length);
  CB.checkCrBallot(CC.CrCredential.fromCode(fakeCode.code, ctx).encrypt(election, v.ballot.selections).ballot, election);
  sheet.forget();
  assert.throws(() => sheet.encrypt(election, v.ballot.selections), /forgotten/);
});
