"""`plebiscite admin …` and `plebiscite vote --board` against a live board (SQLite): a whole election from the
terminal, and every failure as one clear line, a non-zero exit and nothing changed on the board."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plebiscite.board.client import BoardClientError
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.operator_client import BoardSession, read_setup
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.cli.main import app
from plebiscite.conduct import Conduct
from plebiscite.decrypt.partial import partial_decrypt
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import store
from plebiscite.setup.samples import referendum
from plebiscite.tally.aggregate import parse_aggregate
from plebiscite.verify.runner import verify_record

from .conftest import BOARD_KEY, TOKEN, LiveService, Setup, live_service

runner = CliRunner()


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def board(tmp_path: Path, yesno_setup: Setup) -> Iterator[LiveService]:
    with live_service(f"sqlite:///{tmp_path / 'board.db'}", yesno_setup) as svc:
        yield svc


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "admin-token.txt"
    path.parent.mkdir(mode=0o700)
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


def credential_file(setup: Setup, voter: int, where: Path) -> Path:
    path = where / f"credential-{voter}.json"
    path.write_text(json.dumps(setup.credentials[voter].to_json()))
    return path


def admin(action: str, svc: LiveService, token_file: Path, *extra: object) -> tuple[int, str]:
    return run("admin", action, "--board", svc.url, "--token-file", token_file, *extra)


def vote(
    svc: LiveService, cred: Path, receipt: Path, *answers: str, extra: tuple[object, ...] = ()
) -> tuple[int, str]:
    return run("vote", "--board", svc.url, "--credential", cred, *answers, "--receipt", receipt, *extra)


def post_partials(svc: LiveService, trustees: list[Trustee]) -> None:
    """The trustees' side (the lead's `plebiscite trustee decrypt`): partial decryptions posted over HTTP."""
    tally = next(e.payload for e in svc.election.events() if e.type == "tally")
    ctx = svc.setup.ctx
    totals = parse_aggregate(tally["aggregate"], [lay.width for lay in ctx.layouts])
    for t in trustees:
        assert t.share is not None
        payload = partial_decrypt(t.index, t.share, totals, ctx.fingerprint, t.signing_key)
        assert (
            httpx.post(f"{svc.url}/api/trustee/partial-decryption", json=payload, timeout=60).status_code
            == 200
        )


def test_a_whole_election_from_the_terminal(board: LiveService, token_file: Path, tmp_path: Path) -> None:
    code, out = admin("open", board, token_file)
    assert code == 0 and board.setup.ctx.fingerprint.hex() in out
    receipts = []
    for voter, answer in ((0, "q1=yes"), (1, "q1=no"), (2, "q1=yes"), (0, "q1=no")):  # voter 0 votes again
        receipt = tmp_path / f"receipt-{len(receipts)}.json"
        code, out = vote(
            board,
            credential_file(board.setup, voter, tmp_path),
            receipt,
            "--answers",
            answer,
            extra=(
                "--board-key",
                BOARD_KEY.verify_key.encode().hex(),
                "--fingerprint",
                board.setup.ctx.fingerprint.hex(),
            ),
        )
        assert code == 0, out
        saved = json.loads(receipt.read_text())
        assert saved["tracking_code"] in out.replace("\n", "") and receipt.stat().st_mode & 0o777 == 0o600
        receipts.append(receipt)
    code, out = run("check-receipt", receipts[0], "--board", board.url)
    assert code == 0, out
    assert admin("close", board, token_file)[0] == 0
    code, out = admin("tally", board, token_file)
    assert code == 0 and "3 ballots counted" in out
    post_partials(board, board.setup.trustees[:2])
    code, out = admin("result", board, token_file, "--json")
    assert code == 0, out
    result = json.loads(out[out.index("{") :])
    assert result["questions"][0]["counts"] == {"yes": 1, "no": 2}
    code, out = admin("status", board, token_file, "--json")
    status = json.loads(out[out.index("{") :])
    assert (
        status["phase"] == "decrypted" and status["ballots"] == 4 and status["partial_decryptions"] == [1, 2]
    )
    assert status["fingerprint"] == board.setup.ctx.fingerprint.hex()
    assert status["board_key"] == BOARD_KEY.verify_key.encode().hex()
    record = tmp_path / "copy"
    assert run("mirror", board.url, record)[0] == 0
    assert verify_record(record, 1).ok


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("wrong-token\n", "refused the administrator token (401"),
        ("", "empty; expected the administrator token"),
    ],
)
def test_a_wrong_or_empty_token_changes_nothing(
    board: LiveService, tmp_path: Path, token: str, message: str
) -> None:
    bad = tmp_path / "token.txt"
    bad.write_text(token)
    size = board.size()
    for action in ("open", "close", "tally", "result", "status"):
        code, out = admin(action, board, bad)
        assert code == 2 and message in out, out
    assert board.size() == size and board.election.state.phase == "setup"


def test_board_errors_are_one_line(board: LiveService, token_file: Path, tmp_path: Path) -> None:
    code, out = admin("close", board, token_file)  # wrong phase: the board's named reason
    assert code == 2 and "refused by the board (409)" in out and "phase 'setup'" in out
    code, out = admin("open", board, tmp_path / "missing.txt")
    assert code == 2 and "no such token file" in out
    closed = f"http://127.0.0.1:{free_port()}"
    code, out = run("admin", "status", "--board", closed, "--token-file", token_file)
    assert code == 2 and f"board unreachable at {closed}" in out
    code, out = run("admin", "status", "--board", f"{board.url}/booth", "--token-file", token_file)
    assert code == 2 and "GET /api/admin/status: refused by the board (404): Not Found" in out
    with not_a_board(tmp_path) as url:
        code, out = run("admin", "open", "--board", url, "--token-file", token_file)
    assert (
        code == 2 and f"{url} does not answer POST /api/admin/open like a plebiscite board (HTTP 501" in out
    )
    code, out = run("admin", "open", "--board", "127.0.0.1:8000", "--token-file", token_file)
    assert code == 2 and "expected an http:// or https:// URL" in out
    assert board.election.state.phase == "setup"


@contextlib.contextmanager
def not_a_board(directory: Path) -> Iterator[str]:
    """Some other web server (HTML error pages)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loose_token_file_is_warned_about(board: LiveService, token_file: Path) -> None:
    token_file.chmod(0o644)
    code, out = admin("status", board, token_file)
    assert code == 0 and "lets others read it" in out


def test_vote_refusals_cast_nothing(
    board: LiveService, token_file: Path, tmp_path: Path, other_setup: Setup
) -> None:
    cred = credential_file(board.setup, 5, tmp_path)
    receipt = tmp_path / "receipt.json"
    code, out = vote(board, cred, receipt, "--answers", "q1=yes")
    assert code == 2 and "voting is not open" in out
    admin("open", board, token_file)
    size = board.size()
    for extra, message in [
        (("--board-key", "00" * 32), "not the published"),
        (("--fingerprint", "11" * 32), "--fingerprint: the board's election is"),
    ]:
        code, out = vote(board, cred, receipt, "--answers", "q1=yes", extra=extra)
        assert code == 2 and message in out, out
    code, out = vote(board, cred, receipt, "--answers", "q1=maybe")
    assert code == 2 and "unknown option 'maybe'" in out
    (tmp_path / "other").mkdir()
    code, out = vote(
        board, credential_file(other_setup, 0, tmp_path / "other"), receipt, "--answers", "q1=yes"
    )
    assert code == 2 and "credential is for election 'service-other'" in out
    receipt.write_text("keep me")
    code, out = vote(board, cred, receipt, "--answers", "q1=yes")
    assert (
        code == 2 and "already exists; refusing to overwrite it" in out and receipt.read_text() == "keep me"
    )
    code, out = run("vote", "--board", board.url, "--credential", cred, "--answers", "q1=yes")
    assert code == 2 and "--receipt: name the file" in out
    with not_a_board(tmp_path) as url:
        code, out = run(
            "vote",
            "--board",
            url,
            "--credential",
            cred,
            "--answers",
            "q1=yes",
            "--receipt",
            tmp_path / "r2.json",
        )
    assert code == 2 and "does not answer GET /api/board/key like a plebiscite board" in out
    assert board.size() == size  # nothing cast


def test_a_receipt_that_does_not_check_is_kept_as_evidence(
    board: LiveService, token_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plebiscite.board.operator_client as operator_client

    real_cast = operator_client.cast_ballot

    def board_that_lies(session: BoardSession, ballot: dict[str, Any]) -> dict[str, Any]:
        receipt = real_cast(session, ballot)
        return {**receipt, "index": receipt["index"] + 1}  # the inclusion proof no longer leads to the root

    monkeypatch.setattr(operator_client, "cast_ballot", board_that_lies)
    admin("open", board, token_file)
    receipt = tmp_path / "receipt.json"
    code, out = vote(board, credential_file(board.setup, 9, tmp_path), receipt, "--answers", "q1=no")
    assert code == 2 and "receipt NOT confirmed" in out and "kept in" in out
    assert json.loads(receipt.read_text())["index"] == board.size()  # the board's answer, as it came


def test_vote_asks_the_questions_when_no_answers_are_given(
    board: LiveService, token_file: Path, tmp_path: Path
) -> None:
    admin("open", board, token_file)
    cred = credential_file(board.setup, 7, tmp_path)
    args = ["vote", "--board", board.url, "--credential", str(cred), "--receipt", str(tmp_path / "r.json")]
    result = runner.invoke(app, args, input="perhaps\nno\n")
    assert result.exit_code == 0, result.output
    assert "unknown option 'perhaps'" in result.output and "ballot cast" in result.output


def test_vote_asks_only_what_answers_leave_out(tmp_path: Path, full_setup: Setup) -> None:
    with live_service(f"sqlite:///{tmp_path / 'full.db'}", full_setup) as svc:
        svc.open()
        cred = credential_file(full_setup, 3, tmp_path)
        args = ["vote", "--board", svc.url, "--credential", str(cred), "--answers", "q1=no", "--receipt"]
        result = runner.invoke(
            app, [*args, str(tmp_path / "r.json")], input="blank\nschools,roads,clinics\nroads\n"
        )
        assert result.exit_code == 0, result.output
        assert "q1:" not in result.output and "q2:" in result.output  # q1 was given, q2 and q3 asked
        assert "choose between 1 and 2" in result.output  # three approvals refused, asked again
        code = json.loads((tmp_path / "r.json").read_text())["tracking_code"]
        ballot = next(e.payload for e in svc.election.events() if e.type == "ballot")
        assert svc.election.state.ballots == {code: svc.size() - 1} and ballot["credential"] == (
            full_setup.credentials[3].public_key.hex()
        )


def test_a_board_serving_another_setup_than_it_signed_is_refused(
    board: LiveService, other_setup: Setup
) -> None:
    """The voter's client hashes the setup entries it read and needs them to be a prefix of the signed log."""
    httpx.post(f"{board.url}/api/admin/open", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    forged = {e.index: e.raw.decode() for e in store.read(other_setup.path) if e.type == "roll"}

    def lying(request: httpx.Request) -> httpx.Response:
        upstream = httpx.get(str(request.url), timeout=60)
        if request.url.path != "/api/board/entries":
            return httpx.Response(upstream.status_code, content=upstream.content, headers=upstream.headers)
        page: list[dict[str, Any]] = upstream.json()
        for item in page:
            if item["type"] == "roll":
                item["leaf"] = next(iter(forged.values()))  # the other election's roll, which parses fine
        return httpx.Response(200, json=page)

    with BoardSession(board.url) as session:
        assert read_setup(session).context is not None  # the honest board passes
        session.client = httpx.Client(base_url=board.url, transport=httpx.MockTransport(lying))
        with pytest.raises(BoardClientError, match="not in the log it signed"):
            read_setup(session)


def test_a_coercion_resistant_election_not_open_yet_is_refused(tmp_path: Path) -> None:
    """`vote --board` casts cr-ballots too (tests/coercion/test_sheet_station.py); before opening, a named refusal."""
    import plebiscite.coercion.events  # noqa: F401  (registers the mode)

    manifest = referendum("cr-election", extra_questions=False).model_copy(
        update={"mode": "coercion-resistant"}
    )
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    Conduct.create_record(tmp_path / "rec", manifest, [t.identity for t in trustees], 2)
    election = open_election(f"sqlite:///{tmp_path / 'b.db'}", BOARD_KEY, tmp_path / "rec")
    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            cred = tmp_path / "cred.json"
            cred.write_text("{}")
            code, out = run(
                "vote",
                "--board",
                server.url,
                "--credential",
                cred,
                "--answers",
                "q1=yes",
                "--receipt",
                tmp_path / "r",
            )
    finally:
        election.close()
    assert code == 2 and "voting is not open" in out and "phase 'setup'" in out
    assert not (tmp_path / "r").exists()


@contextlib.contextmanager
def served(tmp_path: Path, setup: Setup, *options: str) -> Iterator[tuple[Any, str, list[str]]]:
    """`plebiscite serve` as a subprocess; yields it, its URL and the lines it printed at start."""
    import subprocess
    import sys
    import time

    port = free_port()
    command = [sys.executable, "-m", "plebiscite.cli.main", "serve", "--db", f"sqlite:///{tmp_path / 'b.db'}"]
    command += ["--record", str(setup.path), "--port", str(port), "--check-workers", "0", *options]
    (tmp_path / "cwd").mkdir(exist_ok=True)
    proc = subprocess.Popen(command, cwd=tmp_path / "cwd", stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not any(line.startswith("secret: admin token") for line in lines):
            line = proc.stderr.readline()
            assert line, f"serve exited: {''.join(lines)}"
            lines.append(line.rstrip("\n"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        yield proc, url, lines
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_prints_address_key_and_secrets_and_keeps_them(tmp_path: Path, yesno_setup: Setup) -> None:
    secrets_dir = tmp_path / "state" / "board-secrets"
    with served(tmp_path, yesno_setup, "--secrets-dir", str(secrets_dir)) as (_proc, url, lines):
        key = httpx.get(f"{url}/api/board/key").json()["public_key"]
        text = "\n".join(lines)
        assert f"board listening on {url}" in text and f"publish it: {key}" in text
        assert f"board signing key in {secrets_dir / 'board-key.hex'}" in text
        assert f"admin token in {secrets_dir / 'admin-token.txt'}" in text
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in secrets_dir.iterdir()) == ["admin-token.txt", "board-key.hex"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in secrets_dir.iterdir())
    assert list((tmp_path / "cwd").iterdir()) == []  # nothing in the working directory
    token = (secrets_dir / "admin-token.txt").read_text()
    with served(tmp_path, yesno_setup, "--secrets-dir", str(secrets_dir)) as (_proc, url, lines):  # a restart
        assert httpx.get(f"{url}/api/board/key").json()["public_key"] == key
    assert (secrets_dir / "admin-token.txt").read_text() == token


def test_serve_needs_to_be_told_where_its_secrets_go(
    tmp_path: Path, yesno_setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("serve", "--db", f"sqlite:///{tmp_path / 'b.db'}", "--record", yesno_setup.path)
    assert code == 2 and "give --secrets-dir DIR" in out
    assert list(tmp_path.iterdir()) == []  # no secret, and no database, in the working directory
