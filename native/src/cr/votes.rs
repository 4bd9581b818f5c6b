//! The vote proofs of a cr-ballot (docs/coercion.md §4): the standard 0/1 and sum range proofs
//! (docs/protocol.md §2.3) with `binding` in place of the credential in their contexts. Each proof goes through
//! the standard engine's [`crate::ballot::check_range_proof`] (decoding, challenge, equations).

use crate::ballot::{check_range_proof, Election};

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

/// Whether every proof of a ballot holds. A ciphertext whose `a` is the identity is not accepted (the vote would
/// be in clear); a malformed input is not accepted either — the reference then names the reason.
pub fn ballot_holds(election: &Election, proofs: &[VoteProof]) -> bool {
    proofs.iter().all(|p| {
        let (Ok(a), Ok(b)) = (<[u8; 32]>::try_from(p.a), <[u8; 32]>::try_from(p.b)) else {
            return false;
        };
        a != [0u8; 32]
            && matches!(
                check_range_proof(election, p.context, (&a, &b), p.lo, p.hi, p.branches),
                Ok(true)
            )
    })
}
