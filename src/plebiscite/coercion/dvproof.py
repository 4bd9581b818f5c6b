"""Designated-verifier proof of a credential (Jakobsson–Sako–Impagliazzo): convinces its voter, nobody else.

Statement, with ``W = σ·V``: *either* the roll entry ``(A, B)`` encrypts ``V`` under the election key ``K`` and ``V``
is a valid MAC on ``σ`` under the registrar's key ``P = s·G`` — i.e. ``A = ρ·G``, ``B − V = ρ·K``, ``P = s·G`` and
``G − W = s·V`` — *or* the prover knows ``y`` with ``Y = y·G``, the voter's own key.

The registrar knows ``ρ`` and ``s`` and proves the first branch, simulating the second. The voter, who knows ``y``,
can simulate the first branch for *any* ``(σ', V')`` and so make a "proof" for a fake credential that verifies like
the real one; therefore a proof shown to a coercer proves nothing, while the voter, who knows they did not make it,
is convinced. Both kinds of proof are five uniformly random scalars subject to ``c1 + c2 = H(…)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs.common import ProofError, scalars_from_json, scalars_to_json
from plebiscite.proofs.transcript import challenge

TAG = "cr-dv-registration"


@dataclass(frozen=True, slots=True)
class DvProof:
    c1: int
    c2: int
    z1: int
    z2: int
    z3: int

    def to_json(self) -> list[str]:
        return scalars_to_json([self.c1, self.c2, self.z1, self.z2, self.z3])

    @staticmethod
    def from_json(value: object, what: str = "credential proof") -> DvProof:
        return DvProof(*scalars_from_json(value, 5, what))


@dataclass(frozen=True, slots=True)
class Statement:
    """What the proof is about; ``mac_key`` is ``P``, ``voter_key`` is ``Y``."""

    election_key: bytes
    mac_key: bytes
    voter_key: bytes
    entry: Ciphertext
    element: bytes
    sigma: int

    def parts(self) -> list[bytes]:
        w = G.mul(self.element, self.sigma)
        return [
            G.GENERATOR,
            self.election_key,
            self.mac_key,
            self.voter_key,
            self.entry.a,
            self.entry.b,
            self.element,
            w,
        ]


def _branch1(st: Statement, c1: int, z1: int, z2: int) -> list[bytes]:
    """Commitments of the registrar's branch recomputed from challenge and responses."""
    w = G.mul(st.element, st.sigma)
    return [
        G.sub(G.mul_base(z1), G.mul(st.entry.a, c1)),
        G.sub(G.mul(st.election_key, z1), G.mul(G.sub(st.entry.b, st.element), c1)),
        G.sub(G.mul_base(z2), G.mul(st.mac_key, c1)),
        G.sub(G.mul(st.element, z2), G.mul(G.sub(G.GENERATOR, w), c1)),
    ]


def _branch2(st: Statement, c2: int, z3: int) -> bytes:
    return G.sub(G.mul_base(z3), G.mul(st.voter_key, c2))


def prove(st: Statement, rho: int, mac_secret: int, fingerprint: bytes) -> DvProof:
    """The registrar's proof: real first branch (``ρ``, ``s``), simulated second."""
    w1, w2 = G.random_scalar(), G.random_scalar()
    c2, z3 = G.random_scalar(), G.random_scalar()
    commitments = [
        G.mul_base(w1),
        G.mul(st.election_key, w1),
        G.mul_base(w2),
        G.mul(st.element, w2),
        _branch2(st, c2, z3),
    ]
    c = challenge(TAG, fingerprint, st.voter_key, st.parts(), commitments)
    c1 = (c - c2) % G.ORDER
    return DvProof(c1, c2, (w1 + c1 * rho) % G.ORDER, (w2 + c1 * mac_secret) % G.ORDER, z3)


def simulate(st: Statement, voter_secret: int, fingerprint: bytes) -> DvProof:
    """The voter's proof for any statement (a fake credential): simulated first branch, real second (``y``)."""
    c1, z1, z2 = G.random_scalar(), G.random_scalar(), G.random_scalar()
    w3 = G.random_scalar()
    commitments = [*_branch1(st, c1, z1, z2), G.mul_base(w3)]
    c = challenge(TAG, fingerprint, st.voter_key, st.parts(), commitments)
    c2 = (c - c1) % G.ORDER
    return DvProof(c1, c2, z1, z2, (w3 + c2 * voter_secret) % G.ORDER)


def verify(proof: DvProof, st: Statement, fingerprint: bytes) -> None:
    """Raise :class:`ProofError` unless the OR-proof verifies (what anyone, coercer included, can check)."""
    commitments = [*_branch1(st, proof.c1, proof.z1, proof.z2), _branch2(st, proof.c2, proof.z3)]
    c = challenge(TAG, fingerprint, st.voter_key, st.parts(), commitments)
    if (proof.c1 + proof.c2) % G.ORDER != c:
        raise ProofError("credential proof: challenges do not add up to the Fiat–Shamir challenge")
