"""Board tests run against SQLite and PostgreSQL alike (the ``board_url`` fixture is parametrised)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import nacl.signing
import pytest

from plebiscite.board import Board

try:  # pytest puts the rootdir on sys.path, so tests/ is a (namespace) package
    from tests.pg import pg_server, pg_url
except ImportError:  # pragma: no cover - an import mode that puts tests/ itself on sys.path
    from pg import pg_server, pg_url

__all__ = ["KEY", "board", "board_url", "open_board", "pg_server", "pg_url"]

KEY = nacl.signing.SigningKey(b"\x42" * 32)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def board_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty board on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'board.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def open_board(board_url: str) -> Iterator[Callable[..., Board]]:
    """Open boards on ``board_url`` (possibly several times, to test reopening); all closed at the end."""
    opened: list[Board] = []

    def _open(key: nacl.signing.SigningKey | None = KEY, **options: object) -> Board:
        board = Board.open(board_url, key, **options)  # type: ignore[arg-type]
        opened.append(board)
        return board

    yield _open
    for board in opened:
        board.close()


@pytest.fixture
def board(open_board: Callable[..., Board]) -> Board:
    """A fresh board signing with ``KEY``."""
    return open_board()
