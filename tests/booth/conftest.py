"""Fixtures of the booth's tests: node, headless Chromium, and a live board server on loopback.

Tools missing on the machine (node; Chromium and playwright-core for the browser tests) skip the tests that need
them with the command that installs them — except under CI (``CI`` set), where a missing tool is a failure, so a
green CI run always means the browser tests ran.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
STATIC = ROOT / "src/plebiscite/booth/static"
ARTIFACTS = ROOT / "test-artifacts/booth"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _missing(what: str, fix: str) -> None:
    message = f"{what} is not installed ({fix})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        _missing("node", "apt-get install nodejs")
    return str(path)


@pytest.fixture(scope="session")
def browser(node: str) -> str:
    """Chromium and playwright-core are present; returns the node binary for the browser scripts."""
    if not Path(CHROMIUM).exists():
        _missing("chromium", "apt-get install -y chromium")
    if not (ROOT / "booth/node_modules/playwright-core").is_dir():
        _missing("playwright-core", "npm ci --prefix booth")
    return node


def run_node(
    node: str, args: list[str], stdin: Any = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, *args],
        input=None if stdin is None else json.dumps(stdin),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A board server on loopback with an election open for voting."""

    base_url: str
    workdir: Path
    credentials: list[Path]
    kind: str
    process: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url(path), timeout=30) as r:  # loopback only
            return json.load(r)

    def finish(self) -> dict[str, Any]:
        """Close voting, tally, decrypt and publish the result; returns the result payload."""
        if self.kind == "stub":
            req = urllib.request.Request(self.url("/test/finish"), method="POST", data=b"")
            with urllib.request.urlopen(req, timeout=120) as r:
                return dict(json.load(r))
        return _finish_real(self)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s: the server this fixture started, and nothing else."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serve_available() -> bool:
    from plebiscite.cli.main import app

    return any(c.name == "serve" for c in app.registered_commands)


def _wait_up(server: LiveServer, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.kind} server exited:\n{server.log.read_text()}")
        try:
            server.get_json("/api/election")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{server.kind} server did not come up:\n{server.log.read_text()}")


def _start_stub(workdir: Path, port: int, voters: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        str(HERE / "stub_server.py"),
        "--workdir",
        str(workdir),
        "--port",
        str(port),
        "--voters",
        str(voters),
    ]
    return subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)


def _start_real(
    workdir: Path, port: int, voters: int, log: Path
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Prepare the election offline (manifest, ceremony, roll), then run ``plebiscite serve`` on it and open voting."""
    from plebiscite.conduct import Conduct
    from plebiscite.keyceremony.trustee import Trustee
    from plebiscite.setup.credentials import Credential
    from plebiscite.setup.samples import referendum

    prep = workdir / "setup-record"
    manifest = referendum("booth-test")
    trustee = Trustee.new(1, 1, 1)
    conduct = Conduct.create_record(prep, manifest, [trustee.identity], 1)
    conduct.run_ceremony([trustee])
    creds = [Credential.generate(manifest.election_id) for _ in range(voters)]
    conduct.register([c.public_key for c in creds])
    (workdir / "credentials").mkdir()
    for i, c in enumerate(creds, start=1):
        (workdir / "credentials" / f"credential-{i}.json").write_text(json.dumps(c.to_json()))
    token = secrets.token_urlsafe(24)
    (workdir / "admin-token.txt").write_text(token)
    cmd = [
        sys.executable,
        "-m",
        "plebiscite.cli.main",
        "serve",
        "--db",
        f"sqlite:///{workdir / 'board.db'}",
        "--record",
        str(prep),
        "--board-key-file",
        str(workdir / "board-key.hex"),
        "--admin-token-file",
        str(workdir / "admin-token.txt"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--check-workers",
        "0",
    ]
    process = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    return process, {"token": token, "trustee": trustee}


def _post(server: LiveServer, path: str, body: Any = None, admin: bool = False) -> Any:
    headers = {"Content-Type": "application/json"}
    if admin:
        headers["Authorization"] = f"Bearer {server.extra['token']}"
    data = b"" if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.url(path), method="POST", data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=120) as r:  # loopback only
        return json.load(r)


def _finish_real(server: LiveServer) -> dict[str, Any]:
    """What the administrator and the trustee do over HTTP (as in plebiscite.board.demo_http)."""
    from plebiscite.decrypt.partial import partial_decrypt
    from plebiscite.record.state import ElectionState
    from plebiscite.record.store import parse_event
    from plebiscite.tally.aggregate import parse_aggregate

    _post(server, "/api/admin/close", admin=True)
    _post(server, "/api/admin/tally", admin=True)
    entries = server.get_json("/api/board/entries?start=0&limit=1000")
    events = [parse_event(e["index"], e["leaf"].encode(), f"board entry {e['index']}") for e in entries]
    ctx = ElectionState.from_events(events).context
    assert ctx is not None
    tally = next(e.payload for e in events if e.type == "tally")
    totals = parse_aggregate(tally["aggregate"], [lay.width for lay in ctx.layouts])
    t = server.extra["trustee"]
    _post(
        server,
        "/api/trustee/partial-decryption",
        partial_decrypt(t.index, t.share, totals, ctx.fingerprint, t.signing_key),
    )
    return dict(_post(server, "/api/admin/result", admin=True))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The board on 127.0.0.1 with a 3-question election open and voters' credential files on disk.

    ``PLEBISCITE_BOOTH_SERVER=real`` uses ``plebiscite serve``, ``=stub`` the stand-in in stub_server.py (which sends
    exactly the booth's SECURITY_HEADERS); by default the real service when the CLI has ``serve``, else the stub.
    """
    kind = os.environ.get("PLEBISCITE_BOOTH_SERVER") or ("real" if _serve_available() else "stub")
    workdir = tmp_path_factory.mktemp("booth-server")
    port = _free_port()
    log = workdir / "server.log"
    voters = 6
    extra: dict[str, Any] = {}
    if kind == "real":
        process, extra = _start_real(workdir, port, voters, log)
    else:
        process = _start_stub(workdir, port, voters, log)
    server = LiveServer(f"http://127.0.0.1:{port}", workdir, [], kind, process, log, extra)
    try:
        _wait_up(server)
        if kind == "real":
            _post(server, "/api/admin/open", admin=True)
        server.credentials = sorted((workdir / "credentials").glob("credential-*.json"))
        assert len(server.credentials) == voters
        yield server
    finally:
        stop_process(process)
