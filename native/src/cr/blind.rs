//! The row-blinding proofs of the MAC fold (docs/coercion.md §5.3, `batchproof.verify_blind_rows`): per row a
//! compact Chaum–Pedersen proof `log_a a' = log_b b'` and `(a', b') ≠ (0, 0)` unless the input is `(0, 0)`.
//! Compact proofs hash their commitments, so each is checked on its own (no batch across rows).

#[cfg(test)]
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;

use super::kernels::{challenge, encode, point, scalar};
use crate::transcript::int_bytes;
use curve25519_dalek::ristretto::RistrettoPoint;

/// Indices (numbered from `start`) of the rows whose blinding does not verify. `inputs` and `outputs` are
/// `a ‖ b` per row (64 bytes), `proofs` `c ‖ s` per row (64 bytes).
pub fn failing(
    fingerprint: &[u8],
    context: &[u8],
    start: u64,
    inputs: &[u8],
    outputs: &[u8],
    proofs: &[u8],
) -> Result<Vec<u64>, String> {
    if !inputs.len().is_multiple_of(64)
        || outputs.len() != inputs.len()
        || proofs.len() != inputs.len()
    {
        return Err(
            "blinding: inputs, outputs and proofs must be 64 bytes a row, as many rows each".into(),
        );
    }
    let zero = [0u8; 64];
    let mut bad = Vec::new();
    for (i, ((ct, out), pr)) in inputs
        .chunks_exact(64)
        .zip(outputs.chunks_exact(64))
        .zip(proofs.chunks_exact(64))
        .enumerate()
    {
        let row = start + i as u64;
        if out == zero && ct != zero {
            bad.push(row);
            continue;
        }
        let what = |x: &str| format!("row {row}.{x}");
        let (a, b) = (point(&ct[..32], &what("a"))?, point(&ct[32..], &what("b"))?);
        let (a2, b2) = (
            point(&out[..32], &what("a'"))?,
            point(&out[32..], &what("b'"))?,
        );
        let (c, s) = (
            scalar(&pr[..32], &what("c"))?,
            scalar(&pr[32..], &what("s"))?,
        );
        let t1 = RistrettoPoint::vartime_multiscalar_mul([s, -c], [a, a2]);
        let t2 = RistrettoPoint::vartime_multiscalar_mul([s, -c], [b, b2]);
        let ctx = [context, b"/row", &int_bytes(row)].concat();
        let statement: [&[u8]; 4] = [&ct[..32], &ct[32..], &out[..32], &out[32..]];
        let (e1, e2) = (encode(&t1), encode(&t2));
        if challenge(b"cr-row-blind", fingerprint, &ctx, &statement, &[&e1, &e2]) != c {
            bad.push(row);
        }
    }
    Ok(bad)
}

/// Test helper: an honest blinding of one row with `rho`, `w`.
#[cfg(test)]
pub fn blind_for_test(
    fp: &[u8],
    context: &[u8],
    row: u64,
    ct: &[u8],
    rho: Scalar,
    w: Scalar,
) -> (Vec<u8>, Vec<u8>) {
    let (a, b) = (
        point(&ct[..32], "a").unwrap(),
        point(&ct[32..], "b").unwrap(),
    );
    let out = [encode(&(a * rho)), encode(&(b * rho))].concat();
    let (t1, t2) = (encode(&(a * w)), encode(&(b * w)));
    let ctx = [context, b"/row", &int_bytes(row)].concat();
    let statement: [&[u8]; 4] = [&ct[..32], &ct[32..], &out[..32], &out[32..]];
    let c = challenge(b"cr-row-blind", fp, &ctx, &statement, &[&t1, &t2]);
    (out, [c.to_bytes(), (w + c * rho).to_bytes()].concat())
}

#[cfg(test)]
mod tests {
    use super::super::kernels::G;
    use super::*;

    #[test]
    fn honest_rows_pass_and_forged_ones_are_named() {
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        let mut proofs = Vec::new();
        for i in 0..4u64 {
            let ct = [
                encode(&(G * Scalar::from(i + 3))),
                encode(&(G * Scalar::from(i + 5))),
            ]
            .concat();
            let (out, proof) = blind_for_test(
                b"fp",
                b"ctx",
                10 + i,
                &ct,
                Scalar::from(i + 7),
                Scalar::from(2u64),
            );
            inputs.extend(ct);
            outputs.extend(out);
            proofs.extend(proof);
        }
        assert!(failing(b"fp", b"ctx", 10, &inputs, &outputs, &proofs)
            .unwrap()
            .is_empty());
        // row 11 blinded to (0, 0): refused even though its proof (s = w, c arbitrary) could hold
        let mut zeroed = outputs.clone();
        zeroed[64..128].fill(0);
        assert_eq!(
            failing(b"fp", b"ctx", 10, &inputs, &zeroed, &proofs).unwrap(),
            vec![11]
        );
        // row 13's b' replaced
        let mut forged = outputs.clone();
        forged[224..256].copy_from_slice(&encode(&G));
        assert_eq!(
            failing(b"fp", b"ctx", 10, &inputs, &forged, &proofs).unwrap(),
            vec![13]
        );
        // numbered from another start: every challenge differs
        assert_eq!(
            failing(b"fp", b"ctx", 0, &inputs, &outputs, &proofs).unwrap(),
            vec![0, 1, 2, 3]
        );
        assert!(failing(b"fp", b"ctx", 0, &inputs, &outputs[..64], &proofs).is_err());
    }
}
