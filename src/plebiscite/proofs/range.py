"""Disjunctive (Cramer–Damgård–Schoenmakers) proof that an ElGamal ciphertext encrypts ``m ∈ [lo, hi]``.

For each ``j`` in the range, branch ``j`` claims ``(G, K, a, b − j·G)`` is a Diffie–Hellman tuple. The prover
simulates every branch but the true one; the branch challenges must add up to the Fiat–Shamir challenge, so at
most one branch can be simulated-free. ``[0, 1]`` is the 0/1 proof on each option; ``[min, max]`` bounds the number
of choices on a question.

Why the proof carries its commitments ``(A_j, B_j)`` instead of only ``(c_j, z_j)``: this is the hot path of ballot
verification, and with the commitments in hand the verifier can check all branches' equations at once with a
random linear combination (batch verification): ``2n + 1`` variable-base multiplications for ``n`` branches instead
of ``3n`` — five instead of six for a yes/no ballot, which is most of a ballot's cost. The Fiat–Shamir challenge is
computed over exactly the same inputs as before (statement, then ``A_j, B_j`` per branch), before any group
operation, so a forged proof is usually rejected by one hash.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs.common import ProofError, elements_from_json, scalars_from_json, scalars_to_json
from plebiscite.proofs.transcript import challenge, int_bytes

TAG = "range"

WEIGHT_BITS = 128
"""Random weights of the batch check: a false equation passes with probability at most 2^-128."""


@dataclass(frozen=True, slots=True)
class RangeProof:
    """Per-branch commitments ``A_j, B_j``, challenges ``c_j`` and responses ``z_j`` for branches ``lo..hi``."""

    commit_a: tuple[bytes, ...]
    commit_b: tuple[bytes, ...]
    challenges: tuple[int, ...]
    responses: tuple[int, ...]

    def to_json(self) -> dict[str, list[str]]:
        return {
            "A": [p.hex() for p in self.commit_a],
            "B": [p.hex() for p in self.commit_b],
            "c": scalars_to_json(list(self.challenges)),
            "z": scalars_to_json(list(self.responses)),
        }

    def branch_bytes(self) -> list[bytes]:
        """``A_j, B_j, le32(c_j), le32(z_j)`` per branch: the proof's part of the ballot bytes."""
        out: list[bytes] = []
        for a, b, c, z in zip(self.commit_a, self.commit_b, self.challenges, self.responses, strict=True):
            out += [a, b, G.scalar_to_bytes(c), G.scalar_to_bytes(z)]
        return out

    @staticmethod
    def from_json(
        value: object, branches: int, what: str = "range proof", validate: bool = True
    ) -> RangeProof:
        """Decode a proof with ``branches`` branches.

        ``validate=False`` skips the (costly) curve check of the commitments: only for callers that go on to
        :func:`verify`, whose libsodium operations refuse every invalid encoding anyway (see ``ballot/check.py``).
        """
        if not isinstance(value, dict) or set(value) != {"A", "B", "c", "z"}:
            raise ProofError(f"{what}: expected an object with keys A, B, c and z")
        commit_a = elements_from_json(value["A"], branches, f"{what}.A", validate)
        commit_b = elements_from_json(value["B"], branches, f"{what}.B", validate)
        cs = scalars_from_json(value["c"], branches, f"{what}.c")
        zs = scalars_from_json(value["z"], branches, f"{what}.z")
        return RangeProof(tuple(commit_a), tuple(commit_b), tuple(cs), tuple(zs))


@lru_cache(maxsize=256)
def _small(j: int) -> bytes:
    return G.small_multiple_base(j)


@lru_cache(maxsize=256)
def _bounds(lo: int, hi: int) -> tuple[bytes, bytes]:
    return int_bytes(lo), int_bytes(hi)


def _statement(public_key: bytes, ct: Ciphertext, lo: int, hi: int) -> list[bytes]:
    return [G.GENERATOR, public_key, ct.a, ct.b, *_bounds(lo, hi)]


def _interleaved(commit_a: tuple[bytes, ...], commit_b: tuple[bytes, ...]) -> list[bytes]:
    if len(commit_a) == 2:  # the 0/1 proofs: most of the verifier's work
        return [commit_a[0], commit_b[0], commit_a[1], commit_b[1]]
    return [p for pair in zip(commit_a, commit_b, strict=True) for p in pair]


def prove(
    public_key: bytes,
    ct: Ciphertext,
    m: int,
    r: int,
    lo: int,
    hi: int,
    fingerprint: bytes,
    context: bytes,
) -> RangeProof:
    """Prove that ``ct = Enc(m; r)`` with ``lo ≤ m ≤ hi`` without revealing ``m``."""
    if not lo <= m <= hi:
        raise ValueError("plaintext outside the range being proved")
    n = hi - lo + 1
    cs = [0] * n
    zs = [0] * n
    commit_a: list[bytes] = []
    commit_b: list[bytes] = []
    w = G.random_scalar()
    real = m - lo
    for i in range(n):
        if i == real:
            commit_a.append(G.mul_base(w))
            commit_b.append(G.mul(public_key, w))
            continue
        cs[i] = G.random_scalar()
        zs[i] = G.random_scalar()
        shifted = G.sub(ct.b, _small(lo + i))
        commit_a.append(G.sub(G.mul_base(zs[i]), G.mul(ct.a, cs[i])))
        commit_b.append(G.sub(G.mul(public_key, zs[i]), G.mul(shifted, cs[i])))
    c = challenge(
        TAG,
        fingerprint,
        context,
        _statement(public_key, ct, lo, hi),
        _interleaved(tuple(commit_a), tuple(commit_b)),
    )
    cs[real] = (c - sum(cs)) % G.ORDER
    zs[real] = (w + cs[real] * r) % G.ORDER
    return RangeProof(tuple(commit_a), tuple(commit_b), tuple(cs), tuple(zs))


def _check_statement(
    proof: RangeProof, public_key: bytes, ct: Ciphertext, lo: int, hi: int, fingerprint: bytes, context: bytes
) -> None:
    """Branch count and Fiat–Shamir challenge: one hash, before any group operation."""
    n = hi - lo + 1
    if len(proof.challenges) != n or len(proof.commit_a) != n or len(proof.commit_b) != n:
        raise ProofError(f"range proof: expected {n} branches")
    expected = challenge(
        TAG,
        fingerprint,
        context,
        _statement(public_key, ct, lo, hi),
        _interleaved(proof.commit_a, proof.commit_b),
    )
    if sum(proof.challenges) % G.ORDER != expected:
        raise ProofError("range proof: challenges do not add up to the Fiat–Shamir challenge")


def verify(
    proof: RangeProof,
    public_key: bytes,
    ct: Ciphertext,
    lo: int,
    hi: int,
    fingerprint: bytes,
    context: bytes,
) -> None:
    """Raise :class:`ProofError` unless ``ct`` encrypts some ``m ∈ [lo, hi]``.

    Branch ``j``'s equations are ``A_j + c_j·a = z_j·G`` and ``B_j + c_j·b = z_j·K + c_j·j·G``. They are checked
    as two random linear combinations over the branches (weight 1 on the first branch, fresh 128-bit weights from
    the OS on the others): if any single equation is false, a combination holds with probability ≤ 2^-128. The
    weights are secret and drawn after the proof is fixed, so a prover cannot aim at them.
    """
    _check_statement(proof, public_key, ct, lo, hi, fingerprint, context)
    try:
        _check_a_equation(proof, ct)
        left_b, sum_bc, sum_bz, sum_bjc = _b_combination(proof, lo, 1)
        left_b = G.add(left_b, G.mul(ct.b, sum_bc))
        right_b = G.mul(public_key, sum_bz)
        if sum_bjc:
            right_b = G.add(right_b, G.mul_base(sum_bjc))
        if left_b != right_b:
            raise ProofError("range proof: a branch's equation on b does not hold")
    except G.GroupError:
        raise ProofError("range proof: the proof or the ciphertext holds an invalid group element") from None


def _check_a_equation(proof: RangeProof, ct: Ciphertext) -> None:
    """``Σ r_j·A_j + (Σ r_j·c_j)·a = (Σ r_j·z_j)·G`` with ``r_0 = 1`` and secret random ``r_j``."""
    n = len(proof.challenges)
    left_a = proof.commit_a[0]
    sum_ac, sum_az = proof.challenges[0], proof.responses[0]
    for i in range(1, n):
        r = secrets.randbits(WEIGHT_BITS)
        left_a = G.add(left_a, G.mul(proof.commit_a[i], r))
        sum_ac += r * proof.challenges[i]
        sum_az += r * proof.responses[i]
    left_a = G.add(left_a, G.mul(ct.a, sum_ac % G.ORDER))
    if left_a != G.mul_base(sum_az % G.ORDER):
        raise ProofError("range proof: a branch's equation on a does not hold")


def _b_combination(proof: RangeProof, lo: int, first: int) -> tuple[bytes, int, int, int]:
    """``Σ s_j·B_j`` and the scalars ``Σ s_j·c_j``, ``Σ s_j·z_j``, ``Σ s_j·c_j·j`` (reduced), with ``s_0 = first``.

    ``first`` is 1 for a proof checked on its own; a batch passes a secret random weight (see :class:`BBatch`).
    """
    n = len(proof.challenges)
    order = G.ORDER
    c0, z0 = proof.challenges[0], proof.responses[0]
    left_b = proof.commit_b[0] if first == 1 else G.mul(proof.commit_b[0], first)
    sum_bc, sum_bz, sum_bjc = first * c0, first * z0, first * c0 * lo
    for i in range(1, n):
        s = secrets.randbits(WEIGHT_BITS)
        c, z = proof.challenges[i], proof.responses[i]
        left_b = G.add(left_b, G.mul(proof.commit_b[i], s))
        sum_bc += s * c
        sum_bz += s * z
        sum_bjc += s * c * (lo + i)
    return left_b, sum_bc % order, sum_bz % order, sum_bjc % order


@dataclass(slots=True)
class BTerms:
    """One proof's weighted ``b`` equation, ready to join a :class:`BBatch` once its ballot has passed."""

    point: bytes
    key_scalar: int
    base_scalar: int


@dataclass(slots=True)
class BBatch:
    """The ``b`` equations of many proofs as one random linear combination, optionally plus their ciphertexts' b.

    The verifier's hot path. Each proof's branch equations on ``b`` are combined as in :func:`verify`, but with a
    secret random 128-bit weight on *every* branch (the first included, ``s_0 = v``): ``Σ s_j·B_j + (Σ s_j·c_j)·b
    − (Σ s_j·z_j)·K − (Σ s_j·c_j·j)·G``. The ``K`` and ``G`` terms of all proofs are gathered into two scalars, so
    a proof costs no multiplication of ``K`` or ``G``: one base multiplication and one addition less than
    :func:`verify`. With ``fold``, each proof also adds its ciphertext's ``b`` with
    weight 1 (``(v·Σ s_j·c_j + 1)·b``: no extra operation), so :meth:`close` gives ``Σ b`` over the proofs if every
    equation holds — the second half of the homomorphic tally, which the verifier must recompute anyway. If any
    equation is false, :meth:`close` differs from that sum except with probability ≤ 2^-128 (every equation has its
    own secret weight; none is fixed to 1). A mismatch does not say which proof is wrong: the caller then checks the
    proofs one by one with :func:`verify` (``verify/ballots.py``).
    """

    fold: bool
    point: bytes = G.IDENTITY
    key_scalar: int = 0
    base_scalar: int = 0
    count: int = 0

    def add(self, terms: BTerms) -> None:
        self.point = G.add(self.point, terms.point)
        self.key_scalar = (self.key_scalar + terms.key_scalar) % G.ORDER
        self.base_scalar = (self.base_scalar + terms.base_scalar) % G.ORDER
        self.count += 1

    def close(self, public_key: bytes) -> bytes:
        """``Σ v·(b equation) [+ Σ b]``: the identity (or ``Σ b`` with ``fold``) when every equation holds."""
        total = G.sub(self.point, G.mul(public_key, self.key_scalar))
        return G.sub(total, G.mul_base(self.base_scalar))


def verify_deferring_b(
    proof: RangeProof,
    public_key: bytes,
    ct: Ciphertext,
    lo: int,
    hi: int,
    fingerprint: bytes,
    context: bytes,
    fold: bool,
) -> BTerms:
    """Check the challenge and the ``a`` equation now; return the ``b`` equation's terms for a :class:`BBatch`.

    Raises :class:`ProofError` like :func:`verify` for what it checks (an invalid element included: every element
    of the proof and the ciphertext goes through a libsodium operation here). All the returned terms are computed
    before anything is added to a batch, so a proof that fails halfway leaves the batch untouched.
    """
    _check_statement(proof, public_key, ct, lo, hi, fingerprint, context)
    try:
        _check_a_equation(proof, ct)
        v = secrets.randbits(WEIGHT_BITS)
        left_b, sum_bc, sum_bz, sum_bjc = _b_combination(proof, lo, v)
        b_weight = (sum_bc + 1) % G.ORDER if fold else sum_bc
        point = G.add(left_b, G.mul(ct.b, b_weight))
    except G.GroupError:
        raise ProofError("range proof: the proof or the ciphertext holds an invalid group element") from None
    return BTerms(point, sum_bz, sum_bjc)
