"""Restoring a lost board from a mirror (or from its own record export): entries, signed heads, cosignatures.

When the database is lost, an up-to-date mirror holds everything the board published: every entry, every head it
signed (``heads.jsonl``, each with its timestamp and signature, the ones voters' receipts hold), its key
(``board.json``) and the witnesses' cosignatures on its checkpoints (``cosignatures.jsonl``). ``serve --record
MIRROR`` on an empty database, with the board's own key, puts all of it back (docs/operator.md §8, docs/board.md
§5), so the restored board serves the same heads with the same cosignatures (``GET /api/board/witnessed``) and
signs its next heads on top of them, consistently.

Nothing is taken on trust, and nothing is half-imported: every head must verify under the board's key, grow in
size, never go back in time, and have as root the Merkle root of the record's first ``tree_size`` events; the last
one must cover every event (lines beyond it are no part of what the board signed); every cosignature must be a
valid one, on one of those heads, by a witness the manifest names, each witness once per head. The first problem
refuses the restore with its file, line and reason, before anything is written; then entries, heads and
cosignatures are written in one transaction (:meth:`Board.restore`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plebiscite.board.records import NewEntry
from plebiscite.board.storage import Board
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.cosign import Cosignature, CosignatureError, WitnessPolicy, witnessed_by
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, verify_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.store import RecordError

__all__ = ["RestoreError", "Restored", "is_own_record", "restore"]


class RestoreError(RecordError):
    """A mirror that cannot be restored as it is; the message names the file, the line and the reason."""


@dataclass(frozen=True)
class Restored:
    """What a restore put back."""

    entries: int
    heads: int
    cosignatures: int

    @property
    def text(self) -> str:
        return (
            f"restored {self.entries} entries, {self.heads} signed heads and {self.cosignatures} witnesses' "
            "cosignatures"
        )


def is_own_record(record: Path, board: Board, heads: list[dict[str, Any]], found: str | None) -> bool:
    """True when ``record``'s heads (``heads``, under ``found``, its ``board.json`` key) are signed by this board's
    key: a copy of this board's own log, to be restored whole, rather than a prepared record (signed offline,
    ``record/signer.py``) whose events only are imported. A record carrying cosignatures under another key is
    refused: it is some board's log, not this one's.
    """
    key = board.public_key
    own = None if key is None else bytes(key).hex()
    if found is None or not heads:
        return False
    if found.lower() == own:
        return True
    if store.read_cosignatures(record):
        raise RestoreError(
            f"{record}: a board's record (its heads carry witnesses' cosignatures) signed by board key {found}, but "
            f"this board's key is {own}: a board is restored only under its own key (give its key file)"
        )
    return False


def restore(
    board: Board,
    record: Path,
    events: list[ev.Event],
    raw_heads: list[dict[str, Any]],
    say: Callable[[Restored], None] | None = None,
) -> Restored:
    """Check ``record`` (its ``events`` and ``raw_heads`` as read, and its cosignatures; see the module docstring),
    then write all of it into the empty ``board``."""
    key = board.public_key
    if key is None:
        raise RestoreError("restore: the board has no key to check the mirror's heads against")
    heads = _checked_heads(record, events, raw_heads, bytes(key))
    cosigned = _checked_cosignatures(record, events, heads)
    board.restore(
        [NewEntry(e.type, e.raw) for e in events],
        heads,
        [(size, c) for size, cs in sorted(cosigned.items()) for c in cs],
    )
    done = Restored(len(events), len(heads), sum(len(c) for c in cosigned.values()))
    if say is not None:
        say(done)
    return done


def _checked_heads(
    record: Path, events: list[ev.Event], raw_heads: list[dict[str, Any]], key: bytes
) -> list[SignedTreeHead]:
    where = f"{record}/{store.HEADS_FILE}"
    heads: list[SignedTreeHead] = []
    for number, raw in enumerate(raw_heads, start=1):
        try:
            head = SignedTreeHead.from_dict(raw)
            verify_tree_head(head, key)
        except TreeHeadError as exc:
            raise RestoreError(f"{where} line {number}: {exc}") from None
        if heads and head.tree_size <= heads[-1].tree_size:
            raise RestoreError(
                f"{where} line {number}: size {head.tree_size} after size {heads[-1].tree_size} (heads must grow)"
            )
        if heads and head.timestamp < heads[-1].timestamp:
            raise RestoreError(f"{where} line {number}: its timestamp is earlier than the head before it")
        if head.tree_size > len(events):
            raise RestoreError(
                f"{where} line {number}: signed size {head.tree_size}, but the record has {len(events)} events"
            )
        heads.append(head)
    _roots_match(where, events, heads)
    if not heads or heads[-1].tree_size != len(events):
        covered = heads[-1].tree_size if heads else 0
        raise RestoreError(
            f"{record}: events {covered}..{len(events) - 1} are covered by no signed head (not what the board "
            "signed: run the mirror again, which cuts them, before restoring)"
        )
    return heads


def _roots_match(where: str, events: list[ev.Event], heads: list[SignedTreeHead]) -> None:
    frontier = CompactRange()
    pending = iter(heads)
    head = next(pending, None)
    for index in range(len(events) + 1):
        while head is not None and head.tree_size == index:
            if frontier.root() != head.root:
                raise RestoreError(
                    f"{where}: the head of size {index} does not match the record's first {index} events"
                )
            head = next(pending, None)
        if index < len(events):
            frontier.append(leaf_hash(events[index].raw))


def _checked_cosignatures(
    record: Path, events: list[ev.Event], heads: list[SignedTreeHead]
) -> dict[int, list[Cosignature]]:
    where = f"{record}/{store.COSIGNATURES_FILE}"
    lines = store.read_cosignatures(record)
    if not lines:
        return {}
    manifest = events[0].payload.get("manifest") if events and events[0].type == ev.MANIFEST else None
    try:
        policy = WitnessPolicy.from_manifest(manifest)
    except CosignatureError as exc:
        raise RestoreError(f"{record}: {exc}") from None
    if policy is None:
        raise RestoreError(f"{where}: cosignatures, but the election's manifest names no witnesses")
    by_size = {h.tree_size: h for h in heads}
    raw: dict[int, list[object]] = {}
    for number, line in enumerate(lines, start=1):
        size, cosigs = line.get("tree_size"), line.get("cosignatures")
        if (
            set(line) != {"tree_size", "cosignatures"}
            or type(size) is not int
            or not isinstance(cosigs, list)
        ):
            raise RestoreError(f'{where} line {number}: expected {{"tree_size": int, "cosignatures": [...]}}')
        if size not in by_size:
            raise RestoreError(
                f"{where} line {number}: cosignatures on size {size}, a head the record does not hold"
            )
        raw.setdefault(size, []).extend(cosigs)
    out: dict[int, list[Cosignature]] = {}
    for size, cosigs in raw.items():
        valid, problems = witnessed_by(by_size[size], cosigs, policy)
        if problems:
            raise RestoreError(f"{where}, head of size {size}: {problems[0]}")
        out[size] = valid
    return out
