"""Disjunctive (Cramer–Damgård–Schoenmakers) proof that an ElGamal ciphertext encrypts ``m ∈ [lo, hi]``.

For each ``j`` in the range, branch ``j`` claims ``(G, K, a, b − j·G)`` is a Diffie–Hellman tuple. The prover
simulates every branch but the true one; the branch challenges must add up to the Fiat–Shamir challenge, so at
most one branch can be simulated-free. ``[0, 1]`` is the 0/1 proof on each option; ``[min, max]`` bounds the number
of choices on a question.

Verification costs per branch one base and three variable-base multiplications; it is the hot path of ballot
verification, so the table of ``j·G`` is cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs.common import ProofError, scalars_from_json, scalars_to_json
from plebiscite.proofs.transcript import challenge, int_bytes

TAG = "range"


@dataclass(frozen=True, slots=True)
class RangeProof:
    """Per-branch challenges and responses for branches ``lo..hi`` (in order)."""

    challenges: tuple[int, ...]
    responses: tuple[int, ...]

    def to_json(self) -> dict[str, list[str]]:
        return {"c": scalars_to_json(list(self.challenges)), "z": scalars_to_json(list(self.responses))}

    @staticmethod
    def from_json(value: object, branches: int, what: str = "range proof") -> RangeProof:
        if not isinstance(value, dict) or set(value) != {"c", "z"}:
            raise ProofError(f"{what}: expected an object with keys c and z")
        cs = scalars_from_json(value["c"], branches, f"{what}.c")
        zs = scalars_from_json(value["z"], branches, f"{what}.z")
        return RangeProof(tuple(cs), tuple(zs))


@lru_cache(maxsize=256)
def _small(j: int) -> bytes:
    return G.small_multiple_base(j)


def _statement(public_key: bytes, ct: Ciphertext, lo: int, hi: int) -> list[bytes]:
    return [G.GENERATOR, public_key, ct.a, ct.b, int_bytes(lo), int_bytes(hi)]


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
    commitments: list[bytes] = []
    w = G.random_scalar()
    real = m - lo
    for i in range(n):
        if i == real:
            commitments += [G.mul_base(w), G.mul(public_key, w)]
            continue
        cs[i] = G.random_scalar()
        zs[i] = G.random_scalar()
        shifted = G.sub(ct.b, _small(lo + i))
        commitments += [
            G.sub(G.mul_base(zs[i]), G.mul(ct.a, cs[i])),
            G.sub(G.mul(public_key, zs[i]), G.mul(shifted, cs[i])),
        ]
    c = challenge(TAG, fingerprint, context, _statement(public_key, ct, lo, hi), commitments)
    cs[real] = (c - sum(cs)) % G.ORDER
    zs[real] = (w + cs[real] * r) % G.ORDER
    return RangeProof(tuple(cs), tuple(zs))


def verify(
    proof: RangeProof,
    public_key: bytes,
    ct: Ciphertext,
    lo: int,
    hi: int,
    fingerprint: bytes,
    context: bytes,
) -> None:
    """Raise :class:`ProofError` unless ``ct`` encrypts some ``m ∈ [lo, hi]``."""
    n = hi - lo + 1
    if len(proof.challenges) != n or len(proof.responses) != n:
        raise ProofError(f"range proof: expected {n} branches")
    commitments: list[bytes] = []
    for i, (c_i, z_i) in enumerate(zip(proof.challenges, proof.responses, strict=True)):
        j = lo + i
        shifted = ct.b if j == 0 else G.sub(ct.b, _small(j))
        commitments.append(G.sub(G.mul_base(z_i), G.mul(ct.a, c_i)))
        commitments.append(G.sub(G.mul(public_key, z_i), G.mul(shifted, c_i)))
    expected = challenge(TAG, fingerprint, context, _statement(public_key, ct, lo, hi), commitments)
    if sum(proof.challenges) % G.ORDER != expected:
        raise ProofError("range proof: challenges do not add up to the Fiat–Shamir challenge")
