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
valid one, on one of those heads, by a witness the manifest names, each witness once per head.

A national record is tens of millions of events (issue 14), so the restore streams: the events and the heads are
read a line at a time (:class:`plebiscite.record.stream.EventLines`), checked a chunk of ``MAX_PAGE`` events at a
time (each event canonical, each head ending in the chunk verified against the running Merkle frontier, its
cosignatures checked) and each chunk is written only once checked, all in one database transaction
(:meth:`Board.restore`): the first problem, however late, raises with its file, line and reason and rolls
everything back, leaving the database empty. Memory holds one chunk, the frontier and the cosignatures (one line
per witnessed checkpoint, not per event), never the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plebiscite.board.records import NewEntry, RestoreChunk
from plebiscite.board.storage import MAX_PAGE, Board
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.cosign import Cosignature, CosignatureError, WitnessPolicy, witnessed_by
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, verify_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.store import RecordError
from plebiscite.record.stream import EventLines

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


def is_own_record(record: Path, board: Board) -> bool:
    """True when ``record``'s heads (under its ``board.json`` key; its events are not read) are signed by this board's
    key: a copy of this board's own log, to be restored whole, rather than a prepared record (signed offline,
    ``record/signer.py``) whose events only are imported. A record carrying cosignatures under another key is
    refused: it is some board's log, not this one's.
    """
    source = EventLines(record)
    key = board.public_key
    own = None if key is None else bytes(key).hex()
    found = source.board_key()
    if found is None or not any(line.strip() for line in source.other_lines(store.HEADS_FILE)):
        return False
    if found.lower() == own:
        return True
    if any(line.strip() for line in source.other_lines(store.COSIGNATURES_FILE)):
        raise RestoreError(
            f"{record}: a board's record (its heads carry witnesses' cosignatures) signed by board key {found}, but "
            f"this board's key is {own}: a board is restored only under its own key (give its key file)"
        )
    return False


def restore(board: Board, record: Path, say: Callable[[Restored], None] | None = None) -> Restored:
    """Check ``record`` chunk by chunk and write it into the empty ``board`` as it goes, in one transaction (see the
    module docstring); any refusal leaves the board empty."""
    key = board.public_key
    if key is None:
        raise RestoreError("restore: the board has no key to check the mirror's heads against")
    counts: list[Restored] = []

    def chunks() -> Iterator[RestoreChunk]:
        checker = _Checker(EventLines(record), bytes(key))
        yield from checker.chunks()
        counts.append(checker.done())

    board.restore(chunks)
    done = counts[-1]
    if say is not None:
        say(done)
    return done


class _Checker:
    """One reading of a record, checked as it is streamed: the state between chunks is the Merkle frontier, the
    next unchecked head and the cosignatures not yet matched with a head."""

    def __init__(self, source: EventLines, key: bytes) -> None:
        self.source, self.key = source, key
        self.heads_where = f"{source.path}/{store.HEADS_FILE}"
        self.cosig_where = f"{source.path}/{store.COSIGNATURES_FILE}"
        self.frontier = CompactRange()
        self.heads = self._heads()
        self.next_head = next(self.heads, None)
        self.last: SignedTreeHead | None = None
        self.counts = [0, 0, 0]  # entries, heads, cosignatures
        self.cosigs = self._cosignature_lines()
        self.policy: WitnessPolicy | None = None

    def chunks(self) -> Iterator[RestoreChunk]:
        entries: list[NewEntry] = []
        hashes: list[bytes] = []
        heads: list[SignedTreeHead] = []
        for index, line in self.source:
            event = store.parse_event(index, line, f"{self.source.where} line {index + 1}")
            if index == 0:
                self.policy = self._policy(event)
            if self.next_head is not None and self.next_head[1].tree_size <= index:
                heads.extend(self._heads_at(index))
            entries.append(NewEntry(event.type, event.raw))
            hashes.append(leaf_hash(event.raw))
            self.frontier.append(hashes[-1])
            if len(entries) == MAX_PAGE:
                heads.extend(self._heads_at(index + 1))
                yield self._chunk(entries, hashes, heads)
                entries, hashes, heads = [], [], []
        heads.extend(self._heads_at(self.frontier.size))
        last = self._chunk(entries, hashes, heads)
        self._finish()
        if entries or heads:
            yield last

    def done(self) -> Restored:
        return Restored(*self.counts)

    def _chunk(
        self, entries: list[NewEntry], hashes: list[bytes], heads: list[SignedTreeHead]
    ) -> RestoreChunk:
        cosigned = [(h.tree_size, c) for h in heads for c in self._cosigned(h)]
        self.counts[0] += len(entries)
        self.counts[1] += len(heads)
        self.counts[2] += len(cosigned)
        return RestoreChunk(entries, hashes, heads, cosigned)

    def _heads(self) -> Iterator[tuple[int, SignedTreeHead]]:
        for number, line in enumerate(self.source.other_lines(store.HEADS_FILE), start=1):
            if not line.strip():
                continue
            raw = _object(line, f"{self.heads_where} line {number}")
            try:
                head = SignedTreeHead.from_dict(raw)
                verify_tree_head(head, self.key)
            except TreeHeadError as exc:
                raise RestoreError(f"{self.heads_where} line {number}: {exc}") from None
            yield number, head

    def _heads_at(self, size: int) -> Iterator[SignedTreeHead]:
        """The heads of ``size`` (the frontier holds the first ``size`` events), checked in order."""
        while self.next_head is not None and self.next_head[1].tree_size <= size:
            number, head = self.next_head
            last = self.last
            if last is not None and head.tree_size <= last.tree_size:
                raise RestoreError(
                    f"{self.heads_where} line {number}: size {head.tree_size} after size {last.tree_size} "
                    "(heads must grow)"
                )
            if last is not None and head.timestamp < last.timestamp:
                raise RestoreError(
                    f"{self.heads_where} line {number}: its timestamp is earlier than the head before it"
                )
            if head.tree_size < size or self.frontier.root() != head.root:
                raise RestoreError(
                    f"{self.heads_where}: the head of size {head.tree_size} does not match the record's first "
                    f"{head.tree_size} events"
                )
            self.last = head
            self.next_head = next(self.heads, None)
            yield head

    def _finish(self) -> None:
        size = self.frontier.size
        if self.next_head is not None:
            number, head = self.next_head
            if self.last is not None and head.tree_size <= self.last.tree_size:
                list(self._heads_at(head.tree_size))  # names the order problem
            raise RestoreError(
                f"{self.heads_where} line {number}: signed size {head.tree_size}, but the record has {size} events"
            )
        covered = self.last.tree_size if self.last is not None else 0
        if self.last is None or covered != size:
            raise RestoreError(
                f"{self.source.path}: events {covered}..{size - 1} are covered by no signed head (not what the "
                "board signed: run the mirror again, which cuts them, before restoring)"
            )
        if self.cosigs:
            size, (number, _) = min(self.cosigs.items(), key=lambda item: item[1][0])
            raise RestoreError(
                f"{self.cosig_where} line {number}: cosignatures on size {size}, a head the record does not hold"
            )

    def _cosignature_lines(self) -> dict[int, tuple[int, list[object]]]:
        """The cosignatures by head size, with the first line naming each (held: one line per checkpoint)."""
        raw: dict[int, tuple[int, list[object]]] = {}
        for number, line in enumerate(self.source.other_lines(store.COSIGNATURES_FILE), start=1):
            if not line.strip():
                continue
            value = _object(line, f"{self.cosig_where} line {number}")
            size, cosigs = value.get("tree_size"), value.get("cosignatures")
            if (
                set(value) != {"tree_size", "cosignatures"}
                or type(size) is not int
                or not isinstance(cosigs, list)
            ):
                raise RestoreError(
                    f'{self.cosig_where} line {number}: expected {{"tree_size": int, "cosignatures": [...]}}'
                )
            raw.setdefault(size, (number, []))[1].extend(cosigs)
        return raw

    def _policy(self, first: ev.Event) -> WitnessPolicy | None:
        if not self.cosigs:
            return None
        manifest = first.payload.get("manifest") if first.type == ev.MANIFEST else None
        try:
            policy = WitnessPolicy.from_manifest(manifest)
        except CosignatureError as exc:
            raise RestoreError(f"{self.source.path}: {exc}") from None
        if policy is None:
            raise RestoreError(
                f"{self.cosig_where}: cosignatures, but the election's manifest names no witnesses"
            )
        return policy

    def _cosigned(self, head: SignedTreeHead) -> list[Cosignature]:
        found = self.cosigs.pop(head.tree_size, None)
        if found is None or self.policy is None:
            return []
        valid, problems = witnessed_by(head, found[1], self.policy)
        if problems:
            raise RestoreError(f"{self.cosig_where}, head of size {head.tree_size}: {problems[0]}")
        return valid


def _object(line: bytes, where: str) -> dict[str, Any]:
    value = store._load_json(line, where)
    if not isinstance(value, dict):
        raise RestoreError(f"{where}: expected an object")
    return value
