"""Chaum–Pedersen proof of equal discrete logarithms: ``X = x·G`` and ``Y = x·H``.

Used for partial decryptions (``H`` is a ciphertext's ``a``, ``Y`` the trustee's share ``x·a``, ``X`` the trustee's
public verification key) and for the blinded tags of the coercion-resistant tally.
"""

from __future__ import annotations

from dataclasses import dataclass

from plebiscite.hazmat import group as G
from plebiscite.proofs.common import ProofError, scalars_from_json, scalars_to_json
from plebiscite.proofs.transcript import challenge

TAG = "chaum-pedersen"


@dataclass(frozen=True, slots=True)
class DleqProof:
    """``(c, z)`` with ``z = w + c·x`` for commitments ``(w·G, w·H)``."""

    c: int
    z: int

    def to_json(self) -> list[str]:
        return scalars_to_json([self.c, self.z])

    @staticmethod
    def from_json(value: object, what: str = "chaum-pedersen proof") -> DleqProof:
        c, z = scalars_from_json(value, 2, what)
        return DleqProof(c, z)


def prove(
    x: int,
    base: bytes,
    public: bytes,
    image: bytes,
    fingerprint: bytes,
    context: bytes,
    g: bytes = G.GENERATOR,
) -> DleqProof:
    """Prove ``log_g public = log_base image = x``."""
    w = G.random_scalar()
    t1 = G.mul_base(w) if g == G.GENERATOR else G.mul(g, w)
    t2 = G.mul(base, w)
    c = challenge(TAG, fingerprint, context, [g, public, base, image], [t1, t2])
    return DleqProof(c, (w + c * x) % G.ORDER)


def verify(
    proof: DleqProof,
    base: bytes,
    public: bytes,
    image: bytes,
    fingerprint: bytes,
    context: bytes,
    g: bytes = G.GENERATOR,
) -> None:
    """Raise :class:`ProofError` unless ``log_g public = log_base image``."""
    zg = G.mul_base(proof.z) if g == G.GENERATOR else G.mul(g, proof.z)
    t1 = G.sub(zg, G.mul(public, proof.c))
    t2 = G.sub(G.mul(base, proof.z), G.mul(image, proof.c))
    if challenge(TAG, fingerprint, context, [g, public, base, image], [t1, t2]) != proof.c:
        raise ProofError("chaum-pedersen proof: challenge does not match")
