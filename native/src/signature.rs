//! Ed25519 verification of the board's signed tree heads (ballots are signed with Schnorr over ristretto255 since
//! session 11, checked in the batch: `ballot.rs`, `batch.rs`), with exactly the rules of the reference, libsodium
//! 1.0.18's `crypto_sign_verify_detached`, which PyNaCl's `VerifyKey.verify` (the heads' reference in
//! `verify/heads.py`) reaches through `crypto_sign_open` (`tests/native/test_signatures.py` compares the two):
//!
//! * `s` must be canonical (`< ℓ`);
//! * the public key `A` must be a canonical encoding (`y < p`, the sign bit aside), must decode, and must not
//!   have small order;
//! * `R` must not have small order, and `[s]B − [H(R‖A‖M)]A` must *encode* to exactly the 32 bytes of `R`
//!   (cofactorless: a non-canonical `R`, or one off by a torsion point, never matches).
//!
//! The check follows libsodium's steps, on curve25519-dalek's Edwards arithmetic: the small-order tests are
//! libsodium's blocklist on the *encodings* (sign bit masked, so `R` is never decompressed: a non-canonical or
//! non-decodable `R` can never equal the canonical encoding computed below), then `R' = [s]B − [k]A` with a
//! variable-time double-base multiplication and a byte comparison. (ed25519-dalek's `verify_strict`, used
//! before, decompresses `R` only to test its order: about 10 µs a signature for the same answer.)
//!
//! ed25519-dalek's `verify_batch` is **not** used: it checks a random combination of signatures with
//! coefficients derived from the signatures themselves, and a signature whose `R` is off by a point of order 2,
//! 4 or 8 passes such a combination with probability up to 1/2 (the coefficients only matter modulo 8 on the
//! torsion part) where the single check always refuses it — so the two engines could disagree on a forged
//! head. See docs/native.md §2. Many signatures under **one** key (the board's signed heads) are checked one by
//! one ([`verify_many`]), the key decoded once.

use std::sync::OnceLock;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// `p = 2^255 − 19` little-endian: an encoding whose 255-bit `y` is `≥ p` is not canonical.
fn y_is_canonical(encoding: &[u8; 32]) -> bool {
    // libsodium's ge25519_is_canonical: non-canonical iff bytes 1..30 are 0xff, byte 31 (sign bit masked) is
    // 0x7f and byte 0 is ≥ 0xed.
    let top = encoding[31] & 0x7f == 0x7f;
    let middle = encoding[1..31].iter().all(|&b| b == 0xff);
    !(top && middle && encoding[0] >= 0xed)
}

/// The `y` encodings (sign bit cleared) of the eight points of order dividing 8.
fn torsion_ys() -> &'static [[u8; 32]; 8] {
    static YS: OnceLock<[[u8; 32]; 8]> = OnceLock::new();
    YS.get_or_init(|| {
        EIGHT_TORSION.map(|t| {
            let mut y = t.compress().to_bytes();
            y[31] &= 0x7f;
            y
        })
    })
}

/// libsodium's `ge25519_has_small_order` on an encoding: its `y` (sign bit masked, reduced mod p: `p` and
/// `p + 1` are the non-canonical spellings of 0 and 1) is the `y` of a point of order 1, 2, 4 or 8.
fn has_small_order(encoding: &[u8; 32]) -> bool {
    let mut y = *encoding;
    y[31] &= 0x7f;
    if !y_is_canonical(&y) {
        return y[0] == 0xed || y[0] == 0xee; // p ≡ 0, p + 1 ≡ 1; p + 2 … p + 18 are no torsion point's y
    }
    torsion_ys().contains(&y)
}

/// `s` canonical and `R` not of small order (libsodium's checks on the signature alone).
fn split(signature: &[u8; 64]) -> Option<([u8; 32], Scalar)> {
    let r: [u8; 32] = signature[..32].try_into().expect("32 bytes");
    let s = Option::from(Scalar::from_canonical_bytes(
        signature[32..].try_into().expect("32 bytes"),
    ))?;
    (!has_small_order(&r)).then_some((r, s))
}

/// The public key decoded, if libsodium would use it: canonical, not of small order, a curve point.
fn key_point(public_key: &[u8; 32]) -> Option<EdwardsPoint> {
    if !y_is_canonical(public_key) || has_small_order(public_key) {
        return None;
    }
    CompressedEdwardsY(*public_key).decompress()
}

/// `k = SHA-512(R ‖ A ‖ M) mod ℓ`.
fn challenge(r: &[u8; 32], public_key: &[u8; 32], message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(public_key);
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// True iff `signature` is a valid Ed25519 signature of `message` under `public_key` by libsodium's rules.
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let (Some((r, s)), Some(a)) = (split(signature), key_point(public_key)) else {
        return false;
    };
    let k = challenge(&r, public_key, message);
    EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s)
        .compress()
        .to_bytes()
        == r
}

/// Many `(message, signature)` pairs under one key (the board's signed heads): each answer is [`verify`]'s, the
/// key checked and decoded once. Each `R'` is computed and compared alone: nothing is batched (a comb table of
/// the key, `EdwardsBasepointTable`, was tried: no faster than the variable-time double-base multiplication here).
pub fn verify_many(public_key: &[u8; 32], items: &[(&[u8], &[u8])]) -> Vec<bool> {
    let Some(minus_a) = key_point(public_key).map(|a| -a) else {
        return vec![false; items.len()];
    };
    items
        .iter()
        .map(|(message, signature)| {
            let Ok(signature) = <&[u8; 64]>::try_from(*signature) else {
                return false;
            };
            let Some((r, s)) = split(signature) else {
                return false;
            };
            let k = challenge(&r, public_key, message);
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &minus_a, &s)
                .compress()
                .to_bytes()
                == r
        })
        .collect()
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
    fn the_blocklist_is_libsodiums() {
        // libsodium 1.0.18's seven blocklisted encodings (sign bit masked), and nothing else of y < 19 + p
        let listed = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ];
        for hex in listed {
            let mut e = [0u8; 32];
            for (i, b) in e.iter_mut().enumerate() {
                *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            assert!(has_small_order(&e), "{hex}");
            e[31] |= 0x80;
            assert!(has_small_order(&e), "{hex} with the sign bit");
        }
        for low in 0xefu8..=0xff {
            let mut e = [0xffu8; 32];
            e[0] = low;
            e[31] = 0x7f;
            assert!(!has_small_order(&e));
        }
        assert!(!has_small_order(&[2u8; 32]));
    }

    #[test]
    fn many_under_one_key_answer_as_one_by_one() {
        let a = Scalar::from(31337u64);
        let key = (a * ED25519_BASEPOINT_POINT).compress().to_bytes();
        let mut sigs = Vec::new();
        for i in 0..70u64 {
            let r = Scalar::from(1000 + i);
            let mut r_point = r * ED25519_BASEPOINT_POINT;
            if i % 7 == 3 {
                r_point += EIGHT_TORSION[2]; // refused alone, must be refused here too
            }
            let mut sig = sign_with(a, key, r, r_point.compress().to_bytes(), &i.to_be_bytes());
            if i % 11 == 5 {
                sig[50] ^= 4;
            }
            sigs.push((i.to_be_bytes(), sig));
        }
        for n in [6, sigs.len()] {
            let items: Vec<(&[u8], &[u8])> =
                sigs[..n].iter().map(|(m, s)| (&m[..], &s[..])).collect();
            let expected: Vec<bool> = sigs[..n].iter().map(|(m, s)| verify(&key, m, s)).collect();
            assert_eq!(verify_many(&key, &items), expected);
            assert!(expected.contains(&true) && expected.contains(&false));
        }
        assert_eq!(verify_many(&[0u8; 32], &[(b"m", &[0u8; 64])]), vec![false]);
        assert_eq!(verify_many(&key, &[(b"m", &[0u8; 63])]), vec![false]);
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
