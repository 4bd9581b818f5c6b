"""The board's ``cosignatures`` table on SQLite and PostgreSQL: stored once per witness and head, read back by size,
the latest witnessed head found, append-only, and created on a database made before it existed."""

from __future__ import annotations

from collections.abc import Callable

import nacl.signing
import pytest
from sqlalchemy import text

from plebiscite.board import Board
from plebiscite.merkle.cosign import sign_cosignature, verify_cosignature
from tests.board.conftest import board, board_url, open_board, pg_server, pg_url

__all__ = ["board", "board_url", "open_board", "pg_server", "pg_url"]

W1, W2 = nacl.signing.SigningKey(b"\x01" * 32), nacl.signing.SigningKey(b"\x02" * 32)


def test_cosignatures_are_stored_once_per_witness_and_read_back(board: Board) -> None:
    board.append_many([("e", b"a"), ("e", b"b")])
    small = board.sign_head()
    board.append("e", b"c")
    large = board.sign_head()
    assert board.latest_witnessed_size(1) is None
    assert board.add_cosignature(small.tree_size, sign_cosignature(W1, small, 10))
    assert not board.add_cosignature(small.tree_size, sign_cosignature(W1, small, 11))  # the first one stays
    assert board.add_cosignature(large.tree_size, sign_cosignature(W2, large, 12))
    assert board.add_cosignature(large.tree_size, sign_cosignature(W1, large, 13))
    by_size = board.cosignatures([small.tree_size, large.tree_size])
    assert [c.cosigned_at for c in by_size[small.tree_size]] == [10]
    assert sorted(c.witness for c in by_size[large.tree_size]) == sorted(
        bytes(k.verify_key).hex() for k in (W1, W2)
    )
    for cosig in by_size[large.tree_size]:
        verify_cosignature(large, cosig)
    assert board.latest_witnessed_size(2) == large.tree_size
    assert board.latest_witnessed_size(1) == large.tree_size
    assert board.latest_witnessed_size(3) is None
    assert set(board.cosignatures(max_size=small.tree_size)) == {small.tree_size}


def test_cosignatures_are_append_only(board: Board) -> None:
    board.append("e", b"a")
    head = board.sign_head()
    board.add_cosignature(head.tree_size, sign_cosignature(W1, head, 1))
    engine = board._db.engine
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE cosignatures SET cosigned_at = 2"))
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM cosignatures"))


def test_a_database_made_before_the_table_gets_it_on_open(open_board: Callable[..., Board]) -> None:
    first = open_board()
    first.append("e", b"a")
    head = first.sign_head()
    with first._db.engine.begin() as conn:
        conn.execute(text("DROP TABLE cosignatures"))
    first.close()
    again = open_board()
    assert again.add_cosignature(head.tree_size, sign_cosignature(W1, head, 1))
    assert len(again.cosignatures([head.tree_size])[head.tree_size]) == 1
