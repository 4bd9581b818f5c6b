"""Shamir/Feldman arithmetic: secret polynomials, public commitments, share checks and Lagrange coefficients."""

from __future__ import annotations

from collections.abc import Sequence

from plebiscite.hazmat import group as G


def random_polynomial(degree: int) -> list[int]:
    """Coefficients ``a_0..a_degree``, uniformly random; ``a_0`` is the trustee's contribution to the key."""
    return [G.random_scalar() for _ in range(degree + 1)]


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """``f(x) mod ℓ`` by Horner's rule."""
    result = 0
    for a in reversed(coefficients):
        result = (result * x + a) % G.ORDER
    return result


def commit(coefficients: Sequence[int]) -> list[bytes]:
    """Feldman commitments ``C_j = a_j·G``."""
    return [G.mul_base(a) for a in coefficients]


def commitment_at(commitments: Sequence[bytes], x: int) -> bytes:
    """``Σ_j x^j·C_j = f(x)·G``: what a share for trustee ``x`` must match."""
    acc = G.IDENTITY
    power = 1
    for c in commitments:
        acc = G.add(acc, G.mul(c, power))
        power = power * x % G.ORDER
    return acc


def share_matches(share: int, commitments: Sequence[bytes], x: int) -> bool:
    """Feldman check: ``share·G == Σ x^j C_j``."""
    return G.mul_base(share) == commitment_at(commitments, x)


def lagrange_at_zero(index: int, indices: Sequence[int]) -> int:
    """Coefficient ``λ_index`` so that ``f(0) = Σ λ_i f(i)`` over the points ``indices``."""
    num = den = 1
    for j in indices:
        if j == index:
            continue
        num = num * j % G.ORDER
        den = den * (j - index) % G.ORDER
    return num * pow(den, -1, G.ORDER) % G.ORDER
