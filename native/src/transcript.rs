//! Fiat–Shamir challenges, byte for byte as `hazmat/group.py` (`frame`, `hash_to_scalar`) and
//! `proofs/transcript.py` (`challenge`): SHA-512 over the domain and every part, each preceded by its
//! 8-byte big-endian length, reduced modulo ℓ as a 64-byte little-endian integer.

use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// `plebiscite/v1/` + the proof's tag, as `proofs/transcript.py` builds it.
pub const RANGE_DOMAIN: &[u8] = b"plebiscite/v1/range";
/// The credential's ballot signature (docs/protocol.md §7.1, `proofs/ballot_signature.py`).
pub const SIGNATURE_DOMAIN: &[u8] = b"plebiscite/v1/ballot-signature";

/// 8-byte big-endian integer, as `int_bytes` (range bounds, indices, counts).
pub fn int_bytes(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

/// An incremental `frame(domain, *parts)` hashed with SHA-512.
pub struct Transcript {
    hash: Sha512,
}

impl Transcript {
    pub fn new(domain: &[u8]) -> Self {
        let mut hash = Sha512::new();
        hash.update((domain.len() as u64).to_be_bytes());
        hash.update(domain);
        Transcript { hash }
    }

    /// One length-prefixed part; `pieces` are concatenated into it (a context built from several fields).
    pub fn part(&mut self, pieces: &[&[u8]]) -> &mut Self {
        let len: usize = pieces.iter().map(|p| p.len()).sum();
        self.hash.update((len as u64).to_be_bytes());
        for piece in pieces {
            self.hash.update(piece);
        }
        self
    }

    /// `hash_to_scalar`: the 64-byte digest reduced modulo ℓ.
    pub fn scalar(self) -> Scalar {
        let digest: [u8; 64] = self.hash.finalize().into();
        Scalar::from_bytes_mod_order_wide(&digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_matches_the_python_definition() {
        // hash_to_scalar(b"d", b"ab", b"") = SHA-512(be8(1) "d" be8(2) "ab" be8(0)) mod ℓ
        let mut t = Transcript::new(b"d");
        t.part(&[b"a", b"b"]).part(&[]);
        let mut h = Sha512::new();
        h.update([
            0, 0, 0, 0, 0, 0, 0, 1, b'd', 0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b', 0, 0, 0, 0, 0, 0, 0,
            0,
        ]);
        let digest: [u8; 64] = h.finalize().into();
        assert_eq!(t.scalar(), Scalar::from_bytes_mod_order_wide(&digest));
    }
}
