"""A long-running client's verified view of a growing board, kept in memory.

A trustee of the coercion-resistant tally reads the board before every turn. :func:`plebiscite.board.client.mirror`
re-reads and re-hashes the whole local copy each time (what a mirror run from the command line must do), which on
a record of tens of megabytes cost more than the steps' own checks. :class:`Follower` starts from a mirror that has
just been run and keeps, in memory, the events, their Merkle frontier and the last signed head; each
:meth:`Follower.refresh` checks the board's new signed head (its signature, and its consistency with the last head
— a board that rewrote its past raises :class:`~plebiscite.merkle.heads.ForkDetected`), fetches only the entries
added since, and accepts them only if they hash to the signed root. The caller runs ``mirror`` again at the end so
that the copy on disk (and its heads) is current.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from plebiscite.board.client import BoardClientError, check_extends, get_json, served_entries
from plebiscite.canonical import hex_bytes
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.cosign import split_served_head
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, log_id_for
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import events as ev
from plebiscite.record import store


class Follower:
    def __init__(
        self,
        url: str,
        mirror_dir: Path,
        events: list[ev.Event],
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``events``: the record as ``mirror_dir`` holds it right after a ``mirror`` run; ``transport``: for tests."""
        heads = store.read_heads(mirror_dir)
        key_hex = store.read_board_key(mirror_dir)
        if not heads or key_hex is None:
            raise BoardClientError(f"{mirror_dir}: no signed head of the board yet: mirror it first")
        self.key = hex_bytes(key_hex, 32, "board key")
        self.head = SignedTreeHead.from_dict(heads[-1])
        self.events = list(events)
        self.frontier = CompactRange()
        for e in self.events:
            self.frontier.append(leaf_hash(e.raw))
        if len(self.events) != self.head.tree_size or self.frontier.root() != self.head.root:
            raise BoardClientError(
                f"{mirror_dir}: the copy does not match its last signed head: mirror it again"
            )
        self.client = httpx.Client(base_url=url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def size(self) -> int:
        """The board's current size as its head says (unverified: only a hint of when to :meth:`refresh`)."""
        return int(get_json(self.client, "/api/board/head")["tree_size"])

    def refresh(self) -> int:
        """Take the entries the board added since the last head, checked as above; returns how many."""
        # the witnesses' cosignatures are the mirror's check, at the end
        new, _cosignatures = split_served_head(get_json(self.client, "/api/board/head"))
        if new.log_id != log_id_for(self.key):
            raise TreeHeadError("the head's log_id is not the board key's")
        check_extends(self.client, self.key, self.head, new)
        frontier = self.frontier.copy()
        fresh: list[ev.Event] = []
        for _index, raw, event in served_entries(self.client, len(self.events), new.tree_size):
            frontier.append(leaf_hash(raw))
            fresh.append(event)
        if frontier.root() != new.root:
            raise BoardClientError(
                f"the entries served do not hash to the root the board signed for size {new.tree_size}"
            )
        self.events += fresh
        self.frontier, self.head = frontier, new
        return len(fresh)
