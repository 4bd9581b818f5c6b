"""A mirror's witness bookkeeping: which of the heads it copied carry ``w`` valid cosignatures (docs/board.md §4).

The mirror keeps the valid cosignatures it saw, by head size, in its record's ``cosignatures.jsonl`` (so the copy
verifies like a board's export), and reports the latest head it holds that carries ``w`` of them — "final" only
then. The board's latest witnessed head must be one of the mirror's own heads (same root at its size) or consistent
with them; otherwise that is a fork, raised with the cosignatures on both heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from plebiscite.board import witnessing
from plebiscite.merkle.cosign import (
    Cosignature,
    CosignatureError,
    WitnessPolicy,
    cosignature_dicts,
    witnessed_by,
)
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.record import events as ev
from plebiscite.record import store

__all__ = ["MirrorWitnessing", "check", "saved"]


@dataclass(frozen=True)
class MirrorWitnessing:
    """``head``: the mirror's latest head carrying ``threshold`` valid cosignatures (``valid`` of them)."""

    policy: WitnessPolicy | None
    head: SignedTreeHead | None
    valid: int
    latest_size: int

    @property
    def final(self) -> bool:
        """The mirror's latest head is witnessed."""
        return self.head is not None and self.head.tree_size == self.latest_size

    @property
    def text(self) -> str:
        p = self.policy
        if p is None:
            return "witness check not run: the election's manifest names no witnesses"
        if self.head is None:
            return f"NOT WITNESSED: no head carries {p.summary} valid cosignatures yet"
        if self.final:
            return f"head of size {self.latest_size} witnessed by {self.valid} of {len(p.keys)} witnesses"
        return (
            f"NOT WITNESSED YET: the latest head (size {self.latest_size}) lacks {p.summary} cosignatures; the "
            f"latest witnessed head is size {self.head.tree_size} ({self.valid} of {len(p.keys)})"
        )


def saved(target: Path) -> dict[int, list[dict[str, Any]]]:
    """The cosignatures the mirror kept, by head size."""
    path = target / store.COSIGNATURES_FILE
    if not path.exists():
        return {}
    lines = store.heads_from_blob(path.read_bytes(), target, store.COSIGNATURES_FILE)
    return {int(line["tree_size"]): list(line["cosignatures"]) for line in lines}


def _policy(target: Path) -> WitnessPolicy | None:
    with open(target / store.EVENTS_FILE, "rb") as f:
        first = f.readline().rstrip(b"\n")
    if not first:
        return None
    event = store.parse_event(0, first, f"{target}/{store.EVENTS_FILE} line 1")
    if event.type != ev.MANIFEST:
        return None
    try:
        return WitnessPolicy.from_manifest(event.payload.get("manifest"))
    except CosignatureError as exc:
        raise witnessing.WitnessingError(str(exc)) from None


def _merge(kept: dict[int, list[dict[str, Any]]], size: int, valid: list[Cosignature]) -> bool:
    present = {c["witness"]: c for c in kept.get(size, [])}
    added = [c for c in valid if c.witness not in present]
    if added:
        kept[size] = cosignature_dicts([*(Cosignature.from_dict(c) for c in present.values()), *added])
    return bool(added)


def check(
    client: httpx.Client,
    key: bytes,
    target: Path,
    mine: dict[int, SignedTreeHead],
    new: SignedTreeHead,
    served: dict[int, list[object]],
) -> MirrorWitnessing:
    """Keep the valid cosignatures served with the mirror's heads and the board's latest witnessed head; report."""
    policy = _policy(target)
    if policy is None:
        return MirrorWitnessing(None, None, 0, new.tree_size)
    kept = saved(target)
    changed = False
    for size, cosigs in served.items():
        if size in mine:
            changed |= _merge(kept, size, witnessed_by(mine[size], cosigs, policy)[0])
    found = witnessing.latest_witnessed(client, key, policy)
    if found is not None and found[0].tree_size <= new.tree_size:
        head, cosigs, _ = found
        local = mine.get(head.tree_size)
        if local is None:
            proof = witnessing.consistency(client, head.tree_size, new.tree_size)
            witnessing.consistent_or_fork(head, new, proof, key, cosigs, served.get(new.tree_size, []))
        elif local.root_hash != head.root_hash:
            witnessing.consistent_or_fork(local, head, [], key, kept.get(head.tree_size, []), cosigs)
        else:
            changed |= _merge(kept, head.tree_size, witnessed_by(head, cosigs, policy)[0])
    if changed:
        store.write_cosignatures(
            target, [{"tree_size": n, "cosignatures": c} for n, c in sorted(kept.items())]
        )
    witnessed = [n for n, c in kept.items() if len(c) >= policy.threshold and n in mine]
    best = max(witnessed, default=None)
    if best is None:
        return MirrorWitnessing(policy, None, 0, new.tree_size)
    return MirrorWitnessing(policy, mine[best], len(kept[best]), new.tree_size)
