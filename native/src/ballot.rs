//! A ballot as the credential signed it: the length-prefixed "ballot bytes" of docs/protocol.md
//! (`Ballot.content_bytes` in `ballot/model.py`), decoded and checked against the election's layout.
//!
//! Everything is validated here, whatever the caller checked before: every length, every element (canonical
//! ristretto255 encoding, RFC 9496 — dalek's decoder refuses non-canonical field elements, negative `s` and a set
//! bit 255), every scalar (`< ℓ`), and the identity where the protocol forbids it (an option ciphertext's `a`).
//! Then the Fiat–Shamir challenges of the credential's signature and of every range proof; what is left, the group
//! equations, is returned ([`SignatureStatement`], [`RangeStatement`]s) for a batch (`batch.rs`).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

use std::sync::{Arc, Mutex};

use crate::ballot_signature::{signature_statement, SignatureStatement};
use crate::batch::{Equations, FixedBases};
use crate::transcript::{int_bytes, Transcript, RANGE_DOMAIN};

pub const BALLOT_TAG: &[u8] = b"plebiscite/v1/ballot";

/// One question's layout (`setup/manifest.py`, `Layout`): `width` ciphertexts with 0/1 proofs, and, when
/// `sum_proof`, a proof that `Σ weights[i]·m_i ∈ [lo, hi]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionLayout {
    pub weights: Vec<u64>,
    pub lo: u64,
    pub hi: u64,
    pub sum_proof: bool,
}

impl QuestionLayout {
    pub fn width(&self) -> usize {
        self.weights.len()
    }

    /// The layouts as the Python glue passes them (`native.layouts_for_native`): per question
    /// `(weights, lo, hi, sum_proof)`.
    pub fn from_tuples(layouts: Vec<(Vec<u64>, u64, u64, bool)>) -> Vec<Self> {
        layouts
            .into_iter()
            .map(|(weights, lo, hi, sum_proof)| QuestionLayout {
                weights,
                lo,
                hi,
                sum_proof,
            })
            .collect()
    }
}

/// The election's public inputs to ballot checking.
pub struct Election {
    pub fingerprint: [u8; 32],
    pub public_key_bytes: [u8; 32],
    pub public_key: RistrettoPoint,
    pub layouts: Vec<QuestionLayout>,
    /// `G` and `K` with their precomputed tables, for the batches (`batch.rs`).
    pub bases: FixedBases,
}

/// The last election built by [`Election::cached`]: the board checks one ballot a call, always of one election.
static LAST: Mutex<Option<Arc<Election>>> = Mutex::new(None);

impl Election {
    /// Refuses an invalid or identity election key and layouts no ballot could satisfy.
    pub fn new(
        fingerprint: [u8; 32],
        public_key: [u8; 32],
        layouts: Vec<QuestionLayout>,
    ) -> Result<Self, String> {
        let point = CompressedRistretto(public_key)
            .decompress()
            .ok_or("election key: not a canonical ristretto255 encoding")?;
        if point == RistrettoPoint::identity() {
            return Err("election key: the identity".into());
        }
        for (q, lay) in layouts.iter().enumerate() {
            if lay.lo > lay.hi
                || lay.hi - lay.lo >= 1 << 16
                || (lay.sum_proof && lay.weights.is_empty())
            {
                return Err(format!("layout of question {q}: invalid range or width"));
            }
        }
        Ok(Election {
            fingerprint,
            public_key_bytes: public_key,
            public_key: point,
            layouts,
            bases: FixedBases::new(point),
        })
    }

    /// [`Election::new`], reusing the previous call's election when the inputs are the same (the key decoded and
    /// its table built once, not once a ballot).
    pub fn cached(
        fingerprint: [u8; 32],
        public_key: [u8; 32],
        layouts: Vec<QuestionLayout>,
    ) -> Result<Arc<Self>, String> {
        let same = |e: &Election| {
            e.fingerprint == fingerprint && e.public_key_bytes == public_key && e.layouts == layouts
        };
        if let Ok(last) = LAST.lock() {
            if let Some(e) = last.as_ref().filter(|e| same(e)) {
                return Ok(Arc::clone(e));
            }
        }
        let election = Arc::new(Election::new(fingerprint, public_key, layouts)?);
        if let Ok(mut last) = LAST.lock() {
            *last = Some(Arc::clone(&election));
        }
        Ok(election)
    }
}

/// Why the native engine refused a ballot (the reference then names the field and the reason exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Ok = 0,
    /// Lengths, structure, an element or a scalar that does not decode, an identity `a`.
    Malformed = 1,
    /// The signature's encoding (`R` not canonical or the identity, `s ≥ ℓ`) or the credential's (not canonical,
    /// the identity): its equation is the batch's (`Equation`).
    Signature = 2,
    /// A range proof's challenges do not add up to its Fiat–Shamir challenge.
    Challenge = 3,
    /// A group equation of a proof or of the signature does not hold (found by bisecting a failed batch).
    Equation = 4,
}

/// A range proof's group equations, left for the batch: for each branch `j` (value `lo + j`),
/// `A_j + c_j·a = z_j·G` and `B_j + c_j·b = z_j·K + c_j·(lo+j)·G`.
pub struct RangeStatement {
    pub a: RistrettoPoint,
    pub b: RistrettoPoint,
    pub lo: u64,
    pub branches: Vec<Branch>,
}

pub struct Branch {
    pub commit_a: RistrettoPoint,
    pub commit_b: RistrettoPoint,
    pub c: Scalar,
    pub z: Scalar,
}

/// A checked ballot: its signature's and proofs' equations and its ciphertexts (per question and option) for the
/// sums.
pub struct CheckedBallot {
    pub signature: SignatureStatement,
    pub statements: Vec<RangeStatement>,
    pub choices: Vec<Vec<(RistrettoPoint, RistrettoPoint)>>,
}

impl Equations for CheckedBallot {
    fn ranges(&self) -> &[RangeStatement] {
        &self.statements
    }

    fn signature(&self) -> Option<&SignatureStatement> {
        Some(&self.signature)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn part(&mut self) -> Option<&'a [u8]> {
        let head = self.data.get(self.pos..self.pos.checked_add(8)?)?;
        let len = usize::try_from(u64::from_be_bytes(head.try_into().ok()?)).ok()?;
        let start = self.pos + 8;
        let body = self.data.get(start..start.checked_add(len)?)?;
        self.pos = start + len;
        Some(body)
    }

    fn fixed<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        self.part()?.try_into().ok()
    }

    fn int(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(*self.fixed::<8>()?))
    }

    fn element(&mut self) -> Option<(&'a [u8; 32], RistrettoPoint)> {
        let raw = self.fixed::<32>()?;
        Some((raw, CompressedRistretto(*raw).decompress()?))
    }

    fn scalar(&mut self) -> Option<Scalar> {
        Option::from(Scalar::from_canonical_bytes(*self.fixed::<32>()?))
    }
}

/// A proof as read from the ballot bytes, with the raw encodings of its commitments for the transcript.
struct RawProof<'a> {
    encodings: Vec<(&'a [u8; 32], &'a [u8; 32])>,
    branches: Vec<Branch>,
}

fn read_proof<'a>(r: &mut Reader<'a>, branches: u64) -> Option<RawProof<'a>> {
    if r.int()? != branches {
        return None;
    }
    let mut proof = RawProof {
        encodings: Vec::new(),
        branches: Vec::new(),
    };
    for _ in 0..branches {
        let (raw_a, commit_a) = r.element()?;
        let (raw_b, commit_b) = r.element()?;
        let c = r.scalar()?;
        let z = r.scalar()?;
        proof.encodings.push((raw_a, raw_b));
        proof.branches.push(Branch {
            commit_a,
            commit_b,
            c,
            z,
        });
    }
    Some(proof)
}

/// `Σ c_j ≡ H("range", fingerprint, context, 6, G, K, a, b, lo, hi, A_0, B_0, A_1, B_1, …)`.
fn challenge_holds(
    election: &Election,
    context: &[&[u8]],
    ct: (&[u8; 32], &[u8; 32]),
    lo: u64,
    hi: u64,
    proof: &RawProof,
) -> bool {
    let mut t = Transcript::new(RANGE_DOMAIN);
    t.part(&[&election.fingerprint])
        .part(context)
        .part(&[&int_bytes(6)])
        .part(&[RISTRETTO_BASEPOINT_COMPRESSED.as_bytes()])
        .part(&[&election.public_key_bytes])
        .part(&[ct.0])
        .part(&[ct.1])
        .part(&[&int_bytes(lo)])
        .part(&[&int_bytes(hi)]);
    for (a, b) in &proof.encodings {
        t.part(&[*a]).part(&[*b]);
    }
    let sum: Scalar = proof.branches.iter().map(|b| b.c).sum();
    t.scalar() == sum
}

/// Per question: its ciphertexts (raw encodings and points), its 0/1 proofs and its sum proof.
type Question<'a> = (
    Vec<(
        (&'a [u8; 32], &'a [u8; 32]),
        (RistrettoPoint, RistrettoPoint),
    )>,
    Vec<RawProof<'a>>,
    Option<RawProof<'a>>,
);

/// A ballot's bytes read against the layout, every element and scalar decoded.
struct ReadBallot<'a> {
    credential: &'a [u8; 32],
    signature: &'a [u8; 64],
    questions: Vec<Question<'a>>,
}

/// Every length, element and scalar of the ballot bytes (`Malformed` if anything is off).
fn read<'a>(
    election: &Election,
    content: &'a [u8],
    signature_bytes: &'a [u8],
) -> Result<ReadBallot<'a>, Status> {
    use Status::Malformed;
    let signature: &[u8; 64] = signature_bytes.try_into().map_err(|_| Malformed)?;
    let mut r = Reader {
        data: content,
        pos: 0,
    };
    if r.part() != Some(BALLOT_TAG) {
        return Err(Malformed);
    }
    let fingerprint = r.fixed::<32>().ok_or(Malformed)?;
    let credential = r.fixed::<32>().ok_or(Malformed)?;
    if fingerprint != &election.fingerprint || r.int() != Some(election.layouts.len() as u64) {
        return Err(Malformed);
    }
    let mut questions = Vec::with_capacity(election.layouts.len());
    for lay in &election.layouts {
        let width = lay.width();
        if r.int() != Some(width as u64) {
            return Err(Malformed);
        }
        let mut cts = Vec::with_capacity(width);
        for _ in 0..width {
            let (raw_a, a) = r.element().ok_or(Malformed)?;
            let (raw_b, b) = r.element().ok_or(Malformed)?;
            if raw_a == &[0u8; 32] {
                // a = 0·G: b = m·G, the vote in clear (the decoding is canonical: all zeros is the identity's
                // one encoding)
                return Err(Malformed);
            }
            cts.push(((raw_a, raw_b), (a, b)));
        }
        let proofs: Vec<RawProof> = (0..width)
            .map(|_| read_proof(&mut r, 2))
            .collect::<Option<_>>()
            .ok_or(Malformed)?;
        let sum = if lay.sum_proof {
            Some(read_proof(&mut r, lay.hi - lay.lo + 1).ok_or(Malformed)?)
        } else {
            None
        };
        if r.part()
            != Some(if lay.sum_proof {
                &[1u8][..]
            } else {
                &[0u8][..]
            })
        {
            return Err(Malformed);
        }
        questions.push((cts, proofs, sum));
    }
    if r.pos != content.len() {
        return Err(Malformed);
    }
    Ok(ReadBallot {
        credential,
        signature,
        questions,
    })
}

/// Every proof's Fiat–Shamir challenge (`Challenge` if one does not add up); the group equations are left.
fn challenges_hold(
    election: &Election,
    ballot: ReadBallot,
    signature: SignatureStatement,
) -> Result<CheckedBallot, Status> {
    let credential = ballot.credential;
    let mut checked = CheckedBallot {
        signature,
        statements: Vec::new(),
        choices: Vec::new(),
    };
    for (q, ((cts, proofs, sum), lay)) in ballot
        .questions
        .into_iter()
        .zip(&election.layouts)
        .enumerate()
    {
        let q_bytes = int_bytes(q as u64);
        for (i, (((raw_a, raw_b), (a, b)), proof)) in cts.iter().zip(proofs).enumerate() {
            let context: [&[u8]; 3] = [credential, &q_bytes, &int_bytes(i as u64)];
            if !challenge_holds(election, &context, (raw_a, raw_b), 0, 1, &proof) {
                return Err(Status::Challenge);
            }
            checked.statements.push(RangeStatement {
                a: *a,
                b: *b,
                lo: 0,
                branches: proof.branches,
            });
        }
        if let Some(proof) = sum {
            let (mut a, mut b) = (RistrettoPoint::identity(), RistrettoPoint::identity());
            for ((_, (ca, cb)), &w) in cts.iter().zip(&lay.weights) {
                if w == 1 {
                    a += ca;
                    b += cb;
                } else {
                    let w = Scalar::from(w);
                    a += ca * w;
                    b += cb * w;
                }
            }
            let (enc_a, enc_b) = (a.compress().to_bytes(), b.compress().to_bytes());
            let context: [&[u8]; 3] = [credential, &q_bytes, b"sum"];
            if !challenge_holds(election, &context, (&enc_a, &enc_b), lay.lo, lay.hi, &proof) {
                return Err(Status::Challenge);
            }
            checked.statements.push(RangeStatement {
                a,
                b,
                lo: lay.lo,
                branches: proof.branches,
            });
        }
        checked
            .choices
            .push(cts.iter().map(|(_, points)| *points).collect());
    }
    Ok(checked)
}

/// Decode and check one ballot up to its signature's and proofs' group equations; `Err` says which stage refused
/// it.
pub fn check(
    election: &Election,
    content: &[u8],
    signature_bytes: &[u8],
) -> Result<CheckedBallot, Status> {
    let ballot = read(election, content, signature_bytes)?;
    let signature = signature_statement(
        &election.fingerprint,
        ballot.credential,
        content,
        ballot.signature,
    )
    .ok_or(Status::Signature)?;
    challenges_hold(election, ballot, signature)
}

/// One range proof on its own (the proofs' test vectors, `tests/vectors/proofs.json`): `branches` holds
/// `A_j ‖ B_j ‖ c_j ‖ z_j` (128 bytes) per branch `lo … hi`. Decoding, challenge and equations as in a ballot.
pub fn check_range_proof(
    election: &Election,
    context: &[u8],
    ciphertext: (&[u8; 32], &[u8; 32]),
    lo: u64,
    hi: u64,
    branches: &[u8],
) -> Result<bool, String> {
    match range_statement(election, context, ciphertext, lo, hi, branches) {
        Some(statement) => crate::batch::holds(&election.bases, &[&[statement][..]]),
        None => Ok(false),
    }
}

/// A range proof decoded, with its challenge checked: its equations, for a batch ([`crate::batch::holds`]);
/// `None` when it is malformed (a length, an encoding, a scalar) or its challenge does not hold.
pub fn range_statement(
    election: &Election,
    context: &[u8],
    ciphertext: (&[u8; 32], &[u8; 32]),
    lo: u64,
    hi: u64,
    branches: &[u8],
) -> Option<RangeStatement> {
    if lo > hi || branches.len() as u64 != 128 * (hi - lo + 1) {
        return None;
    }
    let decode = |raw: &[u8; 32]| CompressedRistretto(*raw).decompress();
    let (Some(a), Some(b)) = (decode(ciphertext.0), decode(ciphertext.1)) else {
        return None;
    };
    let mut proof = RawProof {
        encodings: Vec::new(),
        branches: Vec::new(),
    };
    for chunk in branches.chunks_exact(128) {
        let part =
            |i: usize| -> &[u8; 32] { chunk[32 * i..32 * (i + 1)].try_into().expect("32 bytes") };
        let (Some(commit_a), Some(commit_b)) = (decode(part(0)), decode(part(1))) else {
            return None;
        };
        let (c, z) = (
            Scalar::from_canonical_bytes(*part(2)),
            Scalar::from_canonical_bytes(*part(3)),
        );
        let (Some(c), Some(z)) = (Option::from(c), Option::from(z)) else {
            return None;
        };
        proof.encodings.push((part(0), part(1)));
        proof.branches.push(Branch {
            commit_a,
            commit_b,
            c,
            z,
        });
    }
    if !challenge_holds(election, &[context], ciphertext, lo, hi, &proof) {
        return None;
    }
    Some(RangeStatement {
        a,
        b,
        lo,
        branches: proof.branches,
    })
}
