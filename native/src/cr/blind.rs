//! The row-blinding proofs of the MAC fold (docs/coercion.md §5.3, `batchproof.verify_blind_rows`): per row a
//! Chaum–Pedersen proof `log_a a' = log_b b'` given with its commitments `T1 ‖ T2 ‖ s`, and `(a', b') ≠ (0, 0)`
//! unless the input is `(0, 0)`. The challenge `c` of each row is recomputed from its statement and commitments;
//! the rows' equations `s·a − c·a' = T1`, `s·b − c·b' = T2` are then checked together as one random linear
//! combination with 128-bit weights from the OS (docs/native.md §3), and only when that fails row by row, so that
//! the failing rows are named exactly.

use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};

#[cfg(test)]
use super::kernels::encode;
use super::kernels::{challenge, point, scalar};
use crate::transcript::int_bytes;
use curve25519_dalek::ristretto::RistrettoPoint;

/// One row, decoded: `[a, a', b, b', T1, T2]` and `(s, c)`.
struct Row {
    index: u64,
    points: [RistrettoPoint; 6],
    s: Scalar,
    c: Scalar,
}

impl Row {
    fn holds(&self) -> bool {
        let [a, a2, b, b2, t1, t2] = self.points;
        RistrettoPoint::vartime_multiscalar_mul([self.s, -self.c], [a, a2]) == t1
            && RistrettoPoint::vartime_multiscalar_mul([self.s, -self.c], [b, b2]) == t2
    }
}

/// Indices (numbered from `start`) of the rows whose blinding does not verify. `inputs` and `outputs` are
/// `a ‖ b` per row (64 bytes), `proofs` `T1 ‖ T2 ‖ s` per row (96 bytes).
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
        || proofs.len() != inputs.len() / 64 * 96
    {
        return Err(
            "blinding: inputs and outputs must be 64 bytes a row, proofs 96, as many rows each"
                .into(),
        );
    }
    let zero = [0u8; 64];
    let mut bad = Vec::new();
    let mut rows = Vec::with_capacity(inputs.len() / 64);
    for (i, ((ct, out), pr)) in inputs
        .chunks_exact(64)
        .zip(outputs.chunks_exact(64))
        .zip(proofs.chunks_exact(96))
        .enumerate()
    {
        let index = start + i as u64;
        if out == zero && ct != zero {
            bad.push(index);
            continue;
        }
        let what = |x: &str| format!("row {index}.{x}");
        let mut points = [RistrettoPoint::default(); 6];
        let parts = [
            &ct[..32],
            &out[..32],
            &ct[32..],
            &out[32..],
            &pr[..32],
            &pr[32..64],
        ];
        for (k, (raw, name)) in parts
            .iter()
            .zip(["a", "a'", "b", "b'", "T1", "T2"])
            .enumerate()
        {
            points[k] = point(raw, &what(name))?;
        }
        let s = scalar(&pr[64..], &what("s"))?;
        let ctx = [context, b"/row", &int_bytes(index)].concat();
        let statement: [&[u8]; 4] = [&ct[..32], &ct[32..], &out[..32], &out[32..]];
        let c = challenge(
            b"cr-row-blind",
            fingerprint,
            &ctx,
            &statement,
            &[&pr[..32], &pr[32..64]],
        );
        rows.push(Row {
            index,
            points,
            s,
            c,
        });
    }
    let weights = crate::batch::weights(2 * rows.len())?;
    let mut coefs = Vec::with_capacity(6 * rows.len());
    let mut pts = Vec::with_capacity(6 * rows.len());
    for (row, w) in rows.iter().zip(weights.chunks_exact(2)) {
        let (d, e) = (w[0], w[1]);
        coefs.extend([d * row.s, -(d * row.c), e * row.s, -(e * row.c), -d, -e]);
        pts.extend(row.points);
    }
    if !RistrettoPoint::vartime_multiscalar_mul(&coefs, &pts).is_identity() {
        bad.extend(rows.iter().filter(|r| !r.holds()).map(|r| r.index));
        bad.sort_unstable();
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
    (out, [t1, t2, (w + c * rho).to_bytes()].concat())
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
        // row 12's commitment T2 replaced, and row 10's response
        let mut forged = proofs.clone();
        forged[2 * 96 + 32..2 * 96 + 64].copy_from_slice(&encode(&G));
        forged[64] ^= 1;
        assert_eq!(
            failing(b"fp", b"ctx", 10, &inputs, &outputs, &forged).unwrap(),
            vec![10, 12]
        );
        assert!(failing(b"fp", b"ctx", 0, &inputs, &outputs[..64], &proofs).is_err());
        assert!(failing(b"fp", b"ctx", 0, &inputs, &outputs, &proofs[..96]).is_err());
    }
}
