//! The credential's signature on a ballot (docs/protocol.md §7.1; the reference is
//! `proofs/ballot_signature.py`, `refusal`): a Schnorr signature `R ‖ s` over ristretto255. This module checks every
//! rule but the group equation (encodings, identities, `s < ℓ`) and recomputes the challenge byte for byte; the
//! equation `s·G = R + c·X` joins the chunk's batch (`batch.rs`), where it costs two points of one multiscalar
//! multiplication.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;

use crate::transcript::{int_bytes, Transcript, SIGNATURE_DOMAIN};

/// The credential's signature's group equation (docs/protocol.md §7.1), left for the batch: `s·G = R + c·X`, with
/// `c` already recomputed from the transcript.
pub struct SignatureStatement {
    pub r: RistrettoPoint,
    pub x: RistrettoPoint,
    pub c: Scalar,
    pub s: Scalar,
}

/// A ristretto255 element that is neither non-canonical nor the identity (whose one canonical encoding is 32 zero
/// bytes): dalek's RFC 9496 decoder refuses non-canonical field elements, a negative `s` and a set bit 255.
fn non_identity(raw: &[u8; 32]) -> Option<RistrettoPoint> {
    if raw == &[0u8; 32] {
        return None;
    }
    CompressedRistretto(*raw).decompress()
}

/// The credential's signature read and its challenge recomputed (docs/protocol.md §7.1, `ballot_signature.refusal`):
/// `R ‖ s` with `R` canonical and not the identity, `s < ℓ`, the credential `X` canonical and not the identity,
/// `c = H("ballot-signature", F, M, 2, G, X, R)` with `F` the election's fingerprint (which `ballot.rs` has checked
/// is the ballot's `election` field) and `M` the ballot bytes. `None` where an encoding is refused; the equation
/// `s·G = R + c·X` is left to the batch.
pub fn signature_statement(
    fingerprint: &[u8; 32],
    credential: &[u8; 32],
    content: &[u8],
    signature: &[u8; 64],
) -> Option<SignatureStatement> {
    let r_bytes: &[u8; 32] = signature[..32].try_into().expect("32 bytes");
    let r = non_identity(r_bytes)?;
    let s = Option::from(Scalar::from_canonical_bytes(
        signature[32..].try_into().expect("32 bytes"),
    ))?;
    let x = non_identity(credential)?;
    let mut t = Transcript::new(SIGNATURE_DOMAIN);
    t.part(&[fingerprint])
        .part(&[content])
        .part(&[&int_bytes(2)])
        .part(&[RISTRETTO_BASEPOINT_COMPRESSED.as_bytes()])
        .part(&[credential])
        .part(&[r_bytes]);
    Some(SignatureStatement {
        r,
        x,
        c: t.scalar(),
        s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;

    const F: [u8; 32] = [7u8; 32];
    const M: &[u8] = b"ballot bytes";

    fn signed(x: Scalar, k: Scalar) -> ([u8; 32], [u8; 64]) {
        let public = (RISTRETTO_BASEPOINT_POINT * x).compress().to_bytes();
        let r = (RISTRETTO_BASEPOINT_POINT * k).compress().to_bytes();
        (public, with_r(x, k, &public, r))
    }

    /// `r ‖ k + c·x`, `c` over the bytes `r` as given (the rules on `R` are what is tested).
    fn with_r(x: Scalar, k: Scalar, public: &[u8; 32], r: [u8; 32]) -> [u8; 64] {
        let mut t = Transcript::new(SIGNATURE_DOMAIN);
        t.part(&[&F])
            .part(&[M])
            .part(&[&int_bytes(2)])
            .part(&[RISTRETTO_BASEPOINT_COMPRESSED.as_bytes()])
            .part(&[public])
            .part(&[&r]);
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r);
        sig[32..].copy_from_slice((k + t.scalar() * x).as_bytes());
        sig
    }

    fn equation_holds(st: &SignatureStatement) -> bool {
        RISTRETTO_BASEPOINT_POINT * st.s == st.r + st.x * st.c
    }

    #[test]
    fn an_honest_signature_parses_to_a_holding_equation_and_a_wrong_s_does_not() {
        let (x, k) = (Scalar::from(0xc0ffee_u64), Scalar::from(0xbeef_u64));
        let (public, sig) = signed(x, k);
        let st = signature_statement(&F, &public, M, &sig).expect("parses");
        assert!(equation_holds(&st));
        let mut wrong = sig;
        wrong[32] ^= 1;
        assert!(!equation_holds(
            &signature_statement(&F, &public, M, &wrong).unwrap()
        ));
        let other = signature_statement(&[8u8; 32], &public, M, &sig).unwrap();
        assert!(
            !equation_holds(&other),
            "the fingerprint is in the challenge"
        );
        let other = signature_statement(&F, &public, b"ballot bytez", &sig).unwrap();
        assert!(!equation_holds(&other), "the message is in the challenge");
    }

    #[test]
    fn encodings_the_protocol_refuses_are_refused_even_when_the_equation_would_hold() {
        let (x, k) = (Scalar::from(31337u64), Scalar::from(4242u64));
        let (public, sig) = signed(x, k);
        let refused =
            |public: &[u8; 32], sig: &[u8; 64]| signature_statement(&F, public, M, sig).is_none();
        // R the identity, s = c·x: s·G = c·X holds
        assert!(refused(
            &public,
            &with_r(x, Scalar::ZERO, &public, [0u8; 32])
        ));
        // R = p, the identity spelt non-canonically; R with bit 255 set (c over those bytes)
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(refused(&public, &with_r(x, Scalar::ZERO, &public, p)));
        let mut high = sig;
        high[31] |= 0x80;
        let high_r: [u8; 32] = high[..32].try_into().unwrap();
        assert!(refused(&public, &with_r(x, k, &public, high_r)));
        // s + ℓ: the same point, not canonical
        let mut s_plus = sig;
        let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
        let mut carry = 0u16;
        for (i, byte) in s_plus[32..].iter_mut().enumerate() {
            let sum = u16::from(s.as_bytes()[i]) + u16::from(ELL[i]) + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert!(refused(&public, &s_plus));
        // X the identity (s = k: s·G = R holds), X = p (the identity, non-canonical), X with bit 255 set
        let zero_key = [0u8; 32];
        let r = (RISTRETTO_BASEPOINT_POINT * k).compress().to_bytes();
        assert!(refused(&zero_key, &with_r(Scalar::ZERO, k, &zero_key, r)));
        assert!(refused(&p, &with_r(Scalar::ZERO, k, &p, r)));
        let mut high_key = public;
        high_key[31] |= 0x80;
        assert!(refused(&high_key, &with_r(x, k, &high_key, r)));
        assert!(!refused(&public, &sig));
    }

    /// ℓ little-endian.
    const ELL: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
}
