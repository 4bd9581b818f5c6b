"""Exponential ElGamal over the group: ``Enc_K(m; r) = (r·G, r·K + m·G)``.

Additively homomorphic, so the tally is the component-wise sum of ballots and only the sum is ever decrypted.
Small plaintexts are recovered with baby-step giant-step (:func:`discrete_log`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from plebiscite.hazmat import group as G


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """``(a, b) = (r·G, r·K + m·G)``; both are canonical element encodings."""

    a: bytes
    b: bytes

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(G.add(self.a, other.a), G.add(self.b, other.b))

    def scale(self, k: int) -> Ciphertext:
        """``k ·`` ciphertext: encrypts ``k·m``."""
        return Ciphertext(G.mul(self.a, k), G.mul(self.b, k))

    def to_json(self) -> list[str]:
        return [self.a.hex(), self.b.hex()]

    @staticmethod
    def from_json(value: object, what: str = "ciphertext", validate: bool = True) -> Ciphertext:
        """Decode ``[hex a, hex b]``; ``validate=False`` as in :func:`plebiscite.hazmat.group.element_from_hex`."""
        if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):
            raise G.GroupError(f"{what}: expected a list of two hex elements")
        return Ciphertext(
            G.element_from_hex(value[0], f"{what}[0]", validate),
            G.element_from_hex(value[1], f"{what}[1]", validate),
        )


def encrypt(public_key: bytes, m: int, r: int) -> Ciphertext:
    """Encrypt the small non-negative integer ``m`` with randomness ``r`` (never 0: that publishes ``m·G``)."""
    if r % G.ORDER == 0:
        raise G.GroupError("encryption randomness is zero (the ciphertext would show the plaintext)")
    return Ciphertext(G.mul_base(r), G.add(G.mul(public_key, r), G.small_multiple_base(m)))


class DiscreteLogError(ValueError):
    """The value is not ``m·G`` for any ``m`` in the searched range."""


def discrete_log(point: bytes, bound: int) -> int:
    """Find ``m`` in ``[0, bound]`` with ``m·G = point`` by baby-step giant-step, O(√bound) group operations."""
    if point == G.IDENTITY:
        return 0
    step = max(1, math.isqrt(bound) + 1)
    baby: dict[bytes, int] = {}
    current = G.IDENTITY
    for j in range(step):
        baby.setdefault(current, j)
        current = G.add(current, G.GENERATOR)
    giant = G.neg(G.mul_base(step))
    gamma = point
    for i in range(step + 1):
        found = baby.get(gamma)
        if found is not None and i * step + found <= bound:
            return i * step + found
        gamma = G.add(gamma, giant)
    raise DiscreteLogError(f"no discrete logarithm in [0, {bound}]")
