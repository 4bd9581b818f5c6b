//! The coercion-resistant mode's proofs (docs/coercion.md §4–5, docs/native.md "Coercion-resistant mode"):
//! the linear batch proofs of the tag passes and the MAC fold, the row-blinding proofs, the proof of shuffle's
//! group computations and the cr-ballot credential proof.
//!
//! Everything here is **variable time** and takes **public** values only: elements and proofs from the record,
//! coefficients and challenges derived from them. The provers' secrets (permutations, re-encryption randomness,
//! tag keys, key and MAC shares, credentials) never enter this module; the Python glue
//! (`src/plebiscite/native/cr.py`) calls it only with public data.

pub mod blind;
pub mod credential;
pub mod kernels;
pub mod keyproofs;
pub mod linear;
// the exception: the trustees' secret computations, constant time only (docs/native.md §7.6)
pub mod prover;
pub mod prover_shuffle;
pub mod prover_sums;
pub mod shuffle;
pub mod votes;

#[cfg(feature = "python")]
mod prover_python;
#[cfg(feature = "python")]
pub(crate) mod python;
