"""A trustee's in-memory view of a growing board (board/follow.py): it takes only what the board added since its last
signed head, and refuses a board whose new entries do not hash to the root it signed or whose new head rewrites the
past (the checks ``mirror`` makes, without re-reading the whole copy each time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import nacl.signing
import pytest

from plebiscite.board.client import BoardClientError
from plebiscite.board.follow import Follower
from plebiscite.merkle import ForkDetected, leaf_hash
from plebiscite.merkle.compact import MerkleTree
from plebiscite.merkle.heads import sign_tree_head
from plebiscite.record import events as ev
from plebiscite.record import store

KEY = nacl.signing.SigningKey(bytes(range(32)))


def _events(n: int, tag: str = "") -> list[ev.Event]:
    return [ev.make_event(i, ev.CLOSE, {"ballots": i, "note": tag}) for i in range(n)]


class FakeBoard:
    """Serves ``events`` with a head signed over them (or over ``signed`` when given: a lying board)."""

    def __init__(self, events: list[ev.Event]) -> None:
        self.events = events
        self.signed: list[ev.Event] | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        signed = self.signed if self.signed is not None else self.events
        tree = MerkleTree([leaf_hash(e.raw) for e in signed])
        q = request.url.params
        body: Any
        if request.url.path == "/api/board/head":
            body = sign_tree_head(KEY, tree.size, tree.root(), 1).model_dump()
        elif request.url.path == "/api/board/consistency":
            body = {"proof": [h.hex() for h in tree.consistency_proof(int(q["first"]), int(q["second"]))]}
        else:
            start, limit = int(q["start"]), int(q["limit"])
            body = [
                {"index": e.index, "type": e.type, "leaf": e.raw.decode()}
                for e in self.events[start : start + limit]
            ]
        return httpx.Response(200, json=body)


def _follower(tmp_path: Path, board: FakeBoard, known: int) -> Follower:
    """A follower whose mirror holds the first ``known`` events and the board's head over them."""
    tree = MerkleTree([leaf_hash(e.raw) for e in board.events[:known]])
    store.create(tmp_path)
    (tmp_path / store.EVENTS_FILE).write_bytes(b"".join(e.raw + b"\n" for e in board.events[:known]))
    head = sign_tree_head(KEY, known, tree.root(), 1).model_dump()
    store.write_extras(tmp_path, [head], KEY.verify_key.encode().hex())
    return Follower(
        "http://board", tmp_path, board.events[:known], transport=httpx.MockTransport(board.handler)
    )


def test_takes_only_the_new_entries_checked_against_the_signed_root(tmp_path: Path) -> None:
    board = FakeBoard(_events(5))
    with _follower(tmp_path, board, 3) as follower:
        assert follower.refresh() == 2
        assert [e.raw for e in follower.events] == [e.raw for e in board.events]
        board.events = _events(1205)[:5] + _events(1205)[5:]  # more than one page of entries
        assert follower.refresh() == 1200 and len(follower.events) == 1205
        assert follower.refresh() == 0


def test_refuses_entries_that_do_not_hash_to_the_signed_root(tmp_path: Path) -> None:
    board = FakeBoard(_events(5))
    with _follower(tmp_path, board, 3) as follower:
        board.signed = list(board.events)
        board.events = [*board.events[:4], _events(5, "swapped")[4]]  # served ≠ signed
        with pytest.raises(BoardClientError, match="do not hash to the root"):
            follower.refresh()
        assert len(follower.events) == 3  # nothing taken


def test_refuses_a_board_that_rewrote_an_event_already_taken(tmp_path: Path) -> None:
    board = FakeBoard(_events(5))
    with _follower(tmp_path, board, 3) as follower:
        board.events = [
            *_events(5)[:1],
            _events(5, "rewritten")[1],
            *_events(5)[2:],
        ]  # signed anew, past changed
        with pytest.raises(ForkDetected):
            follower.refresh()
        assert len(follower.events) == 3
