//! Batch verification of the range proofs' group equations (Bellare–Garay–Rabin small exponents).
//!
//! Every equation `E = 0` of every proof in the batch gets its own weight `ρ_E`, 128 uniformly random bits from
//! the operating system (`getrandom`), drawn after the ballots are fixed and never derived from them. The batch
//! holds iff `Σ ρ_E·E = 0`, evaluated as one variable-time multiscalar multiplication (dalek's Straus/Pippenger).
//! ristretto255 has prime order ℓ, so if some `E ≠ 0`, fixing every other weight leaves at most one value of
//! `ρ_E` modulo ℓ that makes the sum vanish: the batch passes with probability ≤ 2^-128.
//!
//! For branch `j` of a proof on ciphertext `(a, b)` with lower bound `lo`, the equations and their weights are
//! `ρ: A_j + c_j·a − z_j·G = 0` and `σ: B_j + c_j·b − z_j·K − c_j·(lo+j)·G = 0`; the terms of `a`, `b`, `G`
//! and `K` are gathered, so a 0/1 proof adds six points (A₀, A₁, B₀, B₁, a, b) and the whole batch two more.
//!
//! When a batch fails, [`failing`] bisects it with fresh weights down to the single ballots whose equations do
//! not hold, so the caller reports exactly the ballots the one-by-one check would.

use std::sync::OnceLock;

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, RISTRETTO_BASEPOINT_POINT};
use curve25519_dalek::edwards::{EdwardsPoint, VartimeEdwardsPrecomputation};
use curve25519_dalek::ristretto::{RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{
    IsIdentity, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul,
};

use crate::ballot::RangeStatement;
use crate::signature::SignatureTerms;

/// A batch with fewer variable points than this (one ballot at a time: the board's check) uses precomputed
/// tables of `G` and `K` (Straus with fixed-base tables); a larger one, Pippenger over all its points, where two
/// more points cost nothing and dalek's precomputed variant (Straus only) would cost more per point.
const PIPPENGER_FROM: usize = 64;

/// The batch's two fixed bases, `G` and the election key `K`, with their precomputed tables.
pub struct FixedBases {
    pub key: RistrettoPoint,
    table: VartimeRistrettoPrecomputation,
    /// `B = G` and `8K` as Edwards points (torsion-free), for [`holds_with_signature`]; `None` if dalek's
    /// representation is not the one [`edwards`] reads (then the lone ballot takes the separate checks).
    edwards_table: Option<VartimeEdwardsPrecomputation>,
}

impl FixedBases {
    pub fn new(key: RistrettoPoint) -> Self {
        FixedBases {
            key,
            table: VartimeRistrettoPrecomputation::new([RISTRETTO_BASEPOINT_POINT, key]),
            edwards_table: edwards_view_holds().then(|| {
                VartimeEdwardsPrecomputation::new([
                    ED25519_BASEPOINT_POINT,
                    edwards(&key).mul_by_cofactor(),
                ])
            }),
        }
    }
}

/// The Edwards point dalek keeps as a ristretto255 element's representative (one of the four points of its coset
/// `P + E[4]`). curve25519-dalek 4.1 (pinned by `Cargo.lock`) defines `struct RistrettoPoint(pub(crate)
/// EdwardsPoint)` and offers no accessor; [`edwards_view_holds`] checks at run time that this reading gives that
/// representative (the ristretto basepoint's is the Ed25519 basepoint; `[x]G`'s is `[x]B`, dalek multiplying the
/// representative), and nothing uses it otherwise.
fn edwards(point: &RistrettoPoint) -> EdwardsPoint {
    // SAFETY: both are plain `Copy` data of the same size (checked by `transmute` at compile time); a one-field
    // struct is laid out as its field, which `edwards_view_holds` confirms before any use.
    unsafe { std::mem::transmute::<RistrettoPoint, EdwardsPoint>(*point) }
}

/// Whether [`edwards`] reads dalek's representatives (checked once a process).
fn edwards_view_holds() -> bool {
    static HOLDS: OnceLock<bool> = OnceLock::new();
    *HOLDS.get_or_init(|| {
        let x = Scalar::from(0x1234_5678_9abc_def1u64);
        edwards(&RISTRETTO_BASEPOINT_POINT) == ED25519_BASEPOINT_POINT
            && edwards(&(RISTRETTO_BASEPOINT_POINT * x)) == ED25519_BASEPOINT_POINT * x
    })
}

/// `n` weights of 128 bits from the OS CSPRNG (also the coercion-resistant mode's row batches, `cr/`).
pub(crate) fn weights(n: usize) -> Result<Vec<Scalar>, String> {
    let mut bytes = vec![0u8; 16 * n];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("the OS random source failed: {e}"))?;
    Ok(bytes
        .chunks_exact(16)
        .map(|c| Scalar::from(u128::from_le_bytes(c.try_into().expect("16 bytes"))))
        .collect())
}

/// The batch's terms: the variable points with their scalars, and the scalars of `G` and `K`.
struct Terms {
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    g: Scalar,
    k: Scalar,
}

/// Every equation of the statements weighted (fresh weights from the OS) and gathered; `None` if there is none.
fn terms(ballots: &[&[RangeStatement]]) -> Result<Option<Terms>, String> {
    let equations: usize = ballots
        .iter()
        .flat_map(|s| s.iter())
        .map(|s| 2 * s.branches.len())
        .sum();
    if equations == 0 {
        return Ok(None);
    }
    let rho = weights(equations)?;
    let mut next = rho.iter();
    let points_needed = equations + 2 * ballots.iter().map(|s| s.len()).sum::<usize>() + 2;
    let mut scalars: Vec<Scalar> = Vec::with_capacity(points_needed);
    let mut points: Vec<RistrettoPoint> = Vec::with_capacity(points_needed);
    let (mut g, mut k) = (Scalar::ZERO, Scalar::ZERO);
    for statement in ballots.iter().flat_map(|s| s.iter()) {
        let (mut on_a, mut on_b) = (Scalar::ZERO, Scalar::ZERO);
        for (j, branch) in statement.branches.iter().enumerate() {
            let (r, s) = (
                *next.next().expect("counted"),
                *next.next().expect("counted"),
            );
            scalars.push(r);
            points.push(branch.commit_a);
            scalars.push(s);
            points.push(branch.commit_b);
            let sc = s * branch.c;
            on_a += r * branch.c;
            on_b += sc;
            g -= r * branch.z + sc * Scalar::from(statement.lo + j as u64);
            k -= s * branch.z;
        }
        scalars.push(on_a);
        points.push(statement.a);
        scalars.push(on_b);
        points.push(statement.b);
    }
    Ok(Some(Terms {
        scalars,
        points,
        g,
        k,
    }))
}

/// Whether every equation of every statement of the given ballots holds (up to 2^-128).
pub fn holds(bases: &FixedBases, ballots: &[&[RangeStatement]]) -> Result<bool, String> {
    let Some(Terms {
        mut scalars,
        mut points,
        g,
        k,
    }) = terms(ballots)?
    else {
        return Ok(true);
    };
    if points.len() < PIPPENGER_FROM {
        let sum = bases
            .table
            .vartime_mixed_multiscalar_mul([g, k], &scalars, &points);
        return Ok(sum.is_identity());
    }
    scalars.push(g);
    points.push(RISTRETTO_BASEPOINT_POINT);
    scalars.push(k);
    points.push(bases.key);
    Ok(RistrettoPoint::vartime_multiscalar_mul(&scalars, &points).is_identity())
}

/// One ballot's proofs' equations **and** its credential's signature in one multiscalar multiplication (the
/// board's lone ballot, docs/native.md §3): `true` iff, up to 2^-128, [`holds`] would be true for `statements`
/// and `signature::verify` is true (`signature::terms`). `None` where this check is not available (no equation,
/// or dalek's representation not the expected one): the caller checks separately.
///
/// The proofs' batch `S = Σ w_e·E_e` is an equation between ristretto255 elements: it holds when the sum of the
/// Edwards representatives lies in `E[4]`. The signature's rule is cofactorless (§2): the encoding of
/// `R' = [s]B + [k](−A)` must be exactly the bytes of `R`, torsion included. So the proofs' terms enter multiplied
/// by the cofactor 8, which removes their torsion — a commitment's 128-bit weight `w` as the integer `8w` (still
/// below ℓ, so exact), `a` and `b` (full-size coefficients) as `8a`, `8b` (three doublings each), `G`'s
/// coefficient times 8 (`G` has order ℓ), `K` from the election's table of `8K` — and `8·S` is torsion-free and
/// zero iff `S` holds. The check is that `R' + 8·S` encodes to `R`, i.e. `D + 8·S = 0` for `D = R' − decode(R)`
/// (a non-canonical or undecodable `R` never matches an encoding, as in `signature::verify`):
///
/// * if both hold, `D + 8·S = 0`: accepted (never a false refusal);
/// * if `D` has a torsion part, `D + 8·S` has it too: refused;
/// * if `D`'s prime-order part is not zero and every `E_e` holds, `D + 8·S = D ≠ 0`: refused; if some `E_f`
///   fails, `D + 8·S = 0` leaves at most one value of `w_f` modulo ℓ: probability ≤ 2^-128;
/// * if `D = 0` and some `E_f` fails, the same: ≤ 2^-128.
///
/// `G` is `B` (dalek represents the ristretto basepoint by the Ed25519 basepoint), so `[s]B` joins `G`'s term.
pub fn holds_with_signature(
    bases: &FixedBases,
    statements: &[RangeStatement],
    signature: &SignatureTerms,
) -> Result<Option<bool>, String> {
    let Some(table) = bases.edwards_table.as_ref() else {
        return Ok(None);
    };
    let Some(Terms {
        mut scalars,
        points,
        g,
        k,
    }) = terms(&[statements])?
    else {
        return Ok(None);
    };
    let eight = Scalar::from(8u64);
    let mut edwards_points = Vec::with_capacity(points.len() + 1);
    let mut at = 0;
    for statement in statements {
        for _ in 0..2 * statement.branches.len() {
            scalars[at] *= eight; // a 128-bit weight: 8w < ℓ, the integer multiple
            edwards_points.push(edwards(&points[at]));
            at += 1;
        }
        for _ in 0..2 {
            edwards_points.push(edwards(&points[at]).mul_by_cofactor()); // a, b
            at += 1;
        }
    }
    scalars.push(signature.k);
    edwards_points.push(signature.minus_a);
    let sum = table.vartime_mixed_multiscalar_mul(
        [eight * g + signature.s, k],
        &scalars,
        &edwards_points,
    );
    Ok(Some(sum.compress().to_bytes() == signature.r))
}

/// Indices (into `ballots`) of the ballots whose equations do not all hold: the whole batch first, then halves
/// of a failing batch, each with fresh weights, down to single ballots.
pub fn failing(bases: &FixedBases, ballots: &[&[RangeStatement]]) -> Result<Vec<usize>, String> {
    let mut bad = Vec::new();
    bisect(bases, ballots, 0, &mut bad)?;
    Ok(bad)
}

fn bisect(
    bases: &FixedBases,
    ballots: &[&[RangeStatement]],
    offset: usize,
    bad: &mut Vec<usize>,
) -> Result<(), String> {
    if ballots.is_empty() || holds(bases, ballots)? {
        return Ok(());
    }
    if ballots.len() == 1 {
        bad.push(offset);
        return Ok(());
    }
    let mid = ballots.len() / 2;
    bisect(bases, &ballots[..mid], offset, bad)?;
    bisect(bases, &ballots[mid..], offset + mid, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Branch;
    use curve25519_dalek::ristretto::CompressedRistretto;

    fn random_scalar() -> Scalar {
        let mut wide = [0u8; 64];
        getrandom::getrandom(&mut wide).expect("OS randomness");
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    /// A [0, 1] statement whose every branch is simulated: all equations hold for any (c_j, z_j).
    fn honest(key: &RistrettoPoint) -> Vec<RangeStatement> {
        let (a, b) = (
            RISTRETTO_BASEPOINT_POINT * random_scalar(),
            RISTRETTO_BASEPOINT_POINT * random_scalar(),
        );
        let branches = (0..2u64)
            .map(|j| {
                let (c, z) = (random_scalar(), random_scalar());
                Branch {
                    commit_a: RISTRETTO_BASEPOINT_POINT * z - a * c,
                    commit_b: key * z + RISTRETTO_BASEPOINT_POINT * (c * Scalar::from(j)) - b * c,
                    c,
                    z,
                }
            })
            .collect();
        vec![RangeStatement {
            a,
            b,
            lo: 0,
            branches,
        }]
    }

    #[test]
    fn honest_batches_hold_and_a_false_equation_is_found_alone() {
        let key = RISTRETTO_BASEPOINT_POINT * random_scalar();
        let bases = FixedBases::new(key);
        let mut ballots: Vec<Vec<RangeStatement>> = (0..30).map(|_| honest(&key)).collect();
        let view: Vec<&[RangeStatement]> = ballots.iter().map(|s| s.as_slice()).collect();
        assert!(holds(&bases, &view).unwrap()); // 180 points: Pippenger
        assert!(holds(&bases, &view[..2]).unwrap()); // 12 points: the fixed bases' tables
        assert!(failing(&bases, &view).unwrap().is_empty());
        // off by G in ballot 3's B_1 and by −G in ballot 7's B_1: a plain sum would cancel, the weights do not
        ballots[3][0].branches[1].commit_b += RISTRETTO_BASEPOINT_POINT;
        ballots[7][0].branches[1].commit_b -= RISTRETTO_BASEPOINT_POINT;
        let view: Vec<&[RangeStatement]> = ballots.iter().map(|s| s.as_slice()).collect();
        assert!(!holds(&bases, &view).unwrap());
        assert!(!holds(&bases, &view[3..4]).unwrap());
        assert_eq!(failing(&bases, &view).unwrap(), vec![3, 7]);
    }

    #[test]
    fn each_kind_of_equation_is_covered() {
        let key = RISTRETTO_BASEPOINT_POINT * random_scalar();
        let bases = FixedBases::new(key);
        for which in 0..6 {
            let mut statement = honest(&key);
            let branch = &mut statement[0].branches[1];
            match which {
                0 => branch.commit_a += RISTRETTO_BASEPOINT_POINT,
                1 => branch.z += Scalar::ONE,
                2 => branch.c += Scalar::ONE,
                3 => statement[0].a += RISTRETTO_BASEPOINT_POINT,
                4 => statement[0].b += key, // off by K: only the K table's term can notice
                _ => statement[0].lo = 1,   // the branches' values shift: m·G terms no longer match
            }
            let mut many: Vec<Vec<RangeStatement>> = (0..20).map(|_| honest(&key)).collect();
            assert!(
                !holds(&bases, &[statement.as_slice()]).unwrap(),
                "alteration {which} passed alone"
            );
            many.push(statement);
            let view: Vec<&[RangeStatement]> = many.iter().map(|s| s.as_slice()).collect();
            assert!(
                !holds(&bases, &view).unwrap(),
                "alteration {which} passed in a large batch"
            );
        }
        assert!(holds(&bases, &[]).unwrap());
    }

    /// Every point through its encoding: the representatives dalek's decoder picks (not torsion-free in general),
    /// as in a real ballot.
    fn decoded(mut statement: Vec<RangeStatement>) -> Vec<RangeStatement> {
        let round = |p: &mut RistrettoPoint| *p = p.compress().decompress().expect("valid");
        for s in statement.iter_mut() {
            round(&mut s.a);
            round(&mut s.b);
            for b in s.branches.iter_mut() {
                round(&mut b.commit_a);
                round(&mut b.commit_b);
            }
        }
        statement
    }

    /// An Ed25519 signature under `A = [x]B + T` (`T` of small order) with nonce `[r]B + U`, made as an honest
    /// signer would for `A`'s prime-order part: libsodium's answer depends on the torsion and on `k`.
    fn signed(
        x: Scalar,
        t: EdwardsPoint,
        r: Scalar,
        u: EdwardsPoint,
        msg: &[u8],
    ) -> ([u8; 32], [u8; 64]) {
        use sha2::{Digest, Sha512};
        let key = (ED25519_BASEPOINT_POINT * x + t).compress().to_bytes();
        let r_bytes = (ED25519_BASEPOINT_POINT * r + u).compress().to_bytes();
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(key);
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_bytes);
        sig[32..].copy_from_slice((r + k * x).as_bytes());
        (key, sig)
    }

    #[test]
    fn the_edwards_view_reads_dalek_representatives() {
        assert!(edwards_view_holds());
        let p = (RISTRETTO_BASEPOINT_POINT * random_scalar()).compress();
        let q = p.decompress().unwrap();
        assert_eq!(
            RistrettoPoint::double_and_compress_batch([&q])[0],
            (q + q).compress()
        );
        assert_eq!(edwards(&(q + q)), edwards(&q) + edwards(&q));
    }

    #[test]
    fn signature_and_proofs_together_answer_as_separately() {
        use crate::signature::{terms as signature_terms, verify};
        use curve25519_dalek::constants::EIGHT_TORSION;
        let key = CompressedRistretto::decompress(
            &(RISTRETTO_BASEPOINT_POINT * random_scalar()).compress(),
        )
        .unwrap();
        let bases = FixedBases::new(key);
        let (mut torsion_reps, mut both_answers) = (0, [false, false]);
        for case in 0..96usize {
            let statement = decoded(honest(&key));
            torsion_reps += statement[0]
                .branches
                .iter()
                .filter(|b| !edwards(&b.commit_a).is_torsion_free())
                .count();
            let (t, u) = (EIGHT_TORSION[case % 8], EIGHT_TORSION[(case / 8) % 8]);
            let (x, r) = (random_scalar(), random_scalar());
            let (public_key, signature) = signed(x, t, r, u, &case.to_be_bytes());
            let expected_signature = verify(&public_key, &case.to_be_bytes(), &signature);
            both_answers[usize::from(expected_signature)] = true;
            let mut altered = decoded(honest(&key));
            match case % 4 {
                0 => altered[0].branches[0].commit_b += RISTRETTO_BASEPOINT_POINT,
                1 => altered[0].branches[1].z += Scalar::ONE,
                2 => altered[0].b += key,
                _ => altered[0].a = RISTRETTO_BASEPOINT_POINT * random_scalar(),
            }
            for (proofs, proofs_hold) in [(&statement, true), (&altered, false)] {
                assert_eq!(holds(&bases, &[proofs.as_slice()]).unwrap(), proofs_hold);
                let joint = signature_terms(&public_key, &case.to_be_bytes(), &signature)
                    .map(|t| holds_with_signature(&bases, proofs, &t).unwrap().unwrap());
                assert_eq!(
                    joint.unwrap_or(false),
                    expected_signature && proofs_hold,
                    "case {case}, proofs hold: {proofs_hold}"
                );
            }
        }
        assert!(
            torsion_reps > 0,
            "the decoder's representatives were all torsion-free"
        );
        assert_eq!(both_answers, [true, true]);
    }
}
