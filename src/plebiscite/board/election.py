"""An election whose record lives on the bulletin board: the organiser's operations, safe under concurrency.

The same :class:`~plebiscite.conduct.Conduct` operations as the command line, with the board as the sink. Casting
is the hot path and runs concurrently: the expensive ballot check happens outside any lock (in worker processes
when configured, :mod:`plebiscite.board.checkers`), then checked ballots are committed in batches
(:mod:`plebiscite.board.casting`) while a *shared* lock is held. Phase changes (close, tally, result) and
challenges take the *exclusive* lock, so no ballot can land after the close event and a ballot cannot be cast and
challenged at the same time.

The election's mode (the manifest's ``mode``) decides what a ballot is: a standard ``ballot`` or a
coercion-resistant ``cr-ballot`` (docs/coercion.md §4), checked by its own function (:func:`.checkers.check_value`)
and committed the same way, with one more rule for the latter: a ``cr-ballot`` whose credential ciphertext ``C1``
is already on the board with other content is a replay and is refused, never answered with the other ballot's
receipt. Neither a standard tally nor a Benaloh challenge has a place in that mode.

Receipts carry a signed tree head that covers the ballot. Signing a head per ballot would cost a signature and a
database write each; instead each batch of ballots is written in one transaction together with one head covering
all of them (``Board.append_signed``), so a receipt needs no wait for a separate signer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool

from plebiscite.ballot.model import BallotError
from plebiscite.board import cr_tally
from plebiscite.board.casting import CommitQueue
from plebiscite.board.checkers import Checked, CheckPool, check_cast, check_value
from plebiscite.board.errors import BoardError
from plebiscite.board.records import NewEntry
from plebiscite.board.storage import Board
from plebiscite.coercion import events as cev  # registers the mode's event types wherever a board runs
from plebiscite.coercion.ballot import REPLAY
from plebiscite.conduct import Conduct
from plebiscite.merkle.compact import MerkleTree
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState, PhaseError
from plebiscite.record.store import RecordError, parse_event


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
    """The latest signed tree head, and signatures on demand for entries no head covers yet.

    Ballots need no signature of their own here: each batch of ballots is committed together with a head that
    covers it (:meth:`BoardElection.commit_ballots`), which is handed to :meth:`note`. Only other events (phase
    changes, challenges) and readers asking for the head of a board that grew meanwhile make :meth:`covering`
    sign; a head for a size already signed is never signed twice (``Board.sign_head``).
    """

    def __init__(self, board: Board) -> None:
        self.board = board
        self._latest = board.latest_head()
        self._lock = threading.Lock()  # guards _latest
        self._signing = threading.Lock()  # one signature at a time

    def note(self, head: SignedTreeHead) -> None:
        """Remember ``head`` if it is newer than the latest one known."""
        with self._lock:
            if self._latest is None or head.tree_size > self._latest.tree_size:
                self._latest = head

    def _covering(self, index: int) -> SignedTreeHead | None:
        with self._lock:
            latest = self._latest
        return latest if latest is not None and latest.tree_size > index else None

    def covering(self, index: int) -> SignedTreeHead:
        """A signed head whose tree contains the entry at ``index`` (signed now if none does yet)."""
        head = self._covering(index)
        if head is not None:
            return head
        with self._signing:
            head = self._covering(index)
            if head is None:
                self.note(self.board.sign_head())
                head = self._covering(index)
        if head is None:
            raise BoardError(f"no signed head covers entry {index}: it is not on the board")
        return head


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

    def to_bytes(self, head_json: bytes) -> bytes:
        """:meth:`to_json` as compact JSON, given the head's JSON: every value is hex or an integer, so plain
        formatting is exact (and several times cheaper than ``json.dumps`` of the dict)."""
        proof = ",".join(f'"{h.hex()}"' for h in self.inclusion_proof)
        return (
            f'{{"format":"plebiscite-receipt/1","tracking_code":"{self.tracking_code}","index":{self.index},'
            f'"leaf":"{self.leaf.hex()}","tree_head":'.encode()
            + head_json
            + f',"inclusion_proof":[{proof}],"board_key":"{self.board_key}"}}'.encode()
        )


class BoardElection:
    """The election state folded from the board, and the operations that append to it."""

    def __init__(self, board: Board, check_workers: int = 0, commit_interval: float = 0.02) -> None:
        """``check_workers``: processes checking ballots for the HTTP service (0: in the server's threads);
        ``commit_interval``: the least time between two commits of ballots under load (:mod:`.casting`)."""
        self.board = board
        events = self._load(board)
        self.state = ElectionState.from_events(events)
        self.tree = MemoryTree([leaf_hash(e.raw) for e in events])
        self.sink = BoardSink(board, self.tree.add)
        self.conduct = Conduct(self.state, self.sink)
        self.lock = RWLock()
        self._state_lock = threading.Lock()
        self.heads = HeadSigner(board)
        self.check_workers = check_workers
        self._pool: CheckPool | None = None
        self._commit_lock = threading.Lock()  # a replay decision and the append it allows are one step
        self.commits: CommitQueue[Checked] = CommitQueue(self._commit_for_http, interval=commit_interval)
        manifest = self.state.manifest
        self.coercion_resistant = manifest is not None and manifest.mode == cev.MODE
        self.ballot_type = cev.BALLOT if self.coercion_resistant else ev.BALLOT
        self.cr_work = (
            cr_tally.TallyWork(lambda start: self._load(board, start)) if self.coercion_resistant else None
        )  # the coercion-resistant tally's record, walk and check processes, kept between trustee posts

    @staticmethod
    def _load(board: Board, start: int = 0) -> list[ev.Event]:
        out: list[ev.Event] = []
        size = board.size()
        while start + len(out) < size:
            for entry in board.entries(start + len(out), 1000):
                out.append(parse_event(entry.index, entry.leaf, f"board entry {entry.index}"))
        return out

    def close(self) -> None:
        self.commits.close()
        if self.cr_work is not None:
            self.cr_work.close()
        if self._pool is not None:
            self._pool.close()
        self.board.close()

    @property
    def board_key(self) -> str:
        key = self.board.public_key
        if key is None:
            raise RecordError("the board has no signing key")
        return key.encode().hex()

    # --- voters ----------------------------------------------------------------------------------------------
    def cast(self, value: Any) -> Receipt:
        """Check, append (idempotently) and return the receipt: the in-process path (the HTTP one is
        :meth:`cast_body`); both commit through :meth:`commit_ballots`."""
        self.state.require("voting")
        result = self.commit_ballots([check_value(value, self.conduct.context)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def cast_body(self, body: bytes) -> bytes:
        """Check the raw request body (in a worker process if configured), commit it with the ballots around
        it, and return the receipt's JSON bytes once the ballot is durable."""
        self.state.require("voting")  # cheap early refusal; checked again under the lock when committing
        ctx = self.conduct.context
        if self.check_workers > 0:
            if self._pool is None:
                self._pool = CheckPool(ctx, self.check_workers)
            checked = await self._pool.check(body)
        else:
            checked = await run_in_threadpool(check_cast, body, ctx)
        return await self.commits.submit(checked)

    def commit_ballots(self, items: Sequence[Checked]) -> list[Receipt | Exception]:
        """Append checked ballots in one transaction with a head covering them.

        One result per item: its receipt, or why it was refused (election not open, ballot challenged, credential
        ciphertext replayed). A ballot already on the board (same tracking code, hence same bytes) gets its
        existing index back.
        """
        with self._commit_lock, self.lock.shared():
            if self.state.phase != "voting":
                try:
                    self.state.require("voting")
                except PhaseError as exc:
                    return [exc] * len(items)
            refusals = self._refusals(items)
            new = [item for item, refusal in zip(items, refusals, strict=True) if refusal is None]
            appended, head = (
                self.board.append_signed(
                    [NewEntry(self.ballot_type, c.leaf, f"ballot:{c.tracking_code}") for c in new]
                )
                if new
                else ([], None)
            )
            where = {}
            with self._state_lock:
                for item, result in zip(new, appended, strict=True):
                    self.tree.add(result.index, result.leaf_hash)
                    self.state.ballots.setdefault(item.tracking_code, result.index)
                    if item.credential:
                        self.state.cast_credentials.setdefault(item.credential, item.tracking_code)
                    self.state.size = max(self.state.size, result.index + 1)
                    where[item.tracking_code] = result.index
        if head is not None:
            self.heads.note(head)
        results: list[Receipt | Exception] = []
        for item, refusal in zip(items, refusals, strict=True):
            if refusal is not None:
                results.append(refusal)
                continue
            assert head is not None
            results.append(self._receipt(item.tracking_code, where[item.tracking_code], item.leaf, head))
        return results

    def _refusals(self, items: Sequence[Checked]) -> list[Exception | None]:
        """Why each checked ballot cannot be cast now, or None: a challenged ballot; a ``cr-ballot`` whose ``C1``
        is on the board, or earlier in this batch, with other content (a replay; the same ballot again is not one).
        Called with ``_commit_lock`` held, so no other commit can claim a ``C1`` in between."""
        claimed: dict[bytes, str] = {}  # C1 → tracking code, within this batch
        out: list[Exception | None] = []
        for item in items:
            if item.tracking_code in self.state.challenged:
                out.append(BallotError("ballot: this ballot was challenged (opened) and can never be cast"))
            elif item.credential and item.tracking_code != (
                self.state.cast_credentials.get(item.credential)
                or claimed.setdefault(item.credential, item.tracking_code)
            ):
                out.append(BallotError(REPLAY))
            else:
                out.append(None)
        return out

    def _commit_for_http(self, items: Sequence[Checked]) -> list[bytes | Exception]:
        heads: dict[int, bytes] = {}  # the batch's receipts share one head: serialise it once
        out: list[bytes | Exception] = []
        for r in self.commit_ballots(items):
            if isinstance(r, Exception):
                out.append(r)
                continue
            head = heads.get(r.head.tree_size)
            if head is None:
                head = heads[r.head.tree_size] = json.dumps(
                    r.head.model_dump(), separators=(",", ":")
                ).encode()
            out.append(r.to_bytes(head))
        return out

    def _receipt(self, code: str, index: int, leaf: bytes, head: SignedTreeHead) -> Receipt:
        proof = self.tree.inclusion_proof(index, head.tree_size)
        if proof is None:  # entries appended by another process: ask the database
            proof = self.board.inclusion_proof(index, head.tree_size)
        return Receipt(code, index, leaf, head, proof, self.board_key)

    def receipt(self, code: str, index: int, leaf: bytes) -> Receipt:
        """The receipt for the entry ``leaf`` at ``index`` (a ballot with the same code has the same bytes)."""
        return self._receipt(code, index, leaf, self.heads.covering(index))

    def challenge(self, ballot: Any, opening: Any) -> tuple[str, list[list[int]]]:
        if self.coercion_resistant:
            raise PhaseError(
                "challenges: a coercion-resistant election has no Benaloh challenges (its record holds no "
                "challenge events): cast the ballot, or discard it and encrypt another"
            )
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

        if self.coercion_resistant:  # a standard tally of cr-ballots would count every fake credential
            raise PhaseError(
                "tally: the coercion-resistant tally is run by the trustees: POST /api/trustee/{step} "
                "(docs/coercion.md §5.7); the board posts no standard tally for it"
            )

        def run(conduct: Conduct) -> dict[str, Any]:
            events = self._load(self.board)
            return conduct.tally(cast_ballots(events, conduct.context))

        return self.admin(run)

    def events(self) -> list[ev.Event]:
        return self.cr_work.events() if self.cr_work is not None else self._load(self.board)


__all__ = ["BoardElection", "PhaseError", "Receipt"]
