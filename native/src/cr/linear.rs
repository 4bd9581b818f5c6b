//! The linear batch proof (docs/coercion.md §5.1, `coercion/batchproof.py`): verification of one chunk, and the
//! prover's two public sums `A = Σ e_i a_i`, `B = Σ e_i b_i`.

use curve25519_dalek::ristretto::RistrettoPoint;
#[cfg(test)]
use curve25519_dalek::scalar::Scalar;

use super::kernels::{challenge, coefficients, encode, list_digest, msm, point, points, scalar, G};
use crate::transcript::int_bytes;

/// One chunk's statement: `inputs` is `a_1 ‖ b_1 ‖ a_2 ‖ …` (64 bytes a row), `out_a` (if any) and `out_b` 32
/// bytes a row.
pub struct LinearStatement<'a> {
    pub fingerprint: &'a [u8],
    pub context: &'a [u8],
    pub z_pub: &'a [u8],
    pub u_pub: &'a [u8],
    pub inputs: &'a [u8],
    pub out_a: Option<&'a [u8]>,
    pub out_b: &'a [u8],
}

/// `batchproof._seed`: 32 bytes.
pub fn seed(st: &LinearStatement) -> [u8; 32] {
    let rows = st.inputs.len() / 64;
    let d_in = list_digest(b"cr-batch-inputs", st.inputs.chunks_exact(32));
    let outs = st
        .out_a
        .unwrap_or(&[])
        .chunks_exact(32)
        .chain(st.out_b.chunks_exact(32));
    let d_out = list_digest(b"cr-batch-outputs", outs);
    let n = int_bytes(rows as u64);
    let has_a = int_bytes(u64::from(st.out_a.is_some()));
    let g = encode(&G);
    let statement: [&[u8]; 7] = [&g, st.z_pub, st.u_pub, &n, &has_a, &d_in, &d_out];
    challenge(
        b"cr-batch-seed",
        st.fingerprint,
        st.context,
        &statement,
        &[],
    )
    .to_bytes()
}

/// `(Σ e_i a_i, Σ e_i b_i)` with `e_i = coef(seed, i)`: the sums a prover computes over public rows.
pub fn input_sums(seed: &[u8], inputs: &[u8]) -> Result<(RistrettoPoint, RistrettoPoint), String> {
    if !inputs.len().is_multiple_of(64) {
        return Err(format!(
            "inputs: length {} is not a multiple of 64",
            inputs.len()
        ));
    }
    let all = points(inputs, "inputs")?;
    let e = coefficients(seed, 0, all.len() / 2);
    let a: Vec<RistrettoPoint> = all.iter().step_by(2).copied().collect();
    let b: Vec<RistrettoPoint> = all.iter().skip(1).step_by(2).copied().collect();
    Ok((msm(&e, &a)?, msm(&e, &b)?))
}

/// `batchproof.verify_linear` for one chunk; `proof` is `c ‖ s_z ‖ s_u` (96 bytes).
pub fn verify(st: &LinearStatement, proof: &[u8]) -> Result<bool, String> {
    if proof.len() != 96 {
        return Err(format!("proof: expected 96 bytes, got {}", proof.len()));
    }
    let rows = st.inputs.len() / 64;
    if !st.inputs.len().is_multiple_of(64)
        || st.out_b.len() != 32 * rows
        || st.out_a.is_some_and(|a| a.len() != 32 * rows)
    {
        return Ok(false); // the reference's length check: not the claimed transformation
    }
    let (c, sz, su) = (
        scalar(&proof[..32], "proof.c")?,
        scalar(&proof[32..64], "proof.sz")?,
        scalar(&proof[64..], "proof.su")?,
    );
    let (z_pub, u_pub) = (point(st.z_pub, "z")?, point(st.u_pub, "u")?);
    let seed = seed(st);
    let (big_a, big_b) = input_sums(&seed, st.inputs)?;
    let e = coefficients(&seed, 0, rows);
    let image_b = msm(&e, &points(st.out_b, "out_b")?)?;
    let image_a = match st.out_a {
        Some(a) => Some(msm(&e, &points(a, "out_a")?)?),
        None => None,
    };
    let mut commitments = vec![encode(&(G * sz - z_pub * c)), encode(&(G * su - u_pub * c))];
    if let Some(ia) = image_a {
        commitments.push(encode(&(big_a * sz - ia * c)));
    }
    commitments.push(encode(&(big_b * sz - big_a * su - image_b * c)));
    let (ea, eb) = (encode(&big_a), encode(&big_b));
    let ia = image_a.map(|p| encode(&p));
    let ib = encode(&image_b);
    let mut statement: Vec<&[u8]> = vec![&seed, &ea, &eb];
    if let Some(ia) = &ia {
        statement.push(ia);
    }
    statement.push(&ib);
    let refs: Vec<&[u8]> = commitments.iter().map(|x| &x[..]).collect();
    Ok(challenge(
        b"cr-batch-linear",
        st.fingerprint,
        st.context,
        &statement,
        &refs,
    ) == c)
}

/// Test helper: an honest proof for `(z, u)` on `inputs` (the Rust tests have no Python prover).
#[cfg(test)]
pub fn prove_for_test(
    st_inputs: &[u8],
    z: Scalar,
    u: Scalar,
    with_a: bool,
    fp: &[u8],
    ctx: &[u8],
) -> (Option<Vec<u8>>, Vec<u8>, Vec<u8>) {
    let all = points(st_inputs, "inputs").unwrap();
    let mut out_a = Vec::new();
    let mut out_b = Vec::new();
    for row in all.chunks_exact(2) {
        out_a.extend_from_slice(&encode(&(row[0] * z)));
        out_b.extend_from_slice(&encode(&(row[1] * z - row[0] * u)));
    }
    let (zp, up) = (encode(&(G * z)), encode(&(G * u)));
    let st = LinearStatement {
        fingerprint: fp,
        context: ctx,
        z_pub: &zp,
        u_pub: &up,
        inputs: st_inputs,
        out_a: with_a.then_some(&out_a[..]),
        out_b: &out_b,
    };
    let seed = seed(&st);
    let (ba, bb) = input_sums(&seed, st_inputs).unwrap();
    let (wz, wu) = (Scalar::from(11u64), Scalar::from(13u64));
    let mut commitments = vec![encode(&(G * wz)), encode(&(G * wu))];
    if with_a {
        commitments.push(encode(&(ba * wz)));
    }
    commitments.push(encode(&(bb * wz - ba * wu)));
    let (ea, eb) = (encode(&ba), encode(&bb));
    let (ia, ib) = (encode(&(ba * z)), encode(&(bb * z - ba * u)));
    let mut statement: Vec<&[u8]> = vec![&seed, &ea, &eb];
    if with_a {
        statement.push(&ia);
    }
    statement.push(&ib);
    let refs: Vec<&[u8]> = commitments.iter().map(|x| &x[..]).collect();
    let c = challenge(b"cr-batch-linear", fp, ctx, &statement, &refs);
    let proof = [
        c.to_bytes(),
        (wz + c * z).to_bytes(),
        (wu + c * u).to_bytes(),
    ]
    .concat();
    (with_a.then_some(out_a), out_b, proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: u64) -> Vec<u8> {
        (0..2 * n)
            .flat_map(|i| encode(&(G * Scalar::from(i + 2))))
            .collect()
    }

    #[test]
    fn honest_chunks_verify_and_a_changed_row_does_not() {
        for with_a in [false, true] {
            let inputs = rows(5);
            let (z, u) = (Scalar::from(7u64), Scalar::from(9u64));
            let (out_a, out_b, proof) = prove_for_test(&inputs, z, u, with_a, b"fp", b"ctx");
            let (zp, up) = (encode(&(G * z)), encode(&(G * u)));
            let st = LinearStatement {
                fingerprint: b"fp",
                context: b"ctx",
                z_pub: &zp,
                u_pub: &up,
                inputs: &inputs,
                out_a: out_a.as_deref(),
                out_b: &out_b,
            };
            assert!(verify(&st, &proof).unwrap());
            let other = LinearStatement {
                context: b"other",
                ..st
            };
            assert!(!verify(&other, &proof).unwrap());
            let mut forged = out_b.clone();
            forged[64..96].copy_from_slice(&encode(&G));
            let st = LinearStatement {
                out_b: &forged,
                ..st
            };
            assert!(!verify(&st, &proof).unwrap());
        }
    }
}
