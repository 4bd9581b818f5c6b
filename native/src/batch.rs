//! Batch verification of the ballots' group equations — the range proofs' and the credential's Schnorr signature's
//! (Bellare–Garay–Rabin small exponents).
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
//! A ballot's signature (docs/protocol.md §7.1) adds its equation `τ: R + c·X − s·G = 0`: two points (`R`, `X`),
//! its `G` term joining the others. Every equation lives in the same prime-order group, so the bound above holds
//! for the signatures as for the proofs: no cofactor, no torsion to clear (docs/native.md §3).
//!
//! When a batch fails, [`failing`] bisects it with fresh weights down to the single ballots whose equations do
//! not hold, so the caller reports exactly the ballots the one-by-one check would.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{
    IsIdentity, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul,
};

use crate::ballot::RangeStatement;
use crate::ballot_signature::SignatureStatement;

/// A batch with fewer variable points than this (one ballot at a time: the board's check) uses precomputed
/// tables of `G` and `K` (Straus with fixed-base tables); a larger one, Pippenger over all its points, where two
/// more points cost nothing and dalek's precomputed variant (Straus only) would cost more per point.
const PIPPENGER_FROM: usize = 64;

/// The batch's two fixed bases, `G` and the election key `K`, with their precomputed tables.
pub struct FixedBases {
    pub key: RistrettoPoint,
    table: VartimeRistrettoPrecomputation,
}

impl FixedBases {
    pub fn new(key: RistrettoPoint) -> Self {
        FixedBases {
            key,
            table: VartimeRistrettoPrecomputation::new([RISTRETTO_BASEPOINT_POINT, key]),
        }
    }
}

/// What one ballot (one item of a batch, the unit [`failing`] names) puts into the batch: its range proofs'
/// equations and, for a standard ballot, its signature's.
pub trait Equations {
    fn ranges(&self) -> &[RangeStatement];

    fn signature(&self) -> Option<&SignatureStatement> {
        None
    }
}

/// Range proofs alone (a cr-ballot's vote proofs, a proof's test vector).
impl Equations for &[RangeStatement] {
    fn ranges(&self) -> &[RangeStatement] {
        self
    }
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
    /// The one point of weight 1 (the first signature's `R`), added after the multiplication.
    unit: Option<RistrettoPoint>,
}

/// Every equation of the ballots weighted (fresh weights from the OS) and gathered; `None` if there is none. The
/// first signature's equation gets the weight 1 instead (its `R` then needs no place in the multiplication: a
/// lone ballot saves `R`'s table and digits): the group has prime order, so a false equation of weight 1 with
/// every other equation true leaves the sum non-zero, and one false among the random weights is caught as before
/// (docs/native.md §3).
fn terms<E: Equations>(ballots: &[E]) -> Result<Option<Terms>, String> {
    let signatures = ballots.iter().filter(|b| b.signature().is_some()).count();
    let equations: usize = signatures
        + ballots
            .iter()
            .flat_map(|b| b.ranges())
            .map(|s| 2 * s.branches.len())
            .sum::<usize>();
    if equations == 0 {
        return Ok(None);
    }
    let rho = weights(equations)?;
    let mut next = rho.iter();
    let points_needed =
        equations + signatures + 2 * ballots.iter().map(|b| b.ranges().len()).sum::<usize>() + 2;
    let mut scalars: Vec<Scalar> = Vec::with_capacity(points_needed);
    let mut points: Vec<RistrettoPoint> = Vec::with_capacity(points_needed);
    let (mut g, mut k) = (Scalar::ZERO, Scalar::ZERO);
    let mut unit = None;
    for signature in ballots.iter().filter_map(|b| b.signature()) {
        // τ·(R + c·X − s·G)
        let mut tau = *next.next().expect("counted");
        if unit.is_none() {
            tau = Scalar::ONE;
            unit = Some(signature.r);
        } else {
            scalars.push(tau);
            points.push(signature.r);
        }
        scalars.push(tau * signature.c);
        points.push(signature.x);
        g -= tau * signature.s;
    }
    for statement in ballots.iter().flat_map(|b| b.ranges()) {
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
        unit,
    }))
}

/// Whether every equation of the given ballots holds (up to 2^-128).
pub fn holds<E: Equations>(bases: &FixedBases, ballots: &[E]) -> Result<bool, String> {
    let Some(Terms {
        mut scalars,
        mut points,
        g,
        k,
        unit,
    }) = terms(ballots)?
    else {
        return Ok(true);
    };
    let sum = if points.len() < PIPPENGER_FROM {
        bases
            .table
            .vartime_mixed_multiscalar_mul([g, k], &scalars, &points)
    } else {
        scalars.push(g);
        points.push(RISTRETTO_BASEPOINT_POINT);
        scalars.push(k);
        points.push(bases.key);
        RistrettoPoint::vartime_multiscalar_mul(&scalars, &points)
    };
    Ok(match unit {
        Some(r) => sum == -r,
        None => sum.is_identity(),
    })
}

/// Indices (into `ballots`) of the ballots whose equations do not all hold: the whole batch first, then halves
/// of a failing batch, each with fresh weights, down to single ballots.
pub fn failing<E: Equations>(bases: &FixedBases, ballots: &[E]) -> Result<Vec<usize>, String> {
    let mut bad = Vec::new();
    bisect(bases, ballots, 0, &mut bad)?;
    Ok(bad)
}

fn bisect<E: Equations>(
    bases: &FixedBases,
    ballots: &[E],
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
        assert!(holds::<&[RangeStatement]>(&bases, &[]).unwrap());
    }

    /// A ballot's equations as a chunk holds them: its proofs' and its signature's.
    struct Signed {
        ranges: Vec<RangeStatement>,
        signature: SignatureStatement,
    }

    impl Equations for Signed {
        fn ranges(&self) -> &[RangeStatement] {
            &self.ranges
        }

        fn signature(&self) -> Option<&SignatureStatement> {
            Some(&self.signature)
        }
    }

    /// Honest proofs and an honest Schnorr signature (`s·G = R + c·X`; `c` arbitrary here: the transcript is
    /// `ballot_signature.rs`'s).
    fn signed(key: &RistrettoPoint) -> Signed {
        let (x, k, c) = (random_scalar(), random_scalar(), random_scalar());
        Signed {
            ranges: honest(key),
            signature: SignatureStatement {
                r: RISTRETTO_BASEPOINT_POINT * k,
                x: RISTRETTO_BASEPOINT_POINT * x,
                c,
                s: k + c * x,
            },
        }
    }

    #[test]
    fn one_bad_signature_among_many_is_named_by_the_bisection() {
        let key = RISTRETTO_BASEPOINT_POINT * random_scalar();
        let bases = FixedBases::new(key);
        for (n, bad_at) in [(1usize, 0usize), (3, 1), (40, 29)] {
            for which in 0..4 {
                let mut ballots: Vec<Signed> = (0..n).map(|_| signed(&key)).collect();
                assert!(holds(&bases, &ballots).unwrap(), "{n} honest ballots");
                assert!(failing(&bases, &ballots).unwrap().is_empty());
                let other_r = signed(&key).signature.r;
                let sig = &mut ballots[bad_at].signature;
                match which {
                    0 => sig.s += Scalar::ONE,
                    1 => sig.r = other_r, // R from another signature
                    2 => sig.c += Scalar::ONE,
                    _ => sig.x += RISTRETTO_BASEPOINT_POINT,
                }
                assert!(
                    !holds(&bases, &ballots).unwrap(),
                    "{n} ballots, alteration {which}"
                );
                assert_eq!(failing(&bases, &ballots).unwrap(), vec![bad_at]);
            }
        }
        // signatures alone (no range proof) are a batch too
        let lone = Signed {
            ranges: Vec::new(),
            signature: signed(&key).signature,
        };
        assert!(holds(&bases, &[lone]).unwrap());
    }
}
