//! The trustees' decryption shares (docs/protocol.md §10, `decrypt/partial.check_partial`): for every aggregate
//! ciphertext `(a, b)` at question `q`, position `i`, trustee `j` publishes `D = x_j·a` with a compact
//! Chaum–Pedersen proof `(c, z)` of `log_G X_j = log_a D`. The verifier recomputes the commitments
//! `T1 = z·G − c·X_j`, `T2 = z·a − c·D` and compares `c` with
//! `H_s("plebiscite/v1/chaum-pedersen", fp, "decrypt" ‖ u64(j) ‖ u64(q) ‖ u64(i), u64(4), G, X_j, a, D, T1, T2)`
//! (`proofs/dleq.verify`, `proofs/transcript.challenge`).
//!
//! The proofs carry no commitments, so there is nothing to batch across them (docs/native.md §3): each is two
//! two-term variable-time multiplications — Straus (`vartime_double_scalar_mul_basepoint` for `T1`,
//! `vartime_multiscalar_mul` for `T2`) — on public values only. The check itself is the coercion-resistant
//! mode's tag-key check, `cr::keyproofs::dleq_decoded` (the same proof, `proofs/dleq.verify` with `g = G`).

use curve25519_dalek::ristretto::RistrettoPoint;

use crate::cr::kernels::point;
use crate::cr::keyproofs;
use crate::transcript::int_bytes;

/// One position's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Share {
    /// The proof holds.
    Holds = 0,
    /// The share is not a canonical ristretto255 encoding, or `c` or `z` is not below ℓ.
    Malformed = 1,
    /// The recomputed challenge differs from `c`.
    Challenge = 2,
}

/// `decrypt/partial.decryption_context`: `"decrypt" ‖ u64(j) ‖ u64(q) ‖ u64(i)`.
pub fn decryption_context(trustee: u64, question: u64, position: u64) -> Vec<u8> {
    [
        &b"decrypt"[..],
        &int_bytes(trustee),
        &int_bytes(question),
        &int_bytes(position),
    ]
    .concat()
}

/// One position's proof (`proofs/dleq.verify` with `g = G`: [`keyproofs::dleq_decoded`]): the trustee's key and
/// the aggregate's `a` decoded already, the share `D` and the proof `c ‖ z` as raw bytes from the record.
pub fn dleq_holds(
    fingerprint: &[u8],
    context: &[u8],
    public: (&RistrettoPoint, &[u8; 32]),
    base: (&RistrettoPoint, &[u8; 32]),
    image: &[u8],
    proof: &[u8],
) -> Share {
    let answer = keyproofs::proof(proof).and_then(|cz| {
        keyproofs::dleq_decoded(
            fingerprint,
            context,
            (public.0, public.1),
            (base.0, base.1),
            image,
            cz,
        )
    });
    match answer {
        Ok(true) => Share::Holds,
        Ok(false) => Share::Challenge,
        Err(_) => Share::Malformed, // a share or a scalar not in its one encoding
    }
}

/// Every position of trustee `trustee`'s partial decryption: `bases` the aggregate's `a`s in order (question by
/// question, 32 bytes each, from the checked aggregate), `widths` the number of positions per question, `shares`
/// the `D`s and `proofs` the `c ‖ z`s in the same order. One answer per position. A wrong length, or a base or
/// key that does not decode, is an error naming it (the caller's own values: never a forgery's status).
pub fn check(
    fingerprint: &[u8],
    trustee: u64,
    verification_key: &[u8],
    widths: &[usize],
    bases: &[u8],
    shares: &[u8],
    proofs: &[u8],
) -> Result<Vec<Share>, String> {
    let n: usize = widths.iter().sum();
    for (what, got, each) in [
        ("bases", bases, 32),
        ("shares", shares, 32),
        ("proofs", proofs, 64),
    ] {
        if got.len() != n * each {
            return Err(format!(
                "{what}: expected {} bytes for {n} positions, got {}",
                n * each,
                got.len()
            ));
        }
    }
    let key_bytes: [u8; 32] = verification_key
        .try_into()
        .map_err(|_| "verification key: expected 32 bytes".to_string())?;
    let key = point(&key_bytes, "verification key")?;
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for (q, width) in widths.iter().enumerate() {
        for i in 0..*width {
            let base_bytes: [u8; 32] = bases[32 * at..32 * (at + 1)].try_into().unwrap();
            let base = point(&base_bytes, &format!("bases[{at}]"))?;
            let context = decryption_context(trustee, q as u64, i as u64);
            out.push(dleq_holds(
                fingerprint,
                &context,
                (&key, &key_bytes),
                (&base, &base_bytes),
                &shares[32 * at..32 * (at + 1)],
                &proofs[64 * at..64 * (at + 1)],
            ));
            at += 1;
        }
    }
    Ok(out)
}

/// `check_decryption_shares(fingerprint, trustee, verification_key, widths, bases, shares, proofs) -> bytes`:
/// one status byte per position ([`Share`]: 0 holds, 1 malformed, 2 challenge), the Python face of [`check`]
/// (glue: `plebiscite.native.shares`). Runs under [`crate::python::guarded`]: a panic or a wrong length is a
/// `NativeError` naming it.
#[cfg(feature = "python")]
#[pyo3::pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_decryption_shares<'py>(
    py: pyo3::Python<'py>,
    fingerprint: pyo3::pybacked::PyBackedBytes,
    trustee: u64,
    verification_key: pyo3::pybacked::PyBackedBytes,
    widths: Vec<usize>,
    bases: pyo3::pybacked::PyBackedBytes,
    shares: pyo3::pybacked::PyBackedBytes,
    proofs: pyo3::pybacked::PyBackedBytes,
) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::types::PyBytes>> {
    let answers = py.allow_threads(|| {
        crate::python::guarded("check_decryption_shares", || {
            let out = check(
                &fingerprint,
                trustee,
                &verification_key,
                &widths,
                &bases,
                &shares,
                &proofs,
            )?;
            Ok(out.into_iter().map(|s| s as u8).collect::<Vec<u8>>())
        })
    })?;
    Ok(pyo3::types::PyBytes::new(py, &answers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cr::kernels::{challenge, encode, G};
    use crate::cr::keyproofs::DLEQ_TAG;
    use curve25519_dalek::scalar::Scalar;

    const FP: [u8; 32] = [7; 32];

    /// An honest partial decryption of `bases` by share `x` (the prover of `proofs/dleq.prove`, fixed nonces).
    fn honest(
        x: Scalar,
        trustee: u64,
        widths: &[usize],
        bases: &[RistrettoPoint],
    ) -> (Vec<u8>, Vec<u8>) {
        let key = G * x;
        let (mut shares, mut proofs) = (Vec::new(), Vec::new());
        let mut at = 0;
        for (q, width) in widths.iter().enumerate() {
            for i in 0..*width {
                let a = bases[at];
                let d = a * x;
                let w = Scalar::from(1000 + at as u64);
                let (t1, t2) = (encode(&(G * w)), encode(&(a * w)));
                let (g, k, ab, db) = (encode(&G), encode(&key), encode(&a), encode(&d));
                let ctx = decryption_context(trustee, q as u64, i as u64);
                let c = challenge(DLEQ_TAG, &FP, &ctx, &[&g, &k, &ab, &db], &[&t1, &t2]);
                shares.extend_from_slice(&db);
                proofs.extend_from_slice(c.as_bytes());
                proofs.extend_from_slice((w + c * x).as_bytes());
                at += 1;
            }
        }
        (shares, proofs)
    }

    fn setup() -> (Scalar, Vec<usize>, Vec<RistrettoPoint>, Vec<u8>) {
        let widths = vec![2, 3];
        let bases: Vec<RistrettoPoint> = (0..5).map(|k| G * Scalar::from(31 + k as u64)).collect();
        let flat = bases.iter().flat_map(encode).collect();
        (Scalar::from(424242u64), widths, bases, flat)
    }

    #[test]
    fn honest_shares_hold_and_each_forgery_is_refused() {
        let (x, widths, bases, flat) = setup();
        let key = encode(&(G * x));
        let (shares, proofs) = honest(x, 2, &widths, &bases);
        let run = |s: &[u8], p: &[u8], j: u64| check(&FP, j, &key, &widths, &flat, s, p).unwrap();
        assert_eq!(run(&shares, &proofs, 2), vec![Share::Holds; 5]);
        // another trustee's context
        assert_eq!(run(&shares, &proofs, 3), vec![Share::Challenge; 5]);
        // a share changed (still a valid element)
        let mut s = shares.clone();
        s[32..64].copy_from_slice(&encode(&(bases[1] * (x + Scalar::ONE))));
        assert_eq!(run(&s, &proofs, 2)[1], Share::Challenge);
        // challenge or response changed
        for offset in [64 * 3, 64 * 3 + 32] {
            let mut p = proofs.clone();
            p[offset] ^= 1;
            assert_eq!(run(&shares, &p, 2)[3], Share::Challenge);
        }
        // z + ℓ: not canonical
        let mut p = proofs.clone();
        let z = Scalar::from_canonical_bytes(p[32..64].try_into().unwrap()).unwrap();
        let big = num_plus_l(z.as_bytes()).unwrap();
        p[32..64].copy_from_slice(&big);
        assert_eq!(run(&shares, &p, 2)[0], Share::Malformed);
        // a non-canonical share (bit 255)
        let mut s = shares.clone();
        s[31] |= 0x80;
        assert_eq!(run(&s, &proofs, 2)[0], Share::Malformed);
    }

    /// `value + ℓ` as 32 little-endian bytes, when it fits.
    fn num_plus_l(value: &[u8; 32]) -> Option<[u8; 32]> {
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for k in 0..32 {
            let sum = value[k] as u16 + l[k] as u16 + carry;
            out[k] = sum as u8;
            carry = sum >> 8;
        }
        (carry == 0).then_some(out)
    }

    #[test]
    fn wrong_lengths_are_named_errors() {
        let (x, widths, bases, flat) = setup();
        let key = encode(&(G * x));
        let (shares, proofs) = honest(x, 1, &widths, &bases);
        let err = check(&FP, 1, &key, &widths, &flat, &shares[..64], &proofs).unwrap_err();
        assert!(err.starts_with("shares:"), "{err}");
        let err = check(&FP, 1, &key[..31], &widths, &flat, &shares, &proofs).unwrap_err();
        assert!(err.starts_with("verification key"), "{err}");
    }
}
