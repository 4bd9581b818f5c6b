"""Schnorr proof of knowledge of ``x`` with ``X = x·G``.

Used for trustees' Feldman coefficients in the key ceremony (a trustee cannot publish a commitment it does not
know the secret of — the rogue-key attack) and for voters' credentials in coercion-resistant mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from plebiscite.hazmat import group as G
from plebiscite.proofs.common import ProofError, scalars_from_json, scalars_to_json
from plebiscite.proofs.transcript import challenge

TAG = "schnorr"


@dataclass(frozen=True, slots=True)
class SchnorrProof:
    """``(c, z)`` with ``z = w + c·x`` for the commitment ``A = w·G``."""

    c: int
    z: int

    def to_json(self) -> list[str]:
        return scalars_to_json([self.c, self.z])

    @staticmethod
    def from_json(value: object, what: str = "schnorr proof") -> SchnorrProof:
        c, z = scalars_from_json(value, 2, what)
        return SchnorrProof(c, z)


def prove(x: int, public: bytes, fingerprint: bytes, context: bytes) -> SchnorrProof:
    """Prove knowledge of ``x = log_G public``; ``context`` says who proves it for what."""
    w = G.random_scalar()
    commitment = G.mul_base(w)
    c = challenge(TAG, fingerprint, context, [G.GENERATOR, public], [commitment])
    return SchnorrProof(c, (w + c * x) % G.ORDER)


def verify(proof: SchnorrProof, public: bytes, fingerprint: bytes, context: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows knowledge of ``log_G public``."""
    commitment = G.sub(G.mul_base(proof.z), G.mul(public, proof.c))
    if challenge(TAG, fingerprint, context, [G.GENERATOR, public], [commitment]) != proof.c:
        raise ProofError("schnorr proof: challenge does not match")
