//! The proof of shuffle's heavy, public computations (docs/coercion.md §5.4, `coercion/shuffle.py`): the
//! generators `h_i`, the columns' multiscalar multiplications by the public `u_j` and `s'_i`, and the chain
//! commitments `t̂_i`. The Fiat–Shamir challenge itself is hashed by the Python code from these values, so a
//! mistake here can only make an honest proof fail (and the glue then asks the reference).

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};

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

/// `(Σ h_i, Σ s_i·h_i)` over `i` in `lo..hi` (`s` holds `hi − lo` scalars), encoded: the verifier's two uses of
/// the generators, without encoding each `h_i` and decoding it twice.
pub fn generator_sums(
    fingerprint: &[u8],
    context: &[u8],
    lo: u64,
    hi: u64,
    s: &[u8],
) -> Result<([u8; 32], [u8; 32]), String> {
    let s = scalars(s, "scalars")?;
    if lo > hi || s.len() as u64 != hi - lo {
        return Err("generator sums: expected one scalar a generator, lo <= hi".into());
    }
    let hs: Vec<RistrettoPoint> = (lo..hi)
        .map(|i| hash_to_element(GENERATOR_TAG, &[fingerprint, context, &int_bytes(i)]))
        .collect();
    let sum: RistrettoPoint = hs.iter().sum();
    Ok((encode(&sum), encode(&super::kernels::msm(&s, &hs)?)))
}

/// Whether `t̂_i = ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i` holds for every row of `chain` (encoded), `ĉ_{i−1}` being
/// `first_prev` for the first row, the `t̂_i` being the proof's `hats`. The rows' equations are checked as one
/// random linear combination `Σ δ_i (ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i − t̂_i) = 0` with 128-bit weights `δ_i` from
/// the OS (docs/native.md §3, §7.2): a false row passes with probability ≤ 2^-128. The chain is shared by
/// neighbouring rows, so the multiscalar multiplication has about two terms a row.
pub fn hats_hold(
    c: &[u8],
    s_hat: &[u8],
    s_prime: &[u8],
    first_prev: &[u8],
    chain: &[u8],
    hats: &[u8],
) -> Result<bool, String> {
    let c = super::kernels::scalar(c, "c")?;
    let (s_hat, s_prime) = (scalars(s_hat, "s_hat")?, scalars(s_prime, "s_prime")?);
    let chain = points(chain, "chain")?;
    let hats = points(hats, "hats")?;
    let n = chain.len();
    if s_hat.len() != n || s_prime.len() != n || hats.len() != n {
        return Err("hats: s_hat, s_prime, chain and hats must have as many entries".into());
    }
    let prev = point(first_prev, "previous chain element")?;
    let delta = crate::batch::weights(n)?;
    // terms: G, ĉ_{-1} (first_prev), ĉ_0 … ĉ_{n−1}, t̂_0 … t̂_{n−1}
    let mut coefs = Vec::with_capacity(2 * n + 2);
    let mut pts = Vec::with_capacity(2 * n + 2);
    coefs.push(delta.iter().zip(&s_hat).map(|(d, s)| d * s).sum::<Scalar>());
    pts.push(G);
    coefs.push(delta[0] * s_prime[0]);
    pts.push(prev);
    for i in 0..n {
        let next = if i + 1 < n {
            delta[i + 1] * s_prime[i + 1]
        } else {
            Scalar::ZERO
        };
        coefs.push(next - delta[i] * c);
        pts.push(chain[i]);
    }
    coefs.extend(delta.iter().map(|d| -d));
    pts.extend(hats);
    Ok(RistrettoPoint::vartime_multiscalar_mul(&coefs, &pts).is_identity())
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
    fn hats_hold_for_the_chain_relation_only() {
        let chain: Vec<RistrettoPoint> = (1..4u64).map(|i| G * Scalar::from(i)).collect();
        let raw: Vec<u8> = chain.iter().flat_map(encode).collect();
        let h = G * Scalar::from(9u64);
        let sh: Vec<Scalar> = (1..4u64).map(Scalar::from).collect();
        let sp: Vec<Scalar> = (4..7u64).map(Scalar::from).collect();
        let c = Scalar::from(2u64);
        let mut prev = h;
        let mut hats = Vec::new();
        for i in 0..3 {
            hats.extend(encode(&(G * sh[i] + prev * sp[i] - chain[i] * c)));
            prev = chain[i];
        }
        let (sh, sp): (Vec<u8>, Vec<u8>) = (
            sh.iter().flat_map(|s| s.to_bytes()).collect(),
            sp.iter().flat_map(|s| s.to_bytes()).collect(),
        );
        let cb = c.to_bytes();
        assert!(hats_hold(&cb, &sh, &sp, &encode(&h), &raw, &hats).unwrap());
        // row 1: 2·G + 5·ĉ_0 − 2·ĉ_1 = 3G
        assert_eq!(&hats[32..64], &encode(&(G * Scalar::from(3u64))));
        for k in 0..3 {
            let mut bad = hats.clone();
            bad[32 * k..32 * k + 32].copy_from_slice(&encode(&(G * Scalar::from(11u64))));
            assert!(!hats_hold(&cb, &sh, &sp, &encode(&h), &raw, &bad).unwrap());
        }
        assert!(!hats_hold(&cb, &sh, &sp, &encode(&G), &raw, &hats).unwrap());
        assert!(hats_hold(&cb, &sh[..32], &sp, &encode(&h), &raw, &hats).is_err());
        assert!(hats_hold(&cb, &sh, &sp, &encode(&h), &raw, &hats[..64]).is_err());
        let two: Vec<u8> = [Scalar::from(2u64), Scalar::from(3u64)]
            .iter()
            .flat_map(|x| x.to_bytes())
            .collect();
        let gens = generators(b"fp", b"ctx", 2, 4);
        let (h2, h3) = (
            point(&gens[..32], "h2").unwrap(),
            point(&gens[32..], "h3").unwrap(),
        );
        assert_eq!(
            generator_sums(b"fp", b"ctx", 2, 4, &two).unwrap(),
            (
                encode(&(h2 + h3)),
                encode(&(h2 * Scalar::from(2u64) + h3 * Scalar::from(3u64)))
            )
        );
        assert!(generator_sums(b"fp", b"ctx", 2, 5, &two).is_err());
        assert_eq!(generators(b"fp", b"ctx", 2, 4).len(), 64);
        assert_eq!(
            &generators(b"fp", b"ctx", 2, 4)[32..],
            &generators(b"fp", b"ctx", 3, 4)[..]
        );
    }
}
