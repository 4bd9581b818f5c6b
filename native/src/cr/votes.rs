//! The vote proofs of a cr-ballot (docs/coercion.md §4): the standard 0/1 and sum range proofs
//! (docs/protocol.md §2.3) with `binding` in place of the credential in their contexts. Each proof goes through
//! the standard engine's [`crate::ballot::range_statement`] (decoding, challenge) and batch (equations).

use crate::ballot::{range_statement, Election, RangeStatement};

/// One range proof: its context, the ciphertext (for a sum proof, the weighted sum), the bounds and the
/// branches `A_j ‖ B_j ‖ c_j ‖ z_j` (128 bytes each).
pub struct VoteProof<'a> {
    pub context: &'a [u8],
    pub a: &'a [u8],
    pub b: &'a [u8],
    pub lo: u64,
    pub hi: u64,
    pub branches: &'a [u8],
}

/// Per ballot, whether every one of its proofs holds (1) or not (0). A ciphertext whose `a` is the identity is not
/// accepted (the vote would be in clear); a malformed input is not accepted either — the reference then names
/// the reason. The proofs' equations of all well-formed ballots are checked as one batch (the standard mode's,
/// [`crate::batch`]: 128-bit weights from the OS), bisected down to the ballots that fail when it does not hold.
pub fn ballots_hold(election: &Election, ballots: &[Vec<VoteProof>]) -> Result<Vec<u8>, String> {
    let prepared: Vec<Option<Vec<RangeStatement>>> = ballots
        .iter()
        .map(|proofs| proofs.iter().map(|p| statement(election, p)).collect())
        .collect();
    let mut status: Vec<u8> = prepared.iter().map(|p| u8::from(p.is_some())).collect();
    let (places, batch): (Vec<usize>, Vec<&[RangeStatement]>) = prepared
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_deref().map(|s| (i, s)))
        .unzip();
    for k in crate::batch::failing(&election.bases, &batch)? {
        status[places[k]] = 0;
    }
    Ok(status)
}

fn statement(election: &Election, p: &VoteProof) -> Option<RangeStatement> {
    let a = <[u8; 32]>::try_from(p.a).ok()?;
    let b = <[u8; 32]>::try_from(p.b).ok()?;
    if a == [0u8; 32] {
        return None;
    }
    range_statement(election, p.context, (&a, &b), p.lo, p.hi, p.branches)
}
