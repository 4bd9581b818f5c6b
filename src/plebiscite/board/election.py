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
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from plebiscite.ballot.check import check_ballot
from plebiscite.ballot.model import BallotError
from plebiscite.board.storage import Board
from plebiscite.conduct import Conduct
from plebiscite.merkle.compact import MerkleTree
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.merkle.tree import leaf_hash
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

    def __init__(self, board: Board, on_append: Callable[[int, bytes], None] | None = None) -> None:
        self.board = board
        self.last_index = -1
        self.on_append = on_append

    def append(self, event: ev.Event) -> None:
        result = self.board.append(event.type, event.raw, None)
        self.last_index = result.index
        if self.on_append is not None:
            self.on_append(result.index, result.leaf_hash)


class HeadSigner:
    """Signs tree heads in the background, only while somebody waits for one that covers a new entry.

    A signature with its database write costs a few milliseconds of CPU; signing one per ballot would dominate
    the service. The signer waits ``linger`` seconds after the first request so that every ballot appended
    meanwhile is covered by the same head, then signs and wakes all waiters it covers.
    """

    def __init__(self, board: Board, linger: float = 0.02) -> None:
        self.board = board
        self.linger = linger
        self._cond = threading.Condition()
        self._latest = board.latest_head()
        self._wanted = -1
        self._error: Exception | None = None
        self._stopped = False
        self._work = threading.Event()
        self._thread = threading.Thread(target=self._run, name="head-signer", daemon=True)
        self._thread.start()

    def _covered(self) -> int:
        return self._latest.tree_size if self._latest is not None else 0

    def covering(self, index: int, timeout: float = 30.0) -> SignedTreeHead:
        """A signed head whose tree contains the entry at ``index`` (waits for the next signature if needed)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._covered() <= index:
                if self._error is not None:
                    raise self._error
                if self._stopped or time.monotonic() > deadline:
                    raise TimeoutError("no signed tree head covers the entry yet")
                if index > self._wanted or not self._cond.wait(0.5):
                    # Wake the signer (only it; waiters are woken by a new head) when we raise the bar, and again
                    # after a quiet half second as insurance against a lost wake-up.
                    self._wanted = max(self._wanted, index)
                    self._work.set()
            assert self._latest is not None
            return self._latest

    def _run(self) -> None:
        while True:
            self._work.wait()
            with self._cond:
                self._work.clear()
                if self._stopped:
                    return
                if self._wanted < self._covered():
                    continue
            time.sleep(self.linger)
            try:
                head = self.board.sign_head()
            except Exception as exc:  # handed to the waiters, who answer 503; the next request retries
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                time.sleep(0.1)
                with self._cond:
                    self._error = None
                continue
            with self._cond:
                self._latest = head
                self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._work.set()
        self._thread.join(timeout=5)


class MemoryTree:
    """The board's Merkle tree in memory, so receipts need no database reads for their proofs.

    Appends complete out of order under concurrency; leaves wait in ``_pending`` until every earlier index has
    arrived. When another process appended to the same database, this tree lags and the caller falls back to the
    database.
    """

    def __init__(self, leaf_hashes: list[bytes]) -> None:
        self._tree = MerkleTree(leaf_hashes)
        self._pending: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def add(self, index: int, leaf_hash_: bytes) -> None:
        with self._lock:
            if index < self._tree.size:
                return
            self._pending[index] = leaf_hash_
            while self._tree.size in self._pending:
                self._tree.append(self._pending.pop(self._tree.size))

    def inclusion_proof(self, index: int, size: int) -> list[bytes] | None:
        with self._lock:
            if size > self._tree.size:
                return None
            return self._tree.inclusion_proof(index, size)


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
        self.tree = MemoryTree([leaf_hash(e.raw) for e in events])
        self.sink = BoardSink(board, self.tree.add)
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
        self.heads.stop()
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
            self.tree.add(result.index, result.leaf_hash)
            with self._state_lock:
                self.state.ballots.setdefault(code, result.index)
                self.state.size = max(self.state.size, result.index + 1)
        return self.receipt(code, result.index, event.raw)

    def receipt(self, code: str, index: int, leaf: bytes) -> Receipt:
        """The receipt for the entry ``leaf`` at ``index`` (a ballot with the same code has the same bytes)."""
        head = self.heads.covering(index)
        proof = self.tree.inclusion_proof(index, head.tree_size)
        if proof is None:  # entries appended by another process: ask the database
            proof = self.board.inclusion_proof(index, head.tree_size)
        return Receipt(code, index, leaf, head, proof, self.board_key)

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
