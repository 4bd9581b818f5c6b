//! The trustees' **secret** computations of the coercion-resistant tally (docs/native.md §7.6): the linear passes
//! (tag passes and the MAC fold's exponentiations, `coercion/batchproof.prove_linear`) and the row blinding
//! (`batchproof.blind_rows`), byte for byte as the reference computes them from the same randomness.
//!
//! Rules of this file and of `prover_shuffle.rs` (the lead's decision, docs/native.md §7.6):
//! * a secret scalar only meets curve25519-dalek's **constant-time** operations: `&RistrettoPoint * &Scalar`,
//!   `&RistrettoBasepointTable * &Scalar`, `MultiscalarMul::multiscalar_mul` (Straus, constant time) and `Scalar`
//!   arithmetic; never a `vartime_*` function, never a branch or an index on a secret;
//! * secret randomness is drawn by Python (`secrets`) as 64 bytes a scalar and reduced here
//!   ([`wide`], `Scalar::from_bytes_mod_order_wide`), never generated in Rust;
//! * secrets are held in [`Zeroizing`] and wiped when dropped; errors name the argument only, never a value;
//! * public inputs are decoded and validated (canonical encodings) as `hazmat/group.py` does; variable-time code
//!   touches public values only (the coefficients' sums `A, B` over public rows, as in `linear.rs`).
//!
//! Every output point is public once posted, so its encoding may take any time: points computed as `s·P` are
//! computed halved (`(s/2)·P`, a scalar product) and encoded with one batch inversion
//! (`RistrettoPoint::double_and_compress_batch`), about 1 µs a point instead of 5.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::MultiscalarMul;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use super::kernels::{challenge, coefficients, encode, msm, points};
use super::linear::{self, LinearStatement};
use crate::transcript::int_bytes;

/// A secret scalar: exactly 32 bytes little-endian, `< ℓ` (as `hazmat/group.scalar_from_bytes`). The error
/// names the argument, never the value.
pub fn secret(bytes: &[u8], what: &str) -> Result<Zeroizing<Scalar>, String> {
    if bytes.len() != 32 {
        return Err(format!("{what}: expected 32 bytes, got {}", bytes.len()));
    }
    let mut raw = Zeroizing::new([0u8; 32]);
    raw.copy_from_slice(bytes);
    let parsed: Option<Scalar> = Scalar::from_canonical_bytes(*raw).into();
    parsed
        .map(Zeroizing::new)
        .ok_or_else(|| format!("{what}: not reduced modulo the group order"))
}

/// `count` secret scalars from `64·count` uniform bytes, each reduced modulo ℓ as a 512-bit little-endian integer
/// (`int.from_bytes(b, "little") % ℓ`, the reference's reduction). A zero scalar (probability 2⁻²⁵⁰ each) is an
/// error — the caller draws again — found with a constant-time accumulation, so the only thing a timing could
/// tell is that one of them was zero.
pub fn wide(bytes: &[u8], count: usize, what: &str) -> Result<Zeroizing<Vec<Scalar>>, String> {
    if bytes.len() != 64 * count {
        return Err(format!(
            "{what}: expected {} bytes, got {}",
            64 * count,
            bytes.len()
        ));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(count));
    let mut any_zero = Choice::from(0);
    let mut buf = Zeroizing::new([0u8; 64]);
    for chunk in bytes.chunks_exact(64) {
        buf.copy_from_slice(chunk);
        let s = Scalar::from_bytes_mod_order_wide(&buf);
        any_zero |= s.ct_eq(&Scalar::ZERO);
        out.push(s);
    }
    if bool::from(any_zero) {
        return Err(format!("{what}: a drawn scalar is zero (draw again)"));
    }
    Ok(out)
}

/// Secret scalars already reduced (32 bytes each, `< ℓ`), e.g. the shuffle's `u'_i = u_{ψ(i)}`, which tell the
/// permutation.
pub fn secrets(bytes: &[u8], what: &str) -> Result<Zeroizing<Vec<Scalar>>, String> {
    if !bytes.len().is_multiple_of(32) {
        return Err(format!(
            "{what}: length {} is not a multiple of 32",
            bytes.len()
        ));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() / 32));
    for (i, chunk) in bytes.chunks_exact(32).enumerate() {
        out.push(*secret(chunk, &format!("{what}[{i}]"))?);
    }
    Ok(out)
}

/// `1/2 mod ℓ`: `s·P = 2·((s/2)·P)`, so an output computed halved is encoded by [`encode_doubled`].
pub fn half() -> Scalar {
    Scalar::from(2u64).invert()
}

/// The encodings of `2·P` for every `P` of `halves`, concatenated (one field inversion for the whole batch).
pub fn encode_doubled(halves: &[RistrettoPoint]) -> Vec<u8> {
    RistrettoPoint::double_and_compress_batch(halves)
        .iter()
        .flat_map(|c| c.to_bytes())
        .collect()
}

/// Rows of ciphertexts `a ‖ b` (64 bytes each), decoded: `(a's, b's)`.
pub fn rows(
    inputs: &[u8],
    what: &str,
) -> Result<(Vec<RistrettoPoint>, Vec<RistrettoPoint>), String> {
    if !inputs.len().is_multiple_of(64) {
        return Err(format!(
            "{what}: length {} is not a multiple of 64",
            inputs.len()
        ));
    }
    let all = points(inputs, what)?;
    Ok((
        all.iter().step_by(2).copied().collect(),
        all.iter().skip(1).step_by(2).copied().collect(),
    ))
}

/// `x·G` through the precomputed table of the base point (constant time).
fn base(x: &Scalar) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_TABLE * x
}

/// A chunk's linear pass: `a'` (or None), `b'` (32 bytes a row), the proof `c ‖ s_z ‖ s_u`.
pub struct LinearProof {
    pub out_a: Option<Vec<u8>>,
    pub out_b: Vec<u8>,
    pub proof: Vec<u8>,
}

/// A linear pass's rows, without the proof: `a' = z·a` (when `with_a`) and `b' = z·b − u·a` (`u = None`: the MAC
/// fold's plain exponentiation `b' = z·b`, the caller's public choice: its `U` is the identity), encoded (32 bytes
/// a row each). Also what a trustee computes ahead, while voting runs, for the MAC fold (docs/native.md §7.7).
pub fn transform(
    z: &Scalar,
    u: Option<&Scalar>,
    a: &[RistrettoPoint],
    b: &[RistrettoPoint],
    with_a: bool,
) -> (Option<Vec<u8>>, Vec<u8>) {
    let two = half();
    let hz_held = Zeroizing::new(z * two);
    let hz: &Scalar = &hz_held;
    let mut halves: Vec<RistrettoPoint> = Vec::with_capacity(2 * a.len());
    if with_a {
        halves.extend(a.iter().map(|p| p * hz));
    }
    match u {
        None => halves.extend(b.iter().map(|p| p * hz)),
        Some(u) => {
            let minus_hu = Zeroizing::new(-(u * two));
            halves.extend(
                a.iter()
                    .zip(b)
                    .map(|(pa, pb)| RistrettoPoint::multiscalar_mul([hz, &*minus_hu], [pb, pa])),
            );
        }
    }
    let encoded = encode_doubled(&halves);
    if with_a {
        let (x, y) = encoded.split_at(32 * a.len());
        (Some(x.to_vec()), y.to_vec())
    } else {
        (None, encoded)
    }
}

/// Outputs of a linear pass computed earlier ([`transform`]), handed to [`prove_linear`]: `(a' or None, b')`.
pub type Given<'a> = (Option<&'a [u8]>, &'a [u8]);

/// One chunk's linear pass and proof (`batchproof.prove_linear`): the rows by [`transform`] — or `given`, the
/// same rows computed ahead (their lengths checked; a wrong one makes a proof that fails) — then the proof with
/// `nonces = (w_z, w_u)`.
#[allow(clippy::too_many_arguments)]
pub fn prove_linear(
    fingerprint: &[u8],
    context: &[u8],
    z: &Scalar,
    u: Option<&Scalar>,
    inputs: &[u8],
    with_a: bool,
    nonces: &[Scalar],
    given: Option<Given>,
) -> Result<LinearProof, String> {
    let (a, b) = rows(inputs, "inputs")?;
    if nonces.len() != 2 {
        return Err("nonces: expected two".into());
    }
    let (out_a, out_b) = match given {
        None => transform(z, u, &a, &b, with_a),
        Some((given_a, given_b)) => {
            if given_a.is_some() != with_a
                || given_b.len() != 32 * a.len()
                || given_a.is_some_and(|x| x.len() != 32 * a.len())
            {
                return Err("given: not one output a row".into());
            }
            (given_a.map(<[u8]>::to_vec), given_b.to_vec())
        }
    };
    let zero = Zeroizing::new(Scalar::ZERO);
    let u: &Scalar = u.unwrap_or(&zero);
    let (z_pub, u_pub) = (encode(&base(z)), encode(&base(u)));
    let st = LinearStatement {
        fingerprint,
        context,
        z_pub: &z_pub,
        u_pub: &u_pub,
        inputs,
        out_a: out_a.as_deref(),
        out_b: &out_b,
    };
    let seed = linear::seed(&st);
    // public: coefficients from the seed over the public input rows (variable time is fine here)
    let e = coefficients(&seed, 0, a.len());
    let (big_a, big_b) = (msm(&e, &a)?, msm(&e, &b)?);
    let minus_u = Zeroizing::new(-u);
    let image_a = big_a * z;
    let image_b = RistrettoPoint::multiscalar_mul([z, &*minus_u], [&big_b, &big_a]);
    let (wz, wu) = (&nonces[0], &nonces[1]);
    let minus_wu = Zeroizing::new(-wu);
    let mut commitments = vec![encode(&base(wz)), encode(&base(wu))];
    if with_a {
        commitments.push(encode(&(big_a * wz)));
    }
    commitments.push(encode(&RistrettoPoint::multiscalar_mul(
        [wz, &*minus_wu],
        [&big_b, &big_a],
    )));
    let (ea, eb, ia, ib) = (
        encode(&big_a),
        encode(&big_b),
        encode(&image_a),
        encode(&image_b),
    );
    let mut statement: Vec<&[u8]> = vec![&seed, &ea, &eb];
    if with_a {
        statement.push(&ia);
    }
    statement.push(&ib);
    let refs: Vec<&[u8]> = commitments.iter().map(|x| &x[..]).collect();
    let c = challenge(b"cr-batch-linear", fingerprint, context, &statement, &refs);
    let mut proof = Vec::with_capacity(96);
    proof.extend_from_slice(&c.to_bytes());
    proof.extend_from_slice(&(wz + c * z).to_bytes());
    proof.extend_from_slice(&(wu + c * u).to_bytes());
    Ok(LinearProof {
        out_a,
        out_b,
        proof,
    })
}

/// `batchproof.blind_rows` for one chunk: row `i` (numbered `start + i`) gets `ρ_i, w_i` = `randomness[2i]`,
/// `randomness[2i+1]`; outputs `(ρ·a, ρ·b)` (64 bytes a row) and proofs `T1 ‖ T2 ‖ s` (96 bytes a row).
pub fn blind_rows(
    fingerprint: &[u8],
    context: &[u8],
    start: u64,
    inputs: &[u8],
    randomness: &[Scalar],
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (a, b) = rows(inputs, "inputs")?;
    if randomness.len() != 2 * a.len() {
        return Err("randomness: expected two scalars a row".into());
    }
    let two = half();
    let mut halves = Vec::with_capacity(4 * a.len());
    for (i, (pa, pb)) in a.iter().zip(&b).enumerate() {
        let held = Zeroizing::new([randomness[2 * i] * two, randomness[2 * i + 1] * two]);
        let (hr, hw) = (&held[0], &held[1]);
        halves.extend([pa * hr, pb * hr, pa * hw, pb * hw]);
    }
    let encoded = encode_doubled(&halves);
    let mut outputs = Vec::with_capacity(64 * a.len());
    let mut proofs = Vec::with_capacity(64 * a.len());
    for (i, quad) in encoded.chunks_exact(128).enumerate() {
        let (out, commit) = quad.split_at(64);
        let row = &inputs[64 * i..64 * i + 64];
        let ctx = [context, b"/row", &int_bytes(start + i as u64)].concat();
        let statement: [&[u8]; 4] = [&row[..32], &row[32..], &out[..32], &out[32..]];
        let c = challenge(
            b"cr-row-blind",
            fingerprint,
            &ctx,
            &statement,
            &[&commit[..32], &commit[32..]],
        );
        outputs.extend_from_slice(out);
        proofs.extend_from_slice(commit);
        proofs.extend_from_slice(&(randomness[2 * i + 1] + c * randomness[2 * i]).to_bytes());
    }
    Ok((outputs, proofs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
    use curve25519_dalek::traits::Identity;

    #[test]
    fn doubled_encoding_is_the_plain_encoding_identity_included() {
        let two = half();
        let pts = [G * Scalar::from(7u64), RistrettoPoint::identity(), G];
        let halves: Vec<RistrettoPoint> = pts.iter().map(|p| p * two).collect();
        let plain: Vec<u8> = pts.iter().flat_map(encode).collect();
        assert_eq!(encode_doubled(&halves), plain);
    }

    #[test]
    fn randomness_is_reduced_wide_and_zero_refused() {
        let mut raw = [0u8; 128];
        raw[0] = 5;
        raw[64] = 1;
        assert_eq!(
            wide(&raw, 2, "r").unwrap()[..],
            [Scalar::from(5u64), Scalar::ONE]
        );
        assert!(wide(&[0u8; 64], 1, "r").unwrap_err().contains("zero"));
        assert!(wide(&[1u8; 63], 1, "r")
            .unwrap_err()
            .contains("expected 64"));
        assert!(secret(&[0xffu8; 32], "z")
            .unwrap_err()
            .starts_with("z: not reduced"));
        assert!(secret(&[1u8; 31], "z").unwrap_err().contains("expected 32"));
    }
}
