"""An election whose record lives on the bulletin board: the organiser's operations, safe under concurrency.

The same :class:`~plebiscite.conduct.Conduct` operations as the command line, with the board as the sink. Casting
is the hot path and runs concurrently: the expensive ballot check happens outside any lock (in worker processes
when configured), then a *shared* lock is held only while the ballot is appended. Phase changes (close, tally,
result) and challenges take the *exclusive* lock, so no ballot can land after the close event and a ballot cannot
be cast and challenged at the same time.

Receipts carry a signed tree head that covers the ballot. Signing a head per ballot would cost a signature and a
database write each; instead :class:`HeadSigner` signs when someone is waiting and a newer head is needed, so one
signature serves every ballot appended meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from plebiscite.ballot.check import check_ballot
from plebiscite.ballot.model import BallotError
from plebiscite.board.storage import Board
from plebiscite.conduct import Conduct
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState, PhaseError
from plebiscite.record.store import RecordError, parse_event
from plebiscite.setup.election import ElectionContext


class RWLock:
    """Many readers (casts) or one writer (phase changes, challenges)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class BoardSink:
    """Appends events to the board, deduplicating ballots and challenges by tracking code."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.last_index = -1

    def append(self, event: ev.Event) -> None:
        result = self.board.append(event.type, event.raw, None)
        self.last_index = result.index


class HeadSigner:
    """Signs a new tree head only when a waiter needs one bigger than the latest."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self._lock = threading.Lock()
        self._latest = board.latest_head()

    def covering(self, index: int) -> SignedTreeHead:
        """A signed head whose tree contains the entry at ``index``."""
        latest = self._latest
        if latest is not None and latest.tree_size > index:
            return latest
        with self._lock:  # one signer at a time; later arrivals usually find the head already fresh
            latest = self._latest
            if latest is None or latest.tree_size <= index:
                latest = self.board.sign_head()
                self._latest = latest
            return latest


_WORKER_CTX: ElectionContext | None = None


def _init_worker(ctx: ElectionContext) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _check_in_worker(value: object) -> tuple[str, dict[str, Any] | None, str | None]:
    """Check a ballot in a worker process; returns (tracking code, normalised JSON, error)."""
    assert _WORKER_CTX is not None
    try:
        ballot = check_ballot(value, _WORKER_CTX)
    except BallotError as exc:
        return "", None, str(exc)
    return ballot.tracking_code(), ballot.to_json(), None


@dataclass
class Receipt:
    tracking_code: str
    index: int
    leaf: bytes
    head: SignedTreeHead
    inclusion_proof: list[bytes]
    board_key: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "plebiscite-receipt/1",
            "tracking_code": self.tracking_code,
            "index": self.index,
            "leaf": self.leaf.hex(),
            "tree_head": self.head.model_dump(),
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
            "board_key": self.board_key,
        }


class BoardElection:
    """The election state folded from the board, and the operations that append to it."""

    def __init__(self, board: Board, check_workers: int = 0) -> None:
        self.board = board
        events = self._load(board)
        self.state = ElectionState.from_events(events)
        self.sink = BoardSink(board)
        self.conduct = Conduct(self.state, self.sink)
        self.lock = RWLock()
        self._state_lock = threading.Lock()
        self.heads = HeadSigner(board)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_workers = check_workers
        self._codes_at: dict[str, int] = {}

    @staticmethod
    def _load(board: Board) -> list[ev.Event]:
        out: list[ev.Event] = []
        size = board.size()
        while len(out) < size:
            for entry in board.entries(len(out), 1000):
                out.append(parse_event(entry.index, entry.leaf, f"board entry {entry.index}"))
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self.board.close()

    @property
    def board_key(self) -> str:
        key = self.board.public_key
        if key is None:
            raise RecordError("the board has no signing key")
        return key.encode().hex()

    # --- voters ----------------------------------------------------------------------------------------------
    def _check(self, value: object) -> tuple[str, dict[str, Any]]:
        """Full ballot check; returns the tracking code and the ballot in normal form (lower-case hex)."""
        ctx = self.conduct.context
        if self._pool_workers > 0:
            if self._pool is None:
                with self._state_lock:
                    if self._pool is None:
                        self._pool = ProcessPoolExecutor(
                            self._pool_workers, initializer=_init_worker, initargs=(ctx,)
                        )
            code, normal, error = self._pool.submit(_check_in_worker, value).result()
            if error or normal is None:
                raise BallotError(error or "ballot: check failed")
            return code, normal
        ballot = check_ballot(value, ctx)
        return ballot.tracking_code(), ballot.to_json()

    def cast(self, value: Any) -> Receipt:
        """Check, append (idempotently) and return the receipt."""
        self.state.require("voting")
        code, normal = self._check(value)
        with self.lock.shared():
            self.state.require("voting")
            if code in self.state.challenged:
                raise BallotError("ballot: this ballot was challenged (opened) and can never be cast")
            event = ev.make_event(0, ev.BALLOT, normal)
            result = self.board.append(ev.BALLOT, event.raw, f"ballot:{code}")
            with self._state_lock:
                self.state.ballots.setdefault(code, result.index)
                self.state.size = max(self.state.size, result.index + 1)
        return self.receipt(code, result.index)

    def receipt(self, code: str, index: int) -> Receipt:
        head = self.heads.covering(index)
        entry = self.board.entry(index)
        proof = self.board.inclusion_proof(index, head.tree_size)
        return Receipt(code, index, entry.leaf, head, proof, self.board_key)

    def challenge(self, ballot: Any, opening: Any) -> tuple[str, list[list[int]]]:
        with self.lock.exclusive():
            self._sync_size()
            return self.conduct.challenge(ballot, opening)

    # --- administrator and trustees -----------------------------------------------------------------------------
    def _sync_size(self) -> None:
        self.state.size = self.board.size()

    def admin(self, operation: Callable[[Conduct], Any]) -> Any:
        with self.lock.exclusive():
            self._sync_size()
            return operation(self.conduct)

    def tally(self) -> dict[str, Any]:
        from plebiscite.conduct import cast_ballots

        def run(conduct: Conduct) -> dict[str, Any]:
            events = self._load(self.board)
            return conduct.tally(cast_ballots(events, conduct.context))

        return self.admin(run)

    def events(self) -> list[ev.Event]:
        return self._load(self.board)


__all__ = ["BoardElection", "PhaseError", "Receipt"]
