"""Board behaviour on every backend: appends, reads, dedup, proofs, heads across reopen, argument errors."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import nacl.signing
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from plebiscite.board import (
    Board,
    BoardConfigError,
    EntryNotFoundError,
    InvalidArgumentError,
    InvalidEntryError,
    KeyMismatchError,
    NewEntry,
    ReadOnlyBoardError,
    StorageError,
    TreeSizeError,
    storage,
)
from plebiscite.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_heads_consistent,
    verify_inclusion,
    verify_tree_head,
)

from .conftest import KEY

OpenBoard = Callable[..., Board]


def fill(board: Board, n: int, prefix: str = "e") -> list[bytes]:
    leaves = [f"{prefix}{i}".encode() for i in range(n)]
    board.append_many(("ballot", leaf) for leaf in leaves)
    return leaves


def test_append_and_read_back(board: Board) -> None:
    assert board.size() == 0
    assert board.root(0) == EMPTY_ROOT
    first = board.append("ballot", b"alpha", "voter-1")
    second = board.append("trustee.share", b"\x00\xff beta", None)
    assert (first.index, first.existing, first.leaf_hash) == (0, False, leaf_hash(b"alpha"))
    assert (second.index, second.existing) == (1, False)
    assert board.size() == 2
    entry = board.entry(1)
    assert (entry.index, entry.kind, entry.leaf, entry.dedup_key) == (
        1,
        "trustee.share",
        b"\x00\xff beta",
        None,
    )
    assert entry.leaf_hash == leaf_hash(b"\x00\xff beta")
    assert entry.created_at > 1_600_000_000_000
    assert board.find("voter-1") == board.entry(0)
    assert board.find("nobody") is None
    with pytest.raises(EntryNotFoundError, match="no entry at index 2"):
        board.entry(2)


def test_paging_returns_every_entry_once_in_order(board: Board) -> None:
    leaves = fill(board, 250)
    seen = []
    start = 0
    while page := board.entries(start, 64):
        seen.extend(page)
        start = page[-1].index + 1
    assert [e.leaf for e in seen] == leaves
    assert [e.index for e in seen] == list(range(250))
    assert board.entries(250, 10) == []
    for bad in (0, 1001, True):
        with pytest.raises(InvalidArgumentError, match="limit"):
            board.entries(0, bad)


def test_dedup_key_makes_appends_idempotent(board: Board) -> None:
    fill(board, 3)
    first = board.append("ballot", b"my ballot", "cred-7")
    again = board.append("ballot", b"my ballot", "cred-7")
    assert again == type(first)(first.index, first.leaf_hash, True)
    conflicting = board.append("ballot", b"another ballot", "cred-7")
    assert conflicting.existing and conflicting.index == first.index
    assert conflicting.leaf_hash != leaf_hash(b"another ballot")  # the caller can tell a conflict
    results = board.append_many(
        [NewEntry("ballot", b"x", "k1"), ("ballot", b"y", "k1"), ("ballot", b"z", "cred-7"), ("ballot", b"w")]
    )
    assert [(r.index, r.existing) for r in results] == [(4, False), (4, True), (3, True), (5, False)]
    assert board.size() == 6


def test_bad_entries_are_refused_before_anything_is_written(board: Board) -> None:
    cases = [
        (("", b"x"), "kind"),
        (("has space", b"x"), "kind"),
        (("k" * 65, b"x"), "limit is 64"),
        (("ballot", "text"), "leaf must be bytes"),
        (("ballot", b"x", ""), "non-empty"),
        (("ballot", b"x", "a\x00b"), "NUL"),
        (("ballot", b"x", "k" * 257), "limit is 256"),
        (("ballot", b"x", "\udc80"), "UTF-8"),
    ]
    for args, message in cases:
        with pytest.raises(InvalidEntryError, match=message):
            board.append(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidEntryError):
        board.append_many([("ballot", b"fine"), ("bad kind", b"x")])
    assert board.size() == 0
    assert board.append("ballot", bytearray(b"ok")).index == 0


def test_proofs_from_storage_verify_with_the_pure_functions(board: Board) -> None:
    leaves = fill(board, 70)
    reference = MerkleTree(leaf_hash(leaf) for leaf in leaves)
    for size in (1, 2, 5, 32, 33, 64, 70):
        root = board.root(size)
        assert root == reference.root(size) == root_of(leaf_hash(x) for x in leaves[:size])
        for index in range(size):
            proof = board.inclusion_proof(index, size)
            assert proof == reference.inclusion_proof(index, size)
            verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
        for first in range(size + 1):
            proof = board.consistency_proof(first, size)
            verify_consistency(first, size, reference.root(first), root, proof)
    with pytest.raises(TreeSizeError, match="beyond the log"):
        board.inclusion_proof(0, 71)
    with pytest.raises(TreeSizeError, match="not inside"):
        board.inclusion_proof(70, 70)
    with pytest.raises(TreeSizeError, match="larger than"):
        board.consistency_proof(9, 8)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        board.root(-1)


def test_heads_persist_across_reopen_and_stay_consistent(open_board: OpenBoard) -> None:
    clock = iter([1_000, 2_000, 500, 400, 300])  # the wall clock goes backwards after a restart
    board = open_board(clock=lambda: next(clock))
    assert board.latest_head() is None and board.heads() == []
    fill(board, 5)  # created_at uses the clock once per transaction
    first = board.sign_head()
    assert board.sign_head() == first  # nothing new: the same head, not a second one
    fill(board, 6, "f")
    second = board.sign_head()
    board.close()

    reopened = open_board(clock=lambda: 100)
    assert reopened.heads() == [first, second]
    assert reopened.head_at(5) == first and reopened.head_at(6) is None
    fill(reopened, 9, "g")
    third = reopened.sign_head()
    assert third.timestamp >= second.timestamp  # monotonic even though the clock said 100
    assert reopened.latest_head() == third
    assert reopened.heads(min_size=6, limit=1) == [second]
    for old in (first, second):
        verify_tree_head(old, KEY.verify_key)
        proof = reopened.consistency_proof(old.tree_size, third.tree_size)
        verify_heads_consistent(old, third, proof, KEY.verify_key)
    assert reopened.check_integrity() == []


def test_keys_are_bound_to_the_board(open_board: OpenBoard) -> None:
    open_board().append("ballot", b"x")
    with pytest.raises(KeyMismatchError, match="signs as log"):
        open_board(nacl.signing.SigningKey(b"\x01" * 32))
    reader = open_board(None)
    assert reader.log_id == open_board().log_id
    assert reader.append("ballot", b"readers may append").index == 1
    with pytest.raises(ReadOnlyBoardError):
        reader.sign_head()


def test_no_key_ever_means_no_heads(open_board: OpenBoard) -> None:
    board = open_board(None)
    assert board.public_key is None and board.log_id is None
    with pytest.raises(ReadOnlyBoardError):
        board.sign_head()


def test_appends_and_proofs_need_logarithmic_work(board: Board) -> None:
    """A constant number of statements per append and per proof, whatever the size."""
    fill(board, 1000)
    statements: list[str] = []
    event.listen(board._db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    board.append("ballot", b"one more")
    assert len(statements) <= 5, statements  # begin/lock, max(idx), insert entry, insert nodes
    statements.clear()
    proof = board.inclusion_proof(517, 1001)
    assert len(proof) == 10
    assert len(statements) <= 4, statements  # begin, size, leaf hashes, interior nodes
    statements.clear()
    board.consistency_proof(300, 1001)
    assert len(statements) <= 4, statements


def test_unusable_urls_are_refused_clearly() -> None:
    for url, message in [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("mysql://u@h/db", "unsupported"),
        ("", "non-empty"),
        ("::::", "cannot parse"),
    ]:
        with pytest.raises(BoardConfigError, match=message):
            Board.open(url, KEY)


def test_sqlite_commits_are_durable_by_configuration(tmp_path: Path) -> None:
    """WAL + synchronous=FULL on every pooled connection: a returned append has been fsynced."""
    with Board.open(f"sqlite:///{tmp_path / 'durable.db'}", KEY) as board:
        board.append("ballot", b"x")
        with board._db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    raw = sqlite3.connect(tmp_path / "durable.db")  # another reader sees the committed entry
    assert raw.execute("SELECT count(*) FROM entries").fetchone() == (1,)
    raw.close()


def test_a_failed_transaction_leaves_no_trace(board: Board, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(board, 5)
    real = storage.stage_append

    def fail_after_writing(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)  # rows are inserted, then the disk "fails" before commit
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(storage, "stage_append", fail_after_writing)
    with pytest.raises(StorageError, match="disk I/O error"):
        board.append_many([("ballot", b"lost 1"), ("ballot", b"lost 2")])
    monkeypatch.setattr(storage, "stage_append", real)
    assert board.size() == 5
    assert board.append("ballot", b"next").index == 5
    assert board.check_integrity() == []


def test_appends_wait_for_a_foreign_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    with Board.open(f"sqlite:///{path}", KEY) as board:
        board.append("ballot", b"first")
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a while
        threading.Timer(0.3, holder.rollback).start()
        started = time.monotonic()
        assert board.append("ballot", b"second").index == 1
        assert time.monotonic() - started >= 0.25
        holder.close()
