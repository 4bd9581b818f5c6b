"""The tally set: the trustees present, their order and Lagrange coefficients, and their signed payloads.

Shared by the roll precomputation (``precompute.py``, while voting runs) and the tally after close
(``tally.py``): both must use the same tally set, because the roll tags computed in advance carry the product of
the present trustees' matching keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.signing import sign
from plebiscite.setup.election import ElectionContext

Post = Callable[[str, dict[str, Any]], Any]


@dataclass
class TallyTrustee:
    """A trustee at the tally: its ceremony secrets, its share of the registrar's MAC key, and — from the roll
    precomputation on — its secret tag keys ``stage → (z, u)``, which it keeps until the tally is over."""

    trustee: Trustee
    mac_share: int = field(repr=False)  # never printed
    tag_keys: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    ahead: dict[bytes, tuple[bytes, bytes]] = field(default_factory=dict, repr=False)
    """The MAC fold's rows computed while voting runs: ``C1.a ‖ C1.b → E_t = w·C1`` for the exponent
    :attr:`ahead_exponent` (``w = λ_t s_t``); secret-derived, kept until the tally's ``cr-fold-exp`` posts the kept
    ballots' (``steps.fold_ahead``)."""
    ahead_exponent: int = field(default=0, repr=False)
    dedup_ahead: dict[bytes, tuple[bytes, bytes]] = field(default_factory=dict, repr=False)
    """The first trustee's duplicate-elimination pass over the cast ballots, computed while voting runs:
    ``C1.a ‖ C1.b → (z·a, z·b − u·a)`` with its ``dedup`` tag key (``steps.dedup_ahead``)."""

    @property
    def index(self) -> int:
        return self.trustee.index

    def signed(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return sign(kind, payload, self.trustee.signing_key)


def tally_set(
    ctx: ElectionContext, present: Sequence[TallyTrustee]
) -> tuple[list[TallyTrustee], dict[int, int]]:
    """The present trustees in index order and their Lagrange coefficients at 0; refuses too few or repeats."""
    order = sorted(present, key=lambda t: t.index)
    indices = [t.index for t in order]
    if len(order) < ctx.threshold or len(set(indices)) != len(indices):
        raise ValueError(f"tally: needs {ctx.threshold} distinct qualified trustees")
    return order, {j: lagrange_at_zero(j, indices) for j in indices}


def shuffle_context(name: str, trustee: int) -> bytes:
    return b"cr-shuffle/" + name.encode() + b"/" + int_bytes(trustee)
