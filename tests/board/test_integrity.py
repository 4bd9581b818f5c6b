"""Tampering with the database behind the board's back is caught by check_integrity (and proofs)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from plebiscite.board import Board, BoardCorruptError
from plebiscite.merkle import MerkleProofError, leaf_hash, verify_inclusion

OpenBoard = Callable[..., Board]


class RawDb:
    """Direct SQL on the board's database, as an attacker with database access would have it."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self.target = parsed.database if self.sqlite else url

    def execute(self, sql: str, params: tuple[object, ...] = (), *, bypass_guards: bool = True) -> None:
        """Run one statement, first removing the append-only triggers unless told not to."""
        if self.sqlite:
            conn = sqlite3.connect(str(self.target))
            try:
                if bypass_guards:
                    names = [
                        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
                    ]
                    for name in names:
                        conn.execute(f"DROP TRIGGER {name}")
                conn.execute(sql.replace("%s", "?"), params)
                conn.commit()
            finally:
                conn.close()
        else:
            with psycopg.connect(str(self.target)) as conn:
                if bypass_guards:
                    for table in ("entries", "nodes", "tree_heads"):
                        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # type: ignore[arg-type]
                conn.execute(sql, params)  # type: ignore[arg-type]


@pytest.fixture
def signed(open_board: OpenBoard, board_url: str) -> Iterator[tuple[Board, RawDb]]:
    """A board of 40 entries with heads at 16, 33 and 40."""
    board = open_board()
    for stop in (16, 33, 40):
        size = board.size()
        board.append_many(("ballot", f"entry {i}".encode()) for i in range(size, stop))
        board.sign_head()
    assert board.check_integrity() == []
    yield board, RawDb(board_url)


def codes(board: Board) -> set[tuple[str, int | None]]:
    return {(p.code, p.index) for p in board.check_integrity()}


def test_the_database_itself_refuses_updates_and_deletes(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    error = sqlite3.DatabaseError if raw.sqlite else psycopg.Error
    for sql in (
        "UPDATE entries SET leaf = %s WHERE idx = 3",
        "DELETE FROM entries WHERE idx = 39",
        "UPDATE nodes SET hash = %s WHERE level = 1",
        "DELETE FROM tree_heads",
    ):
        params = (b"evil",) if "%s" in sql else ()
        with pytest.raises(error, match="append-only"):
            raw.execute(sql, params, bypass_guards=False)
    assert board.check_integrity() == []


def test_edited_leaf_is_detected(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    raw.execute("UPDATE entries SET leaf = %s WHERE idx = 20", (b"a different ballot",))
    found = codes(board)
    assert ("leaf_hash_mismatch", 20) in found
    assert {("head_root_mismatch", 33), ("head_root_mismatch", 40)} <= found
    assert ("head_root_mismatch", 16) not in found  # heads before the edit still hold


def test_consistent_rewrite_of_leaf_and_hash_is_still_detected(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    forged = b"a forged ballot"
    raw.execute("UPDATE entries SET leaf = %s, leaf_hash = %s WHERE idx = 5", (forged, leaf_hash(forged)))
    found = codes(board)
    assert not any(code == "leaf_hash_mismatch" for code, _ in found)
    assert ("node_mismatch", 4) in found  # the stored (1, 2) node covers leaves 4..5
    assert {("head_root_mismatch", 16), ("head_root_mismatch", 33), ("head_root_mismatch", 40)} <= found
    # a voter checking the forged entry against a signed head is not fooled either
    head = board.head_at(16)
    assert head is not None
    with pytest.raises(MerkleProofError):
        verify_inclusion(leaf_hash(forged), 5, 16, board.inclusion_proof(5, 16), head.root)


def test_deleted_row_is_detected(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    raw.execute("DELETE FROM entries WHERE idx = 25")
    found = codes(board)
    assert ("missing_entry", 25) in found
    assert {("head_unverifiable", 33), ("head_unverifiable", 40)} <= found
    assert not any(index == 16 for code, index in found if code.startswith("head"))


def test_deleted_tail_is_detected(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    raw.execute("DELETE FROM entries WHERE idx >= 38")
    found = codes(board)
    assert ("head_beyond_log", 40) in found
    assert ("unexpected_node", 38) in found  # node (1, 19) still covers the deleted 38..39
    with pytest.raises(BoardCorruptError, match="latest head has size 40"):
        board.sign_head()


def test_edited_node_and_head_are_detected(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    raw.execute("UPDATE nodes SET hash = %s WHERE level = 2 AND idx = 3", (b"\x00" * 32,))
    raw.execute("UPDATE tree_heads SET root_hash = %s WHERE tree_size = 33", (b"\x11" * 32,))
    found = codes(board)
    assert ("node_mismatch", 12) in found
    assert ("head_bad_signature", 33) in found and ("head_root_mismatch", 33) in found
    with pytest.raises(MerkleProofError):  # proofs built from the bad node fail against the real head
        head = board.head_at(40)
        assert head is not None
        verify_inclusion(leaf_hash(b"entry 8"), 8, 40, board.inclusion_proof(8, 40), head.root)


def test_board_refuses_to_sign_over_rewritten_history(signed: tuple[Board, RawDb]) -> None:
    board, raw = signed
    raw.execute("UPDATE nodes SET hash = %s WHERE level = 5 AND idx = 0", (b"\x22" * 32,))  # leaves 0..31
    board.append("ballot", b"new entry")
    with pytest.raises(BoardCorruptError, match="inconsistent with the last"):
        board.sign_head()
