// The public election context the booth works in, decoded from GET /api/election.
import { FormatError, fromHex } from './bytes.js';
import * as G from './group.js';
import { layout } from './manifest.js';

/**
 * {manifest, electionId, fingerprint (bytes), publicKey (element), layouts, phase, mode} from the API's
 * {"manifest": <manifest event payload>, "election": <election event payload>, "phase"}.
 * Throws FormatError naming the field when the server sent something the booth cannot use.
 */
export function electionFromApi(value) {
  const manifest = value?.manifest?.manifest;
  if (!manifest || !Array.isArray(manifest.questions) || typeof manifest.election_id !== 'string') {
    throw new FormatError('manifest', 'missing or malformed');
  }
  const phase = typeof value.phase === 'string' ? value.phase : 'setup';
  // 'coercion-resistant' (docs/coercion.md) or 'standard'; the manifest decides how ballots are made
  const mode = manifest.mode === 'coercion-resistant' ? 'coercion-resistant' : 'standard';
  const election = value.election;
  if (!election) return { manifest, electionId: manifest.election_id, phase, mode, fingerprint: null, publicKey: null,
    layouts: manifest.questions.map(layout) };
  const fingerprint = fromHex(election.fingerprint, 'election.fingerprint', 32);
  const publicKey = G.elementFromHex(election.public_key, 'election.public_key');
  return { manifest, electionId: manifest.election_id, phase, mode, fingerprint, publicKey,
    layouts: manifest.questions.map(layout) };
}
