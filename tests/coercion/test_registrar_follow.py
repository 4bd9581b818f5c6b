"""`registrar serve` follows the board: the roll published after it started closes registration (409, the code not
spent); a board it cannot read refuses registrations (503) rather than acting on what it read before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.follow import Follower
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.cli.main import app as app_cli
from plebiscite.coercion import registration as reg
from plebiscite.coercion.credentials import VoterKey
from plebiscite.coercion.registrar_follow import ROLL_PUBLISHED, BoardWindow
from plebiscite.coercion.registrar_service import (
    ElectionInfo,
    Enrolment,
    EnrolmentRefusal,
    load_vault,
    registrar_app,
)
from tests.service.conftest import BOARD_KEY, TOKEN

from .conftest import served_after_ceremony

PASS = "registrar passphrase"


def _quiet(_m: str) -> None:
    pass


def request_body(info: ElectionInfo, code: str) -> dict[str, Any]:
    """What a device sends: its fresh key and the proof that it knows it."""
    voter = VoterKey.generate(info.election_id)
    request = voter.request(info.ceremony)
    return {"code": code, "voter_key": voter.public.hex(), "proof": request.proof.to_json()}


def test_the_registrar_sees_the_roll_published_after_it_started(tmp_path: Path) -> None:
    key = BOARD_KEY.verify_key.encode().hex()
    home = tmp_path / "registrar"
    with served_after_ceremony(tmp_path, "reg-follow") as (url, _election):
        reg.deal(TrusteeBoard(url, home / "mirror", key), home / "vault.json", PASS, TOKEN, _quiet)
        enrolment = Enrolment(home / "enrolment.db")
        codes = enrolment.add_codes(3)
        view = TrusteeBoard(url, home / "mirror", key).view()  # what `registrar serve` reads at start
        info = reg.election_info(view)
        with Follower(url, view.mirror, view.events) as follower:
            window = BoardWindow(follower, info, view.mirror)
            assert window.closed is None
            app = registrar_app(load_vault(home / "vault.json", PASS), enrolment, info, window.require_open)
            with LoopbackServer(app, free_port()) as registrar:
                first = httpx.post(f"{registrar.url}/registrar/register", json=request_body(info, codes[0]))
                assert first.status_code == 200, first.text
                assert (
                    reg.publish(url, enrolment, TOKEN, _quiet) == 1
                )  # the board changes under the registrar
                late = httpx.post(f"{registrar.url}/registrar/register", json=request_body(info, codes[1]))
                assert (late.status_code, late.json()["detail"]) == (409, ROLL_PUBLISHED)
                assert enrolment.status(codes[1]) == "unused"  # refused before the code was spent
        enrolment.close()
        (home / "pass.txt").write_text(PASS + "\n")
        started = CliRunner().invoke(
            app_cli,
            [
                *(
                    "registrar",
                    "serve",
                    "--vault",
                    str(home / "vault.json"),
                    "--state",
                    str(home / "enrolment.db"),
                ),
                *("--board", url, "--passphrase-file", str(home / "pass.txt"), "--board-key", key),
            ],
        )
        assert started.exit_code == 2 and ROLL_PUBLISHED in started.output  # nothing to serve any more


def test_a_board_the_registrar_cannot_read_refuses_registration(tmp_path: Path) -> None:
    key = BOARD_KEY.verify_key.encode().hex()
    home = tmp_path / "registrar"
    with served_after_ceremony(tmp_path, "reg-gone") as (url, _election):
        reg.deal(TrusteeBoard(url, home / "mirror", key), home / "vault.json", PASS, TOKEN, _quiet)
        view = TrusteeBoard(url, home / "mirror", key).view()
        info = reg.election_info(view)
    with Follower(url, view.mirror, view.events, timeout=2) as follower:  # the board has stopped
        window = BoardWindow(follower, info, view.mirror)
        with pytest.raises(
            EnrolmentRefusal, match="cannot confirm that registration is still open"
        ) as refused:
            window.require_open()
        assert refused.value.status == 503
