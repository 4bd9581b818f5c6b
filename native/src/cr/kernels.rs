//! Decoding, hashing and multiscalar multiplication shared by the coercion-resistant proofs, byte for byte as
//! `hazmat/group.py`, `proofs/transcript.py` and `coercion/codec.py` define them.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use sha2::{Digest, Sha512};

use crate::transcript::{int_bytes, Transcript};

/// `proofs/transcript.PROTOCOL`.
pub const PROTOCOL: &[u8] = b"plebiscite/v1/";
/// `G`, the ristretto255 base point.
pub const G: RistrettoPoint = RISTRETTO_BASEPOINT_POINT;

/// One element: exactly 32 bytes, a canonical RFC 9496 encoding (the identity is allowed: callers refuse it
/// where the protocol does).
pub fn point(bytes: &[u8], what: &str) -> Result<RistrettoPoint, String> {
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{what}: expected 32 bytes, got {}", bytes.len()))?;
    CompressedRistretto(raw)
        .decompress()
        .ok_or_else(|| format!("{what}: not a canonical ristretto255 encoding"))
}

/// A list of elements, 32 bytes each, concatenated.
pub fn points(bytes: &[u8], what: &str) -> Result<Vec<RistrettoPoint>, String> {
    list(bytes, what, point)
}

/// `bytes` cut into 32-byte pieces, each decoded by `one` (errors name the piece).
fn list<T>(
    bytes: &[u8],
    what: &str,
    one: fn(&[u8], &str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    if !bytes.len().is_multiple_of(32) {
        return Err(format!(
            "{what}: length {} is not a multiple of 32",
            bytes.len()
        ));
    }
    bytes
        .chunks_exact(32)
        .enumerate()
        .map(|(i, raw)| one(raw, &format!("{what}[{i}]")))
        .collect()
}

/// One scalar: exactly 32 bytes little-endian, `< ℓ`.
pub fn scalar(bytes: &[u8], what: &str) -> Result<Scalar, String> {
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{what}: expected 32 bytes, got {}", bytes.len()))?;
    Option::from(Scalar::from_canonical_bytes(raw))
        .ok_or_else(|| format!("{what}: not reduced modulo the group order"))
}

/// A list of scalars, 32 bytes each, concatenated.
pub fn scalars(bytes: &[u8], what: &str) -> Result<Vec<Scalar>, String> {
    list(bytes, what, scalar)
}

pub fn encode(p: &RistrettoPoint) -> [u8; 32] {
    p.compress().to_bytes()
}

/// `Σ s_i·P_i`, variable time (Straus or Pippenger by size): public scalars and points only.
pub fn msm(scalars: &[Scalar], points: &[RistrettoPoint]) -> Result<RistrettoPoint, String> {
    if scalars.len() != points.len() {
        return Err(format!(
            "multiscalar multiplication: {} scalars for {} points",
            scalars.len(),
            points.len()
        ));
    }
    Ok(RistrettoPoint::vartime_multiscalar_mul(scalars, points))
}

/// `codec.list_digest`: `SHA-512(frame(PROTOCOL ‖ domain, items…))`.
pub fn list_digest<'a>(domain: &[u8], items: impl IntoIterator<Item = &'a [u8]>) -> [u8; 64] {
    let mut h = Sha512::new();
    let tag_len = PROTOCOL.len() + domain.len();
    h.update((tag_len as u64).to_be_bytes());
    h.update(PROTOCOL);
    h.update(domain);
    for item in items {
        h.update((item.len() as u64).to_be_bytes());
        h.update(item);
    }
    h.finalize().into()
}

/// `transcript.challenge(tag, fp, context, statement, commitments)`.
pub fn challenge(
    tag: &[u8],
    fingerprint: &[u8],
    context: &[u8],
    statement: &[&[u8]],
    commitments: &[&[u8]],
) -> Scalar {
    let domain = [PROTOCOL, tag].concat();
    let mut t = Transcript::new(&domain);
    t.part(&[fingerprint])
        .part(&[context])
        .part(&[&int_bytes(statement.len() as u64)]);
    for part in statement.iter().chain(commitments) {
        t.part(&[part]);
    }
    t.scalar()
}

/// `codec.coefficients(seed, start, count)`: `e_i = H_s(PROTOCOL ‖ "cr-coefficient", seed, int8(i))`.
pub fn coefficients(seed: &[u8], start: u64, count: usize) -> Vec<Scalar> {
    let domain = [PROTOCOL, b"cr-coefficient"].concat();
    (start..start + count as u64)
        .map(|i| {
            let mut t = Transcript::new(&domain);
            t.part(&[seed]).part(&[&int_bytes(i)]);
            t.scalar()
        })
        .collect()
}

/// `group.hash_to_element(domain, *parts)`: the RFC 9496 map of `SHA-512(frame(domain, parts…))`
/// (libsodium's `crypto_core_ristretto255_from_hash`).
pub fn hash_to_element(domain: &[u8], parts: &[&[u8]]) -> RistrettoPoint {
    let mut h = Sha512::new();
    h.update((domain.len() as u64).to_be_bytes());
    h.update(domain);
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let digest: [u8; 64] = h.finalize().into();
    RistrettoPoint::from_uniform_bytes(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::traits::Identity;

    #[test]
    fn malformed_encodings_are_named_errors() {
        assert!(point(&[0u8; 31], "x")
            .unwrap_err()
            .contains("expected 32 bytes"));
        let mut bad = [0u8; 32];
        bad[0] = 1; // odd: not canonical
        assert!(point(&bad, "x").unwrap_err().contains("canonical"));
        assert_eq!(point(&[0u8; 32], "x").unwrap(), RistrettoPoint::identity());
        assert!(scalar(&[0xffu8; 32], "s").unwrap_err().contains("reduced"));
        assert!(points(&[0u8; 33], "l").is_err());
        assert!(msm(&[Scalar::ONE], &[]).is_err());
    }

    #[test]
    fn msm_is_the_plain_sum_of_products() {
        let s = [Scalar::from(3u64), Scalar::from(5u64)];
        let p = [G, G * Scalar::from(7u64)];
        assert_eq!(msm(&s, &p).unwrap(), G * Scalar::from(38u64));
    }
}
