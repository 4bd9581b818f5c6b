"""Mirrors and receipts stay pinned to the board key they first saw: another board (another key) serving the same
election is refused with a named reason, and nothing in the mirror is changed."""

from __future__ import annotations

from pathlib import Path

import httpx
import nacl.signing
import pytest
from typer.testing import CliRunner

from plebiscite.board.client import BoardClientError, check_receipt, mirror
from plebiscite.board.setup import open_election
from plebiscite.cli.main import app
from plebiscite.merkle.heads import TreeHeadError
from plebiscite.record import store

from .conftest import BOARD_KEY, Setup, live_service

OTHER_KEY = nacl.signing.SigningKey(b"\x24" * 32)


def test_mirror_and_receipt_refuse_a_board_whose_key_changed(yesno_setup: Setup, tmp_path: Path) -> None:
    copy = tmp_path / "mirror"
    with live_service(f"sqlite:///{tmp_path / 'a.db'}", yesno_setup) as genuine:
        genuine.open()
        ballot = yesno_setup.ballots(1, seed=5)[0]
        response = httpx.post(f"{genuine.url}/api/ballots", json=ballot.json, timeout=60)
        assert response.status_code == 200, response.text
        receipt = response.json()
        mirror(genuine.url, copy)
    before = {name: (copy / name).read_bytes() for name in (store.EVENTS_FILE, store.HEADS_FILE)}
    impostor = open_election(f"sqlite:///{tmp_path / 'b.db'}", OTHER_KEY, yesno_setup.path)
    with live_service("", yesno_setup, election=impostor) as other:
        other.open()
        published = BOARD_KEY.verify_key.encode().hex()
        with pytest.raises(BoardClientError, match=f"not the expected {published}"):  # a first run, pinned
            mirror(other.url, tmp_path / "first", board_key=published)
        assert not (tmp_path / "first").exists()
        code = CliRunner().invoke(app, ["mirror", other.url, str(tmp_path / "first"), "--board-key", "abc"])
        assert code.exit_code == 2 and "--board-key: expected" in code.output
        with pytest.raises(BoardClientError, match=r"not by this board's key .*the board's key changed"):
            mirror(other.url, copy)
        assert {name: (copy / name).read_bytes() for name in before} == before
        (copy / store.BOARD_FILE).unlink()  # without board.json, the kept heads still name their log
        with pytest.raises(BoardClientError, match=r"its heads are of log .*the board's key changed"):
            mirror(other.url, copy)
        assert {name: (copy / name).read_bytes() for name in before} == before
        with pytest.raises(BoardClientError, match="not the one that signed the receipt"):
            check_receipt(receipt, other.url)
        swapped = {**receipt, "board_key": bytes(OTHER_KEY.verify_key).hex()}
        with pytest.raises(
            TreeHeadError, match="tree head is from log"
        ):  # the head's log id is the old key's
            check_receipt(swapped, other.url)
