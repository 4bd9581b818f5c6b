"""`serve` audits its database against its signed heads before serving, and refuses one that no longer matches."""

from __future__ import annotations

from pathlib import Path

import nacl.signing
import pytest
from typer.testing import CliRunner

from plebiscite.board import Board, BoardCorruptError
from plebiscite.board.setup import open_election
from plebiscite.cli.main import app
from plebiscite.merkle import leaf_hash
from tests.board.test_integrity import RawDb

KEY = nacl.signing.SigningKey(b"\x17" * 32)


@pytest.fixture
def signed_db(tmp_path: Path) -> str:
    """A SQLite board of 40 entries with heads at 16, 33 and 40 (a manifest first, so it would serve)."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    board = Board.open(url, KEY)
    try:
        for stop in (16, 33, 40):
            size = board.size()
            board.append_many(("ballot", f"entry {i}".encode()) for i in range(size, stop))
            board.sign_head()
    finally:
        board.close()
    return url


def test_an_untouched_database_passes_the_start_up_audit(signed_db: str) -> None:
    from plebiscite.board.setup import refuse_if_tampered

    board = Board.open(signed_db, KEY)
    try:
        refuse_if_tampered(board, signed_db)
    finally:
        board.close()


def test_an_edited_entry_is_named(signed_db: str) -> None:
    RawDb(signed_db).execute("UPDATE entries SET leaf = %s WHERE idx = 20", (b"a different ballot",))
    with pytest.raises(BoardCorruptError, match=r"first bad entry: entry 20 \(leaf_hash_mismatch"):
        open_election(signed_db, KEY)


def test_a_rewrite_of_leaf_hash_and_nodes_is_located_by_the_heads(signed_db: str) -> None:
    raw = RawDb(signed_db)
    forged = b"a forged ballot"
    raw.execute("UPDATE entries SET leaf = %s, leaf_hash = %s WHERE idx = 20", (forged, leaf_hash(forged)))
    raw.execute("DELETE FROM nodes")  # the forger drops the nodes: only the heads still say what was signed
    with pytest.raises(BoardCorruptError, match=r"first bad entry: entry 0 or one after it"):
        open_election(signed_db, KEY)


def test_a_deleted_tail_is_named(signed_db: str) -> None:
    RawDb(signed_db).execute("DELETE FROM entries WHERE idx >= 38")
    with pytest.raises(
        BoardCorruptError, match=r"first bad entry: entry 38 \(deleted: a signed head covers 40 entries\)"
    ):
        open_election(signed_db, KEY)


def test_serve_refuses_a_tampered_database_without_a_traceback(signed_db: str, tmp_path: Path) -> None:
    RawDb(signed_db).execute("UPDATE entries SET leaf = %s WHERE idx = 7", (b"edited",))
    (tmp_path / "key.hex").write_text(bytes(KEY).hex())
    (tmp_path / "key.hex").chmod(0o600)
    args = ["serve", "--db", signed_db, "--board-key-file", str(tmp_path / "key.hex")]
    args += ["--admin-token-file", str(tmp_path / "token.txt"), "--port", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "first bad entry: entry 7" in result.output and "Refusing to serve" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
