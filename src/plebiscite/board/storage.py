"""The bulletin board's storage: an append-only RFC 9162 Merkle log with signed tree heads, in SQL.

Appends are O(log n): the frontier (compact range) of the tree is kept in memory, checked against the
database size inside every write transaction (rebuilt from stored nodes if another process appended), and
every interior node is stored the moment its subtree completes.  Roots and proofs then need O(log n) node
reads, fetched in at most two queries.  There is deliberately no method that updates or deletes an entry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

import nacl.signing
from sqlalchemy import Connection, select

from plebiscite.board import cosign_store
from plebiscite.board.db import Database, entries, tree_heads
from plebiscite.board.errors import (
    BoardCorruptError,
    EntryNotFoundError,
    InvalidArgumentError,
    ReadOnlyBoardError,
    TreeSizeError,
)
from plebiscite.board.groupcommit import GroupCommitter
from plebiscite.board.integrity import check_integrity
from plebiscite.board.queries import (
    ENTRY_COLUMNS,
    HEAD_COLUMNS,
    DbNodes,
    bind_key,
    entry_from_row,
    head_from_row,
    insert_signed,
    log_size,
    now_ms,
    sign_next_head,
    stage_append,
)
from plebiscite.board.records import AppendResult, Entry, IntegrityProblem, NewEntry, RestoreChunk
from plebiscite.merkle import (
    CompactRange,
    SignedTreeHead,
    consistency_proof,
    frontier_ids,
    inclusion_proof,
    leaf_hash,
    log_id_for,
    root_at,
)
from plebiscite.merkle.cosign import Cosignature

__all__ = ["MAX_PAGE", "Board"]

MAX_PAGE = 1000
MAX_SIZE = 2**63 - 1
_T = TypeVar("_T")
EntryLike = NewEntry | tuple[str, bytes] | tuple[str, bytes, str | None]


def _check_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidArgumentError(f"{what} must be a non-negative int, got {value!r}")
    return value


class Board:
    """An append-only Merkle log of typed entries with signed tree heads, safe across threads and processes.

    Open with :meth:`open`; close with :meth:`close` or use as a context manager.
    """

    def __init__(
        self,
        db: Database,
        signing_key: nacl.signing.SigningKey | None,
        public_key: nacl.signing.VerifyKey | None,
        *,
        clock: Callable[[], int] = now_ms,
        max_batch: int = 1024,
    ) -> None:
        """Use :meth:`open`; this constructor assumes the schema and key checks are done."""
        self._db = db
        self._signing_key = signing_key
        self._public_key = public_key
        self._clock = clock
        self._frontier = CompactRange()
        self._frontier_lock = threading.Lock()
        self._committer: GroupCommitter[NewEntry, AppendResult] = GroupCommitter(
            self._write_batch, max_batch=max_batch
        )

    @classmethod
    def open(
        cls,
        url: str,
        signing_key: nacl.signing.SigningKey | None = None,
        *,
        clock: Callable[[], int] = now_ms,
        max_batch: int = 1024,
    ) -> Board:
        """Open (creating if needed) the board at ``url`` (``sqlite:///file.db`` or ``postgresql://...``).

        The first key ever given is recorded; opening later with another key raises
        :class:`~plebiscite.board.errors.KeyMismatchError`, so one log never carries heads from two keys.
        Without a key the board can append and serve proofs but not sign.  ``clock`` returns ms since the
        epoch (injectable for tests); ``max_batch`` caps entries per group-commit transaction.
        """
        if signing_key is not None and not isinstance(signing_key, nacl.signing.SigningKey):
            raise TypeError(f"signing_key must be a nacl SigningKey, not {type(signing_key).__name__}")
        db = Database(url)
        try:
            db.create_schema()

            def bind() -> nacl.signing.VerifyKey | None:
                with db.write("meta") as conn:
                    return bind_key(conn, signing_key)

            public_key = db.retry(bind, what="reading board metadata")
        except BaseException:
            db.dispose()
            raise
        return cls(db, signing_key, public_key, clock=clock, max_batch=max_batch)

    def close(self) -> None:
        """Release database connections."""
        self._db.dispose()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.backend

    @property
    def public_key(self) -> nacl.signing.VerifyKey | None:
        """The key that verifies this board's heads (None until a signing key was first given)."""
        return self._public_key

    @property
    def log_id(self) -> str | None:
        """Hex SHA-256 of the public key, as carried in every signed head."""
        return None if self._public_key is None else log_id_for(self._public_key)

    # ------------------------------------------------------------------ appending

    def append(self, kind: str, leaf: bytes, dedup_key: str | None = None) -> AppendResult:
        """Append one entry durably and return where it is; idempotent on ``dedup_key``.

        Returns only after the transaction holding the entry committed (fsynced on SQLite).  Concurrent
        callers in this process share transactions (group commit), so throughput grows with concurrency.
        """
        return self._committer.submit([NewEntry(kind, leaf, dedup_key)])[0]

    def append_many(self, items: Iterable[EntryLike]) -> list[AppendResult]:
        """Append several entries atomically (one transaction), at consecutive indexes, in order.

        Items are :class:`NewEntry` or ``(kind, leaf[, dedup_key])`` tuples.  A dedup_key repeated inside
        the batch resolves to its first occurrence (``existing=True``).
        """
        batch = [item if isinstance(item, NewEntry) else NewEntry(*item) for item in items]
        return self._committer.submit(batch) if batch else []

    def _write_batch(self, batch: list[NewEntry]) -> list[AppendResult]:
        hashes = [leaf_hash(item.leaf) for item in batch]

        def attempt() -> list[AppendResult]:
            with self._db.write("entries") as conn:
                frontier = self._frontier_at(conn, log_size(conn))
                results, staged = stage_append(conn, frontier, batch, hashes, self._clock())
            with self._frontier_lock:  # adopted only once the commit succeeded
                if staged.size > self._frontier.size:
                    self._frontier = staged
            return results

        return self._db.retry(attempt, what=f"appending {len(batch)} entries")

    def append_signed(self, items: Iterable[EntryLike]) -> tuple[list[AppendResult], SignedTreeHead]:
        """Append entries atomically and sign a head covering them, in the same transaction (one fsync).

        What :meth:`append_many` then :meth:`sign_head` would do, with the same checks (the head is refused if it
        contradicts the latest stored one), but in one commit: a receipt's head is durable exactly when its
        entries are. The caller batches; this does not go through the group committer.
        """
        key = self._signing_key
        if key is None:
            raise ReadOnlyBoardError("this board was opened without a signing key")
        batch = [item if isinstance(item, NewEntry) else NewEntry(*item) for item in items]
        hashes = [leaf_hash(item.leaf) for item in batch]

        def attempt() -> tuple[list[AppendResult], SignedTreeHead]:
            with self._db.write("entries", "tree_heads") as conn:
                frontier = self._frontier_at(conn, log_size(conn))
                results, staged = stage_append(conn, frontier, batch, hashes, self._clock())
                head = sign_next_head(conn, key, self._clock, size=staged.size)
            with self._frontier_lock:
                if staged.size > self._frontier.size:
                    self._frontier = staged
            return results, head

        return self._db.retry(attempt, what=f"appending {len(batch)} entries with a signed head")

    def restore(self, chunks: Callable[[], Iterable[RestoreChunk]]) -> None:
        """Fill this empty board, in one transaction, with a copy of its own log, chunk by chunk as ``chunks()``
        yields them: ``board/restore.py`` checks each chunk before yielding it and raises at the first problem,
        which rolls all of it back (a retry on contention reads them again). This only refuses a board that is not
        empty (:class:`InvalidArgumentError`), so nothing is ever written beside an existing log."""

        def attempt() -> CompactRange:
            with self._db.write("entries", "tree_heads", "cosignatures") as conn:
                if log_size(conn) or conn.execute(select(tree_heads.c.tree_size).limit(1)).first():
                    raise InvalidArgumentError(
                        "restore: the board is not empty; a restore needs an empty database"
                    )
                frontier, now = CompactRange(), self._clock()
                for chunk in chunks():
                    _results, frontier = stage_append(conn, frontier, chunk.entries, chunk.hashes, now)
                    insert_signed(conn, chunk.heads, chunk.cosigned)
                return frontier

        staged = self._db.retry(attempt, what="restoring the board's log")
        with self._frontier_lock:
            if staged.size > self._frontier.size:
                self._frontier = staged

    def _frontier_at(self, conn: Connection, size: int) -> CompactRange:
        with self._frontier_lock:
            if self._frontier.size == size:
                return self._frontier
        ids = frontier_ids(size)  # first write, or another process appended: rebuild from stored nodes
        stored = DbNodes(conn).get_nodes(ids)
        return CompactRange(size, [stored[i] for i in ids])

    # ------------------------------------------------------------------ reading

    def _read(self, what: str, operation: Callable[[Connection], _T]) -> _T:
        def attempt() -> _T:
            with self._db.read() as conn:
                return operation(conn)

        return self._db.retry(attempt, what=what)

    def size(self) -> int:
        """Number of entries committed so far."""
        return self._read("reading the size", log_size)

    def entry(self, index: int) -> Entry:
        """The entry at ``index``; raises :class:`EntryNotFoundError` if there is none."""
        _check_int(index, "index")
        query = select(*ENTRY_COLUMNS).where(entries.c.idx == index)
        row = self._read("reading an entry", lambda conn: conn.execute(query).first())
        if row is None:
            raise EntryNotFoundError(f"no entry at index {index}")
        return entry_from_row(row)

    def entries(self, start: int = 0, limit: int = 100) -> list[Entry]:
        """Up to ``limit`` (1..1000) entries from index ``start`` on, in index order."""
        _check_int(start, "start")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
            raise InvalidArgumentError(f"limit must be an int in [1, {MAX_PAGE}], got {limit!r}")
        query = select(*ENTRY_COLUMNS).where(entries.c.idx >= start).order_by(entries.c.idx).limit(limit)
        rows = self._read("reading entries", lambda conn: conn.execute(query).all())
        return [entry_from_row(row) for row in rows]

    def find(self, dedup_key: str) -> Entry | None:
        """The entry appended with ``dedup_key``, or None."""
        if not isinstance(dedup_key, str):
            raise InvalidArgumentError(f"dedup_key must be a str, not {type(dedup_key).__name__}")
        query = select(*ENTRY_COLUMNS).where(entries.c.dedup_key == dedup_key)
        row = self._read("finding an entry", lambda conn: conn.execute(query).first())
        return None if row is None else entry_from_row(row)

    def _at_size(self, what: str, size: int, compute: Callable[[DbNodes], _T]) -> _T:
        def operation(conn: Connection) -> _T:
            current = log_size(conn)
            if size > current:
                raise TreeSizeError(f"size {size} is beyond the log, which has {current} entries")
            return compute(DbNodes(conn))

        return self._read(what, operation)

    def root(self, size: int) -> bytes:
        """MTH of the first ``size`` entries (O(log n) reads)."""
        _check_int(size, "size")
        return self._at_size("computing a root", size, lambda nodes: root_at(size, nodes))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) from stored nodes; check with ``plebiscite.merkle.verify_inclusion``."""
        _check_int(index, "index")
        _check_int(size, "size")
        if index >= size:
            raise TreeSizeError(f"index {index} is not inside a tree of size {size}")
        return self._at_size("building an inclusion proof", size, lambda n: inclusion_proof(index, size, n))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[second]); check with ``plebiscite.merkle.verify_consistency``."""
        _check_int(first, "first")
        _check_int(second, "second")
        if first > second:
            raise TreeSizeError(f"first size {first} is larger than second size {second}")
        return self._at_size(
            "building a consistency proof", second, lambda n: consistency_proof(first, second, n)
        )

    # ------------------------------------------------------------------ tree heads

    def sign_head(self) -> SignedTreeHead:
        """Sign and store a head for the current size; if one exists for this size already, return it.

        Before signing, the new root is checked against the latest stored head with a consistency proof
        built from the database: the board refuses (:class:`BoardCorruptError`) to sign a head that would
        contradict one it issued.  Timestamps never decrease as the size grows.
        """
        key = self._signing_key
        if key is None:
            raise ReadOnlyBoardError("this board was opened without a signing key")

        def attempt() -> SignedTreeHead:
            with self._db.write("tree_heads") as conn:
                return sign_next_head(conn, key, self._clock)

        return self._db.retry(attempt, what="signing a tree head")

    def _heads(self, what: str, query: object) -> list[SignedTreeHead]:
        rows = self._read(what, lambda conn: conn.execute(query).all())  # type: ignore[call-overload]
        if rows and self.log_id is None:
            raise BoardCorruptError("tree heads are stored but the board has no public key recorded")
        return [head_from_row(row, self.log_id or "") for row in rows]

    def heads(self, min_size: int = 0, limit: int | None = None) -> list[SignedTreeHead]:
        """Stored signed heads with ``tree_size >= min_size``, smallest first (all of them by default)."""
        _check_int(min_size, "min_size")
        query = (
            select(*HEAD_COLUMNS).where(tree_heads.c.tree_size >= min_size).order_by(tree_heads.c.tree_size)
        )
        if limit is not None:
            query = query.limit(_check_int(limit, "limit"))
        return self._heads("reading tree heads", query)

    def head_at(self, tree_size: int) -> SignedTreeHead | None:
        """The stored head for exactly ``tree_size``, if one was signed."""
        _check_int(tree_size, "tree_size")
        found = self._heads(
            "reading a tree head", select(*HEAD_COLUMNS).where(tree_heads.c.tree_size == tree_size)
        )
        return found[0] if found else None

    def latest_head(self) -> SignedTreeHead | None:
        """The largest stored head, or None if the board never signed."""
        query = select(*HEAD_COLUMNS).order_by(tree_heads.c.tree_size.desc()).limit(1)
        found = self._heads("reading the latest head", query)
        return found[0] if found else None

    # ------------------------------------------------------------------ witnesses' cosignatures

    def add_cosignature(self, tree_size: int, cosignature: Cosignature) -> bool:
        """Store a cosignature (verified by the caller) on the head of ``tree_size``; False if already stored."""
        return cosign_store.add(self._db, _check_int(tree_size, "tree_size"), cosignature)

    def cosignatures(
        self, sizes: Iterable[int] | None = None, max_size: int | None = None
    ) -> dict[int, list[Cosignature]]:
        """Stored cosignatures by head size: of the heads in ``sizes``, or of every head up to ``max_size``."""
        if sizes is not None:
            return cosign_store.for_sizes(self._db, [_check_int(s, "size") for s in sizes])
        return cosign_store.up_to(
            self._db, _check_int(max_size if max_size is not None else MAX_SIZE, "max_size")
        )

    def latest_witnessed_size(self, threshold: int) -> int | None:
        """The largest head size carrying at least ``threshold`` stored cosignatures, or None."""
        return cosign_store.latest_witnessed(self._db, threshold)

    # ------------------------------------------------------------------ audit

    def check_integrity(self) -> list[IntegrityProblem]:
        """Recompute everything from the stored leaves; return every inconsistency found (empty if none).

        Detects edited or deleted entries, wrong stored leaf hashes and interior nodes, and every stored head
        whose root or signature no longer matches.  See :mod:`plebiscite.board.integrity`.
        """
        return self._db.retry(lambda: check_integrity(self._db, self._public_key), what="checking integrity")
