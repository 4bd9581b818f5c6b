// The booth's core interface: the only module the booth page calls for credentials and ballots.
//
// A page does three things with it: loadVoter() (or loadCrCredential() in a coercion-resistant election) turns
// what the voter supplied into an opaque credential object checked against the election; prepareBallot()
// encrypts, proves and signs; describeOpening() reads a challenged ballot back. A coercion-resistant credential,
// real or fake, is a CrCredential (crcredential.js): the page casts with it exactly as with a Voter.
import { randomBytes } from '../vendor/noble-hashes/utils.js';
import { hex } from './bytes.js';
import { checkOpening, encryptBallot } from './ballot.js';
import { encryptCrBallot } from './crballot.js';
import { CrCredential } from './crcredential.js';
import { CredentialError, parseCredentialFile, seedFromCode, Voter } from './credential.js';
import * as G from './group.js';
import { describe, questionLo } from './manifest.js';

export { CredentialError, CrCredential, Voter };

/**
 * A CrCredential from `{fileText}` (a device credential file) or `{code}` (a sheet's typed code or QR text),
 * checked against `ctx` (crcredential.js crContextFromEntries). Real and fake credentials take the same steps.
 */
export function loadCrCredential(source, ctx) {
  if (source.fileText !== undefined) return CrCredential.fromDeviceFile(source.fileText, ctx);
  return CrCredential.fromCode(source.code ?? '', ctx);
}

/**
 * A Voter from `{fileText}` (a credential file) or `{code}` (a typed code), checked against `election`:
 * the file's election_id must be this election's and, when `roll` (a Set of hex public keys) is known, the
 * public key must be on it. Throws CredentialError whose `key` names the message to show.
 */
export function loadVoter(source, election, roll = null) {
  let seed;
  let electionId = null;
  if (source.fileText !== undefined) {
    ({ electionId, seed } = parseCredentialFile(source.fileText));
    if (electionId !== election.electionId) throw new CredentialError('credential.other_election', electionId);
  } else {
    seed = seedFromCode(source.code ?? '');
  }
  let voter;
  try {
    voter = new Voter(seed, electionId ?? election.electionId);
  } finally {
    seed.fill(0); // the Voter holds its own copy, or refused the seed (a zero key)
  }
  if (roll && !roll.has(hex(voter.publicKey))) {
    voter.forget();
    throw new CredentialError('credential.not_on_roll');
  }
  return voter;
}

/**
 * Encrypt, prove and sign: {ballot, opening, trackingCode}. The opening stays here unless the voter challenges; a
 * cr-ballot has none (no challenges in that mode).
 */
export function prepareBallot(election, voter, selections) {
  if (voter instanceof CrCredential) return { ...voter.encrypt(election, selections), opening: null };
  return encryptBallot(election, voter, selections);
}

/** What a challenged ballot encrypted, re-derived locally from its opening (question id → option ids). */
export function describeOpening(election, prepared) {
  return describe(election.manifest, checkOpening(prepared.ballot, prepared.opening, election.publicKey));
}

/**
 * Make the first real ballot as fast as the later ones: build the multiplication table of the election key and
 * run the whole encryption once on a throwaway credential (JIT-compiles the field arithmetic, builds noble's base
 * table). The page calls it while the voter is busy with their credential; the throwaway ballot is dropped.
 */
export function warmUp(election) {
  election.publicKey.precompute(8, false);
  const selections = {};
  for (const q of election.manifest.questions) {
    selections[q.id] = q.blank ? ['blank'] : q.options.slice(0, questionLo(q)).map((o) => o.id);
  }
  if (election.mode === 'coercion-resistant') {
    encryptCrBallot(election, { sigma: G.randomScalar(), element: G.mulBase(G.randomScalar()) }, selections);
    return;
  }
  const throwaway = new Voter(randomBytes(32));
  try {
    encryptBallot(election, throwaway, selections);
  } finally {
    throwaway.forget();
  }
}
