//! Ed25519 verification with exactly the rules of the reference, libsodium 1.0.18's
//! `crypto_sign_verify_detached` (what `hazmat/ed25519.py` calls):
//!
//! * `s` must be canonical (`< ℓ`);
//! * the public key `A` must be a canonical encoding (`y < p`, the sign bit aside), must decode, and must not
//!   have small order;
//! * `R` must not have small order, and `[s]B − [H(R‖A‖M)]A` must *encode* to exactly the 32 bytes of `R`
//!   (cofactorless: a non-canonical `R`, or one off by a torsion point, never matches).
//!
//! ed25519-dalek's `verify_strict` does all of it but the canonical check of `A` (dalek decodes `y ≥ p` by
//! reducing it), which is added here. Its `verify_batch` is **not** used: it checks the cofactorless equation
//! for a random combination of signatures with coefficients derived from the signatures themselves, and a
//! signature whose `R` is off by a point of order 2, 4 or 8 passes such a combination with probability up to 1/2
//! (the combination's coefficients only matter modulo 8 on the torsion part) where the single check always
//! refuses it — so the two engines could disagree on a forged ballot. See docs/native.md §2.

use ed25519_dalek::{Signature, VerifyingKey};

/// `p = 2^255 − 19` little-endian: an encoding whose 255-bit `y` is `≥ p` is not canonical.
fn y_is_canonical(encoding: &[u8; 32]) -> bool {
    // libsodium's ge25519_is_canonical: non-canonical iff bytes 1..30 are 0xff, byte 31 (sign bit masked) is
    // 0x7f and byte 0 is ≥ 0xed.
    let top = encoding[31] & 0x7f == 0x7f;
    let middle = encoding[1..31].iter().all(|&b| b == 0xff);
    !(top && middle && encoding[0] >= 0xed)
}

/// True iff `signature` is a valid Ed25519 signature of `message` under `public_key` by libsodium's rules.
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    if !y_is_canonical(public_key) {
        return false;
    }
    let key = match VerifyingKey::from_bytes(public_key) {
        Ok(key) => key,
        Err(_) => return false,
    };
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};

    fn sign_with(a: Scalar, key: [u8; 32], r: Scalar, r_point: [u8; 32], msg: &[u8]) -> [u8; 64] {
        let mut h = Sha512::new();
        h.update(r_point);
        h.update(key);
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_point);
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    #[test]
    fn honest_signature_verifies_and_alterations_do_not() {
        let a = Scalar::from(123456789u64);
        let key = (a * ED25519_BASEPOINT_POINT).compress().to_bytes();
        let r = Scalar::from(987654321u64);
        let r_point = (r * ED25519_BASEPOINT_POINT).compress().to_bytes();
        let sig = sign_with(a, key, r, r_point, b"ballot");
        assert!(verify(&key, b"ballot", &sig));
        assert!(!verify(&key, b"ballos", &sig));
        let mut bad = sig;
        bad[40] ^= 1;
        assert!(!verify(&key, b"ballot", &bad));
    }

    #[test]
    fn r_off_by_a_torsion_point_is_refused() {
        // What a cofactorless *batch* could accept and the single check must not: R' = R + T, s for R'.
        let a = Scalar::from(5u64);
        let key = (a * ED25519_BASEPOINT_POINT).compress().to_bytes();
        let r = Scalar::from(77u64);
        let r_point = (r * ED25519_BASEPOINT_POINT + EIGHT_TORSION[4])
            .compress()
            .to_bytes();
        let sig = sign_with(a, key, r, r_point, b"m");
        assert!(!verify(&key, b"m", &sig));
    }

    #[test]
    fn non_canonical_and_small_order_keys_are_refused() {
        let sig = [0u8; 64];
        for t in EIGHT_TORSION.iter() {
            assert!(!verify(&t.compress().to_bytes(), b"m", &sig));
        }
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee; // y = p + 1 ≡ 1
        non_canonical[31] = 0x7f;
        assert!(!y_is_canonical(&non_canonical));
        assert!(CompressedEdwardsY(non_canonical).decompress().is_some());
        assert!(!verify(&non_canonical, b"m", &sig));
    }
}
