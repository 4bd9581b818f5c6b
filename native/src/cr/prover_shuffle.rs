//! The mixer's secret computations of the proof of shuffle (`coercion/shuffle.shuffle`, docs/coercion.md §5.4),
//! under the rules of `prover.rs` (constant-time operations only on secrets, randomness from Python, zeroized).
//!
//! Randomness layout, as the reference's one read `_random_scalars(n·(w+4))` cuts it: `rands[i·w + k]` re-encrypts
//! output row `i`, column `k`; then `r_j` (commitments), `r̂_i` (chain), `ω̂_i` and `ω'_i` (`n` each). The
//! permutation is applied by the caller (Python, as the reference does): rows arrive already permuted, the
//! generators for the commitments as `h_{ψ⁻¹(j)}`, and `u'_i = u_{ψ(i)}` as secret scalars.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::MultiscalarMul;
use zeroize::Zeroizing;

use super::kernels::{encode, hash_to_element, point, points};
use super::prover::{encode_doubled, half, rows};
use super::shuffle::GENERATOR_TAG;

fn encode_all(ps: &[RistrettoPoint]) -> Vec<u8> {
    ps.iter().flat_map(encode).collect()
}

/// Output of [`rows_chunk`]: re-encrypted rows (`64·w` bytes a row), commitments (32 a row), and the chunk's
/// `Σ ω'_i·(h_i, a'_{i,0}, b'_{i,0}, …)` (`1 + 2w` encoded points).
pub struct RowsChunk {
    pub outputs: Vec<u8>,
    pub commitments: Vec<u8>,
    pub sums: Vec<u8>,
}

/// The generators `h_{ψ⁻¹(j)}` of a chunk's commitments, hashed here from their **secret** indices (`h_index`:
/// `int8(ψ⁻¹(j))`, 8 bytes big-endian a row, as the transcript encodes an index): `H_G(GENERATOR_TAG, fp,
/// context, int8(i))`, the verifier's `h_i`. Constant time: SHA-512 over inputs of a fixed length and the RFC 9496
/// map (`from_uniform_bytes`, constant-time Elligator); the indices are hashed, never used to index or branch.
/// Hashing them here spares each generator an encoding, a decoding and a trip through Python.
fn commitment_generators(
    fingerprint: &[u8],
    context: &[u8],
    h_index: &[u8],
) -> Result<Vec<RistrettoPoint>, String> {
    if !h_index.len().is_multiple_of(8) {
        return Err("h_index: not 8 bytes a row".into());
    }
    Ok(h_index
        .chunks_exact(8)
        .map(|i| hash_to_element(GENERATOR_TAG, &[fingerprint, context, i]))
        .collect())
}

/// One chunk of rows: re-encryption `a' = a + r·G`, `b' = b + r·K` (tables for `G` and the election key `K`), the
/// permutation commitments `c_j = r_j·G + h_{ψ⁻¹(j)}` (generators from [`commitment_generators`]), and the
/// prover's multi-exponentiation over the chunk's outputs (constant-time Straus, secret `ω'`). The generators'
/// term is summed in commitment order, `Σ_j ω'_{ψ⁻¹(j)}·h_{ψ⁻¹(j)}` (`w_commit` = `ω'_{ψ⁻¹(j)}`), so each `h` is
/// hashed once: the chunks' partial sums differ from row order's, their total `Σ_i ω'_i h_i` does not.
#[allow(clippy::too_many_arguments)]
pub fn rows_chunk(
    key: &[u8],
    width: usize,
    inputs: &[u8],
    rands: &[Scalar],
    r: &[Scalar],
    generators: (&[u8], &[u8], &[u8]),
    w_commit: &[Scalar],
    w_prime: &[Scalar],
) -> Result<RowsChunk, String> {
    if width == 0 || !inputs.len().is_multiple_of(64 * width) {
        return Err("inputs: not whole rows of the given width".into());
    }
    let n = inputs.len() / (64 * width);
    if rands.len() != n * width || r.len() != n || w_prime.len() != n || w_commit.len() != n {
        return Err("randomness: not as many scalars as rows".into());
    }
    let (fingerprint, context, h_index) = generators;
    if h_index.len() != 8 * n {
        return Err("generators: not one a row".into());
    }
    let h_commit = commitment_generators(fingerprint, context, h_index)?;
    let key_point = point(key, "key")?;
    let key_table = RistrettoBasepointTable::create(&key_point);
    let (a, b) = rows(inputs, "inputs")?;
    let mut out_a = Vec::with_capacity(n * width);
    let mut out_b = Vec::with_capacity(n * width);
    let mut flat = Vec::with_capacity(2 * n * width);
    for ((pa, pb), x) in a.iter().zip(&b).zip(rands) {
        let (na, nb) = (pa + RISTRETTO_BASEPOINT_TABLE * x, pb + &key_table * x);
        out_a.push(na);
        out_b.push(nb);
        flat.push(na);
        flat.push(nb);
    }
    let commitments: Vec<RistrettoPoint> = r
        .iter()
        .zip(&h_commit)
        .map(|(x, h)| RISTRETTO_BASEPOINT_TABLE * x + h)
        .collect();
    let mut sums = vec![RistrettoPoint::multiscalar_mul(w_commit, &h_commit)];
    for k in 0..width {
        let col_a = out_a.iter().skip(k).step_by(width);
        let col_b = out_b.iter().skip(k).step_by(width);
        sums.push(RistrettoPoint::multiscalar_mul(w_prime, col_a));
        sums.push(RistrettoPoint::multiscalar_mul(w_prime, col_b));
    }
    Ok(RowsChunk {
        outputs: encode_all(&flat),
        commitments: encode_all(&commitments),
        sums: encode_all(&sums),
    })
}

/// The chain's state `(R_i, U_i)` before each chunk that starts at one of `starts` (ascending): `R_i = r̂_i +
/// u'_i·R_{i−1}`, `U_i = u'_i·U_{i−1}` from `(R, U) = (0, 1)`; 64 bytes a chunk, `R ‖ U`.
pub fn carries(r_hat: &[Scalar], u_prime: &[Scalar], starts: &[u64]) -> Result<Vec<u8>, String> {
    if r_hat.len() != u_prime.len() {
        return Err("u_prime: not one a row".into());
    }
    let mut out = Vec::with_capacity(64 * starts.len());
    let mut acc = Zeroizing::new((Scalar::ZERO, Scalar::ONE));
    let mut next = 0usize;
    for &start in starts {
        let start = usize::try_from(start).map_err(|_| "starts: out of range".to_string())?;
        if start < next || start > r_hat.len() {
            return Err("starts: not ascending within the rows".into());
        }
        for i in next..start {
            acc.0 = r_hat[i] + u_prime[i] * acc.0;
            acc.1 *= u_prime[i];
        }
        next = start;
        out.extend_from_slice(&acc.0.to_bytes());
        out.extend_from_slice(&acc.1.to_bytes());
    }
    Ok(out)
}

/// One chunk of the chain: `ĉ_i = R_i·G + U_i·h` and `t̂_i = ω̂_i·G + ω'_i·ĉ_{i−1}`, from the state `carry = (R, U)`
/// before the chunk (`ĉ_{−1} = h` for the first chunk, whose state is `(0, 1)`). Returns `(chain, hats)`.
///
/// Both are in the span of `G` and `h`: `t̂_i = (ω̂_i + ω'_i·R_{i−1})·G + (ω'_i·U_{i−1})·h`, so every point is two
/// table multiplications (constant time), computed halved and encoded in one batch per list.
pub fn chain_chunk(
    h: &[u8],
    carry: &[Scalar],
    r_hat: &[Scalar],
    u_prime: &[Scalar],
    w_hat: &[Scalar],
    w_prime: &[Scalar],
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let n = r_hat.len();
    if carry.len() != 2 || u_prime.len() != n || w_hat.len() != n || w_prime.len() != n {
        return Err("chain: not one scalar of each kind a row".into());
    }
    let h_table = RistrettoBasepointTable::create(&point(h, "h")?);
    let two = half();
    let in_span = |x: &Scalar, y: &Scalar| RISTRETTO_BASEPOINT_TABLE * x + &h_table * y;
    let mut acc = Zeroizing::new([carry[0], carry[1], Scalar::ZERO, Scalar::ZERO]);
    let mut chain = Vec::with_capacity(n);
    let mut hats = Vec::with_capacity(n);
    for i in 0..n {
        // (R_{i−1}, U_{i−1}) → the hat's halved coefficients, then (R_i, U_i)
        acc[2] = (w_hat[i] + w_prime[i] * acc[0]) * two;
        acc[3] = w_prime[i] * acc[1] * two;
        hats.push(in_span(&acc[2], &acc[3]));
        acc[0] = r_hat[i] + u_prime[i] * acc[0];
        acc[1] *= u_prime[i];
        acc[2] = acc[0] * two;
        acc[3] = acc[1] * two;
        chain.push(in_span(&acc[2], &acc[3]));
    }
    Ok((encode_doubled(&chain), encode_doubled(&hats)))
}

/// The proof's first commitments from the chunks' sums (`parts`, each `1 + 2w` points) and the nonces
/// `(ω1, ω2, ω3, ω4_0 … ω4_{w−1})`: `t1 = ω1·G`, `t2 = ω2·G`, `t3 = ω3·G + Σ ω'_i h_i`, then per column
/// `t4a_k = Σ ω'_i a'_{i,k} − ω4_k·G`, `t4b_k = Σ ω'_i b'_{i,k} − ω4_k·K`.
pub fn first_commitments(
    key: &[u8],
    width: usize,
    parts: &[u8],
    nonces: &[Scalar],
) -> Result<Vec<u8>, String> {
    let m = 1 + 2 * width;
    if nonces.len() != 3 + width {
        return Err("nonces: expected 3 + width".into());
    }
    let all = points(parts, "parts")?;
    if all.is_empty() || !all.len().is_multiple_of(m) {
        return Err("parts: not whole groups of 1 + 2·width sums".into());
    }
    let mut sums = all[..m].to_vec();
    for group in all[m..].chunks_exact(m) {
        for (s, p) in sums.iter_mut().zip(group) {
            *s += p;
        }
    }
    let key = point(key, "key")?;
    let mut ts = vec![
        RISTRETTO_BASEPOINT_TABLE * &nonces[0],
        RISTRETTO_BASEPOINT_TABLE * &nonces[1],
        RISTRETTO_BASEPOINT_TABLE * &nonces[2] + sums[0],
    ];
    for k in 0..width {
        let w4 = &nonces[3 + k];
        ts.push(sums[1 + 2 * k] - RISTRETTO_BASEPOINT_TABLE * w4);
        ts.push(sums[2 + 2 * k] - key * w4);
    }
    Ok(encode_all(&ts))
}

/// The responses: `s = (ω1 + c·Σ r_j, ω2 + c·R_{n−1}, ω3 + c·Σ r_j u_j)`, `s4_k = ω4_k + c·Σ_i u'_i r_{i,k}`,
/// `ŝ_i = ω̂_i + c·r̂_i`, `s'_i = ω'_i + c·u'_i`; concatenated in that order (`3 + w + 2n` scalars).
pub fn responses(
    c: &Scalar,
    width: usize,
    randomness: &[Scalar],
    nonces: &[Scalar],
    u: &[Scalar],
    u_prime: &[Scalar],
) -> Result<Vec<u8>, String> {
    let n = u.len();
    if u_prime.len() != n || randomness.len() != n * (width + 4) || nonces.len() != 3 + width {
        return Err("responses: inconsistent lengths".into());
    }
    let (rands, rest) = randomness.split_at(n * width);
    let (r, rest) = rest.split_at(n);
    let (r_hat, rest) = rest.split_at(n);
    let (w_hat, w_prime) = rest.split_at(n);
    let mut acc = Zeroizing::new([Scalar::ZERO; 3]); // Σ r, R, Σ r·u
    for i in 0..n {
        acc[0] += r[i];
        acc[1] = r_hat[i] + u_prime[i] * acc[1];
        acc[2] += r[i] * u[i];
    }
    let mut out = Vec::with_capacity(32 * (3 + width + 2 * n));
    for (w, x) in nonces[..3].iter().zip(acc.iter()) {
        out.extend_from_slice(&(w + c * x).to_bytes());
    }
    for k in 0..width {
        let mut r_pp = Zeroizing::new(Scalar::ZERO);
        for i in 0..n {
            *r_pp += u_prime[i] * rands[i * width + k];
        }
        out.extend_from_slice(&(nonces[3 + k] + c * *r_pp).to_bytes());
    }
    for (w, x) in w_hat.iter().zip(r_hat) {
        out.extend_from_slice(&(w + c * x).to_bytes());
    }
    for (w, x) in w_prime.iter().zip(u_prime) {
        out.extend_from_slice(&(w + c * x).to_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_split_the_chain_anywhere() {
        let s = |x: u64| Scalar::from(x);
        let (r_hat, u) = ([s(2), s(3), s(5)], [s(7), s(11), s(13)]);
        let all = carries(&r_hat, &u, &[0, 1, 3]).unwrap();
        assert_eq!(&all[..32], Scalar::ZERO.as_bytes());
        assert_eq!(&all[32..64], Scalar::ONE.as_bytes());
        assert_eq!(&all[64..96], s(2).as_bytes()); // R_0 = r̂_0
        assert_eq!(&all[96..128], s(7).as_bytes()); // U_0 = u'_0
        let r2 = s(5) + s(13) * (s(3) + s(11) * s(2));
        assert_eq!(&all[128..160], r2.as_bytes());
        assert!(carries(&r_hat, &u, &[2, 1]).is_err());
        assert!(carries(&r_hat, &u, &[4]).is_err());
    }
}
