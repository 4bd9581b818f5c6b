"""Strong Fiat–Shamir challenges.

Every challenge hashes, as length-prefixed byte strings (never ad-hoc JSON): a domain tag naming the proof type and
protocol version, the election fingerprint, a context (who proves what, e.g. the voter's credential and the
question/option index), the whole statement and all commitments. Weak Fiat–Shamir, which omitted parts of the
statement, broke Helios, the Swiss Post system and early ElectionGuard.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from plebiscite.hazmat import group as G

PROTOCOL = b"plebiscite/v1/"


def int_bytes(value: int) -> bytes:
    """Integers in statements (range bounds, indices) as 8-byte big-endian, so they hash unambiguously."""
    if value < 0 or value >= 2**63:
        raise ValueError("integer out of range for a transcript")
    return value.to_bytes(8, "big")


def challenge(
    tag: str,
    fingerprint: bytes,
    context: bytes,
    statement: Iterable[bytes],
    commitments: Iterable[bytes],
) -> int:
    """The challenge scalar ``H(tag, fingerprint, context, |statement|, statement…, commitments…)``."""
    statement = statement if isinstance(statement, list) else list(statement)
    return G.hash_to_scalar(
        _domain(tag),
        fingerprint,
        context,
        int_bytes(len(statement)),
        *statement,
        *commitments,
    )


@lru_cache(maxsize=64)
def _domain(tag: str) -> bytes:
    return PROTOCOL + tag.encode()
