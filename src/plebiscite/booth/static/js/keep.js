// What the booth page keeps so that a reload, a tab the phone discarded, or a connection cut at the moment of
// casting never costs the voter their receipt (docs/booth.md §1b, "What the page keeps"). One sessionStorage entry:
//
//   {"v": 1, "election_id", "stage": "sending", "tracking_code", "ballot"}  from just before the ballot is posted
//   {"v": 1, "election_id", "stage": "cast", "tracking_code", "receipt"}    from the receipt until it is saved
//
// Never a credential, a code, the choices or an opening: only the encrypted ballot (which the board publishes anyway)
// and its receipt. The entry is removed as soon as the voter has saved the receipt (downloaded it or confirmed that
// the short code is written down), on "Vote again", and by the browser when the tab is closed. The JSON is padded
// with spaces to a multiple of PAD characters, so the stored size does not follow the ballot's place on the board
// and every voter's entry — a real credential's or a fake one's in a coercion-resistant election — has one shape.
const KEY = 'plebiscite.booth';
const PAD = 8192;

function write(value) {
  try {
    const text = JSON.stringify({ v: 1, ...value });
    sessionStorage.setItem(KEY, text.padEnd(Math.ceil(text.length / PAD) * PAD, ' '));
    return true;
  } catch {
    return false; // storage disabled or full: the page still works, it just cannot help after a reload
  }
}

/** Keep the encrypted ballot that is about to be posted. */
export const keepSending = (electionId, trackingCode, ballot) =>
  write({ election_id: electionId, stage: 'sending', tracking_code: trackingCode, ballot });

/** Keep the receipt until the voter has saved it. */
export const keepReceipt = (electionId, receipt) =>
  write({ election_id: electionId, stage: 'cast', tracking_code: receipt.tracking_code, receipt });

/** What is kept for this election, or null (nothing, another election's, or unreadable — which is dropped). */
export function kept(electionId) {
  let value = null;
  try {
    value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    value = null;
  }
  const usable = value?.v === 1 && value.election_id === electionId && typeof value.tracking_code === 'string'
    && ((value.stage === 'sending' && value.ballot) || (value.stage === 'cast' && value.receipt));
  if (!usable && value !== null) forgetKept();
  return usable ? value : null;
}

export function forgetKept() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing to remove
  }
}
