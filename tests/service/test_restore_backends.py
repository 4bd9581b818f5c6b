"""A board restored from its mirror on either backend (``serve --record MIRROR`` on an empty database): the same
signed heads, nothing re-signed, and a second restore onto the now non-empty board refused (``Board.restore``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from plebiscite.board.client import check_receipt, mirror
from plebiscite.board.errors import InvalidArgumentError
from plebiscite.board.records import NewEntry, RestoreChunk

from .conftest import Setup, live_service


def test_restore_on_each_backend(db_url: str, yesno_setup: Setup, tmp_path: Path) -> None:
    copy = tmp_path / "mirror"
    with live_service(f"sqlite:///{tmp_path / 'lost.db'}", yesno_setup) as lost:
        lost.open()
        receipts = [
            httpx.post(f"{lost.url}/api/ballots", json=b.json, timeout=60).json()
            for b in yesno_setup.ballots(2, seed=3)
        ]
        heads = lost.election.board.heads()
        mirror(lost.url, copy)
    with live_service(db_url, dataclasses.replace(yesno_setup, path=copy)) as restored:
        board = restored.election.board
        assert board.heads() == heads and board.size() == heads[-1].tree_size
        for receipt in receipts:
            assert check_receipt(receipt, restored.url)["ok"]
        with pytest.raises(InvalidArgumentError, match="not empty"):
            board.restore(lambda: [RestoreChunk([NewEntry("x", b"{}")], [b"\0" * 32], [], [])])
        assert board.heads() == heads
