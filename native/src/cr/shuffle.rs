//! The proof of shuffle's heavy, public computations (docs/coercion.md §5.4, `coercion/shuffle.py`): the
//! generators `h_i`, the columns' multiscalar multiplications by the public `u_j` and `s'_i`, and the chain
//! commitments `t̂_i`. The Fiat–Shamir challenge itself is hashed by the Python code from these values, so a
//! mistake here can only make an honest proof fail (and the glue then asks the reference).

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;

use super::kernels::{encode, hash_to_element, point, points, scalars, G};
use crate::transcript::int_bytes;

pub const GENERATOR_TAG: &[u8] = b"plebiscite/v1/cr-shuffle-generator";

/// `h_i = H_G(GENERATOR_TAG, fp, context, int8(i))` for `i` in `lo..hi`, encoded.
pub fn generators(fingerprint: &[u8], context: &[u8], lo: u64, hi: u64) -> Vec<u8> {
    (lo..hi)
        .flat_map(|i| {
            encode(&hash_to_element(
                GENERATOR_TAG,
                &[fingerprint, context, &int_bytes(i)],
            ))
        })
        .collect()
}

/// `t̂_i = ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i` for the rows of `chain` (encoded), with `ĉ_{i−1}` = `first_prev` for
/// the first row.
pub fn hats(
    c: &[u8],
    s_hat: &[u8],
    s_prime: &[u8],
    first_prev: &[u8],
    chain: &[u8],
) -> Result<Vec<u8>, String> {
    let c = super::kernels::scalar(c, "c")?;
    let (s_hat, s_prime) = (scalars(s_hat, "s_hat")?, scalars(s_prime, "s_prime")?);
    let chain = points(chain, "chain")?;
    if s_hat.len() != chain.len() || s_prime.len() != chain.len() {
        return Err("hats: s_hat, s_prime and chain must have as many entries".into());
    }
    let mut prev = point(first_prev, "previous chain element")?;
    let mut out = Vec::with_capacity(32 * chain.len());
    for ((x, y), cur) in s_hat.iter().zip(&s_prime).zip(&chain) {
        let t = RistrettoPoint::vartime_multiscalar_mul([*x, *y, -c], [G, prev, *cur]);
        out.extend_from_slice(&encode(&t));
        prev = *cur;
    }
    Ok(out)
}

/// `[Σ_i s_i·column[i] for column in columns]`, encoded.
pub fn msm_columns(scalars_raw: &[u8], columns: &[&[u8]]) -> Result<Vec<[u8; 32]>, String> {
    let s: Vec<Scalar> = scalars(scalars_raw, "scalars")?;
    columns
        .iter()
        .enumerate()
        .map(|(k, col)| {
            let p = points(col, &format!("column {k}"))?;
            Ok(encode(&super::kernels::msm(&s, &p)?))
        })
        .collect()
}

/// `Σ points`, encoded.
pub fn sum(raw: &[u8]) -> Result<[u8; 32], String> {
    Ok(encode(
        &points(raw, "points")?.iter().sum::<RistrettoPoint>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hats_are_the_chain_relation() {
        let chain: Vec<RistrettoPoint> = (1..4u64).map(|i| G * Scalar::from(i)).collect();
        let raw: Vec<u8> = chain.iter().flat_map(encode).collect();
        let h = G * Scalar::from(9u64);
        let sh: Vec<u8> = (0..3u64)
            .flat_map(|i| Scalar::from(i + 1).to_bytes())
            .collect();
        let sp: Vec<u8> = (0..3u64)
            .flat_map(|i| Scalar::from(i + 4).to_bytes())
            .collect();
        let c = Scalar::from(2u64);
        let out = hats(&c.to_bytes(), &sh, &sp, &encode(&h), &raw).unwrap();
        // row 1: 2·G + 5·ĉ_0 − 2·ĉ_1 = 2G + 5G − 4G = 3G
        assert_eq!(&out[32..64], &encode(&(G * Scalar::from(3u64))));
        assert!(hats(&c.to_bytes(), &sh[..32], &sp, &encode(&h), &raw).is_err());
        assert_eq!(generators(b"fp", b"ctx", 2, 4).len(), 64);
        assert_eq!(
            &generators(b"fp", b"ctx", 2, 4)[32..],
            &generators(b"fp", b"ctx", 3, 4)[..]
        );
    }
}
