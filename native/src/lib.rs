//! plebiscite's native verification core (docs/native.md): standard ballots checked with curve25519-dalek, the
//! signatures' and proofs' equations of a whole chunk of ballots batch-verified as one multiscalar
//! multiplication; the board's heads' Ed25519 signatures one by one (`signature.rs`). Only public data enters this
//! crate: ballots, the election key, the fingerprint, the layout.
//!
//! The Python glue is `src/plebiscite/native/`; the reference it must agree with is `ballot/check.py`.

pub mod ballot;
pub mod ballot_signature;
pub mod batch;
pub mod board;
pub mod body;
pub mod cr;
pub mod lines;
pub mod scan;
pub mod shares;
pub mod signature;
pub mod transcript;

#[cfg(feature = "python")]
mod python;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;

pub use ballot::{Election, QuestionLayout, Status};

/// Per ballot, whether it passed; per question and option, the sum `(Σ a, Σ b)` of the ballots that passed.
pub struct ChunkOutcome {
    pub statuses: Vec<Status>,
    pub sums: Vec<Vec<(RistrettoPoint, RistrettoPoint)>>,
}

/// Check `(ballot bytes, signature)` pairs: each decoded and checked up to its signature's and proofs' group
/// equations, then the equations of all the ballots that got that far as one batch, bisected if it fails.
pub fn check_chunk(
    election: &Election,
    ballots: &[(&[u8], &[u8])],
) -> Result<ChunkOutcome, String> {
    let mut statuses = Vec::with_capacity(ballots.len());
    let mut checked = Vec::with_capacity(ballots.len());
    let mut which = Vec::with_capacity(ballots.len());
    for (i, (content, signature)) in ballots.iter().enumerate() {
        match ballot::check(election, content, signature) {
            Ok(c) => {
                statuses.push(Status::Ok);
                checked.push(c);
                which.push(i);
            }
            Err(status) => statuses.push(status),
        }
    }
    let bad = batch::failing(&election.bases, &checked)?;
    let mut passed = vec![true; checked.len()];
    for b in bad {
        passed[b] = false;
        statuses[which[b]] = Status::Equation;
    }
    let mut sums: Vec<Vec<(RistrettoPoint, RistrettoPoint)>> = election
        .layouts
        .iter()
        .map(|lay| vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); lay.width()])
        .collect();
    for (c, ok) in checked.iter().zip(passed) {
        if !ok {
            continue;
        }
        for (row, cts) in sums.iter_mut().zip(&c.choices) {
            for (sum, (a, b)) in row.iter_mut().zip(cts) {
                sum.0 += a;
                sum.1 += b;
            }
        }
    }
    Ok(ChunkOutcome { statuses, sums })
}
