"""Which ballots count, and their homomorphic sum.

Rules, applied in record order (docs/protocol.md, "Counting rules"): a ballot counts only if it is valid (checked at
cast and again by the verifier), signed by a credential on the roll, was not challenged, and is the *last* valid
ballot of its credential — revoting replaces the earlier ballot, so a voter coerced earlier can vote again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plebiscite.ballot.model import Ballot
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G


@dataclass(frozen=True)
class CastBallot:
    """A valid ballot with its position in the record."""

    index: int
    tracking_code: str
    ballot: Ballot


def last_per_credential(ballots: Iterable[CastBallot], challenged: set[str]) -> list[CastBallot]:
    """The last ballot of every credential, excluding challenged tracking codes; in record order."""
    last: dict[bytes, CastBallot] = {}
    for cb in ballots:
        if cb.tracking_code in challenged:
            continue
        last[cb.ballot.credential] = cb
    return sorted(last.values(), key=lambda cb: cb.index)


def aggregate(ballots: list[Ballot], widths: list[int]) -> list[list[Ciphertext]]:
    """Component-wise sum of every ciphertext position over ``ballots``."""
    return aggregate_positions(
        (tuple(tuple((ct.a, ct.b) for ct in ans.choices) for ans in ballot.answers) for ballot in ballots),
        widths,
    )


def aggregate_positions(
    rows: Iterable[tuple[tuple[tuple[bytes, bytes], ...], ...]], widths: list[int]
) -> list[list[Ciphertext]]:
    """The same sum over ballots given as ``(a, b)`` pairs per question and position (what the verifier keeps)."""
    acc_a = [[G.IDENTITY] * w for w in widths]
    acc_b = [[G.IDENTITY] * w for w in widths]
    for row in rows:
        for q, positions in enumerate(row):
            row_a, row_b = acc_a[q], acc_b[q]
            for i, (a, b) in enumerate(positions):
                row_a[i] = G.add(row_a[i], a)
                row_b[i] = G.add(row_b[i], b)
    return [
        [Ciphertext(a, b) for a, b in zip(ra, rb, strict=True)] for ra, rb in zip(acc_a, acc_b, strict=True)
    ]


def tally_payload(counted: list[CastBallot], totals: list[list[Ciphertext]]) -> dict[str, Any]:
    """Payload of the ``tally`` event."""
    return {
        "counted": [cb.tracking_code for cb in counted],
        "aggregate": [[ct.to_json() for ct in row] for row in totals],
    }


def parse_aggregate(value: object, widths: list[int]) -> list[list[Ciphertext]]:
    """Decode the ``aggregate`` field; raises ValueError naming the position."""
    if not isinstance(value, list) or [len(r) if isinstance(r, list) else -1 for r in value] != widths:
        raise ValueError("tally.aggregate: shape does not match the manifest")
    return [
        [Ciphertext.from_json(ct, f"tally.aggregate[{q}][{i}]") for i, ct in enumerate(row)]
        for q, row in enumerate(value)
    ]
