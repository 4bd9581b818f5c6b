"""Fixtures for the voting-service tests: a prepared election, pre-encrypted ballots, live servers.

Every service fixture is parametrised over the two storage backends (``backend``: ``sqlite`` and ``postgresql``,
the latter marked ``postgres`` and run against the throwaway cluster of ``tests/pg.py``).

The prepared record (manifest, key ceremony, roll) is built once per session. Opening voting fixes the election
fingerprint from the record alone, so every board imported from the same prepared record gets the same
fingerprint after ``POST /api/admin/open`` — ballots are encrypted once per session and cast on many boards.

Two kinds of server:

* :class:`LiveService` — ``create_app`` served by uvicorn in a thread of the test process (fast; the test can look
  at the :class:`~plebiscite.board.election.BoardElection` directly);
* :class:`ServerProcess` — the real ``python -m plebiscite.cli.main serve`` as a subprocess in its own process
  group, so it can be killed with SIGKILL (and its check workers with it) and restarted.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nacl.signing
import psycopg
import pytest
from sqlalchemy.engine import make_url

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.election import BoardElection
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.conduct import Conduct
from plebiscite.demo import random_selection
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.merkle import (
    SignedTreeHead,
    leaf_hash,
    verify_heads_consistent,
    verify_inclusion,
    verify_tree_head,
)
from plebiscite.record.signer import key_path
from plebiscite.setup.credentials import Credential
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest
from plebiscite.setup.samples import referendum

try:  # pytest puts the rootdir on sys.path, so tests/ is a (namespace) package
    from tests.pg import pg_server, pg_url
except ImportError:  # pragma: no cover - an import mode that puts tests/ itself on sys.path
    from pg import pg_server, pg_url  # type: ignore[no-redef]

__all__ = [
    "ADMIN",
    "BOARD_KEY",
    "TOKEN",
    "Ballot",
    "LiveService",
    "RawDb",
    "ServerProcess",
    "Setup",
    "backend",
    "context_on_opening",
    "db_url",
    "full_setup",
    "other_setup",
    "pg_server",
    "pg_url",
    "service",
    "verify_receipt_locally",
    "yesno_ballots",
    "yesno_setup",
]

BOARD_KEY = nacl.signing.SigningKey(b"\x5a" * 32)
TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests here marked ``slow`` run only when asked: ``-m slow`` or ``PLEBISCITE_SLOW_TESTS=1``."""
    if "slow" in (config.getoption("markexpr", "") or "") or os.environ.get("PLEBISCITE_SLOW_TESTS"):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or PLEBISCITE_SLOW_TESTS=1")
    for item in items:
        if item.get_closest_marker("slow") is not None and HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


# --------------------------------------------------------------------------------------------- the election


@dataclass(frozen=True)
class Ballot:
    """A ballot encrypted for the election, with what it takes to challenge it."""

    json: dict[str, Any]
    opening: dict[str, Any]
    selection: dict[str, list[str]]
    tracking_code: str
    voter: int

    def __repr__(self) -> str:
        return f"Ballot(voter={self.voter}, tracking_code={self.tracking_code[:12]}…)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' printer
        p.text(repr(self))


@dataclass
class Setup:
    """A prepared record (manifest, ceremony, roll) and the secrets the tests act with."""

    path: Path
    manifest: Manifest
    ctx: ElectionContext
    credentials: list[Credential]
    trustees: list[Trustee]

    def __repr__(self) -> str:
        return f"Setup({self.manifest.election_id!r}, voters={len(self.credentials)})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' printer
        p.text(repr(self))

    def ballot(self, voter: int, rng: random.Random) -> Ballot:
        selection = random_selection(self.manifest, rng)
        ballot, opening = encrypt_ballot(self.ctx, self.credentials[voter], selection)
        return Ballot(ballot.to_json(), opening.to_json(), selection, ballot.tracking_code(), voter)

    def ballots(self, count: int, seed: int) -> list[Ballot]:
        rng = random.Random(seed)
        return [self.ballot(i % len(self.credentials), rng) for i in range(count)]


def build_setup(
    path: Path, election_id: str, voters: int, extra_questions: bool, manifest: Manifest | None = None
) -> Setup:
    """Manifest (``manifest``, or the sample referendum), 2-of-3 key ceremony and roll in a record at ``path``; the
    context voting will open with."""
    manifest = manifest or referendum(election_id, extra_questions=extra_questions)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    conduct.run_ceremony(trustees)
    credentials = [Credential.generate(manifest.election_id) for _ in range(voters)]
    conduct.register([c.public_key for c in credentials])
    return Setup(path, manifest, context_on_opening(path), credentials, trustees)


def context_on_opening(path: Path) -> ElectionContext:
    """The context voting will open with on a board importing the prepared record at ``path`` (either mode's): it
    is a function of the prepared record alone, so a copy is opened and thrown away."""
    scratch = Path(tempfile.mkdtemp(prefix="plebiscite-svc-ctx-"))
    try:
        shutil.copytree(path, scratch / "record")
        shutil.copy(
            key_path(path), key_path(scratch / "record")
        )  # the record's heads' signing key, beside it
        return Conduct.open_record(scratch / "record").open_voting()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def yesno_setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A one-question yes/no referendum with 200 voters (cheap ballots, for volume)."""
    return build_setup(tmp_path_factory.mktemp("yesno") / "prepared", "service-yesno", 200, False)


@pytest.fixture(scope="session")
def full_setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The demo referendum (yes/no, 1-of-3 with blank, approval 1–2 of 3) with 12 voters."""
    return build_setup(tmp_path_factory.mktemp("full") / "prepared", "service-full", 12, True)


@pytest.fixture(scope="session")
def other_setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """Another yes/no election (same shape, other fingerprint and keys): its ballots are for the wrong election."""
    return build_setup(tmp_path_factory.mktemp("other") / "prepared", "service-other", 2, False)


@pytest.fixture(scope="session")
def yesno_ballots(yesno_setup: Setup) -> list[Ballot]:
    """400 distinct ballots for the yes/no election (voter i % 200: every voter casts twice)."""
    return yesno_setup.ballots(400, seed=2024)


# --------------------------------------------------------------------------------------------- backends


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty board database on the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'board.db'}"
    return str(request.getfixturevalue("pg_url"))


class RawDb:
    """Direct SQL on a board's database behind the service's back, as an attacker with database access."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self.target = str(parsed.database) if self.sqlite else url

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """Run one statement after removing the append-only triggers (which an administrator can do)."""
        if self.sqlite:
            conn = sqlite3.connect(self.target)
            try:
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
                    conn.execute(f"DROP TRIGGER {name}")
                conn.execute(sql.replace("%s", "?"), params)
                conn.commit()
            finally:
                conn.close()
        else:
            with psycopg.connect(self.target) as conn:
                for table in ("entries", "nodes", "tree_heads"):
                    conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # type: ignore[arg-type]
                conn.execute(sql, params)  # type: ignore[arg-type]

    def scalar(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        if self.sqlite:
            conn = sqlite3.connect(self.target)
            try:
                row = conn.execute(sql.replace("%s", "?"), params).fetchone()
            finally:
                conn.close()
        else:
            with psycopg.connect(self.target) as pg:
                row = pg.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]


# --------------------------------------------------------------------------------------------- servers


@dataclass
class LiveService:
    """The app of one board served on loopback by uvicorn in a thread of the test process."""

    url: str
    db_url: str
    election: BoardElection
    setup: Setup
    clients: list[httpx.Client] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"LiveService({self.url}, {self.db_url})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' printer
        p.text(repr(self))

    def client(self, timeout: float = 60.0) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=timeout)
        self.clients.append(c)
        return c

    def size(self) -> int:
        return self.election.board.size()

    def open(self) -> None:
        r = httpx.post(f"{self.url}/api/admin/open", headers=ADMIN, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["fingerprint"] == self.setup.ctx.fingerprint.hex()


@contextlib.contextmanager
def live_service(
    db_url: str, setup: Setup, check_workers: int = 0, election: BoardElection | None = None
) -> Iterator[LiveService]:
    """The board at ``db_url`` served on loopback: opened as ``serve`` opens it (audit, import of the prepared
    record), or ``election`` as given (closed on exit too)."""
    if election is None:
        election = open_election(db_url, BOARD_KEY, setup.path, check_workers=check_workers)
    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            svc = LiveService(server.url, db_url, election, setup)
            try:
                yield svc
            finally:
                for c in svc.clients:
                    c.close()
    finally:
        election.close()


@pytest.fixture
def service(db_url: str, yesno_setup: Setup) -> Iterator[LiveService]:
    """A fresh board holding the prepared yes/no election, served on loopback; voting not yet open."""
    with live_service(db_url, yesno_setup) as svc:
        yield svc


class ServerProcess:
    """``python -m plebiscite.cli.main serve`` in its own process group; restartable on the same database."""

    def __init__(self, db_url: str, record: Path, workdir: Path, check_workers: int = 1) -> None:
        self.db_url = db_url
        self.record = record
        self.workdir = workdir
        self.check_workers = check_workers
        self.key_file = workdir / "board-key.hex"
        self.token_file = workdir / "admin-token.txt"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.starts = 0
        workdir.mkdir(parents=True, exist_ok=True)
        if not self.token_file.exists():
            self.token_file.write_text(TOKEN + "\n")

    def start(self, timeout: float = 60.0) -> str:
        assert self.proc is None, "already running"
        port = free_port()
        self.starts += 1
        log = (self.workdir / f"server-{self.starts}.log").open("wb")
        command = [
            sys.executable, "-m", "plebiscite.cli.main", "serve",
            "--db", self.db_url, "--record", str(self.record),
            "--board-key-file", str(self.key_file), "--admin-token-file", str(self.token_file),
            "--host", "127.0.0.1", "--port", str(port), "--check-workers", str(self.check_workers),
        ]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self.url
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("server-*.log")))

    def kill(self) -> None:
        """SIGKILL the server and everything in its process group (its check workers)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if it takes too long."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):  # leftover workers, or a server that hung
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None


# --------------------------------------------------------------------------------------------- receipts


def verify_receipt_locally(receipt: dict[str, Any], board_key: bytes) -> SignedTreeHead:
    """Check a receipt on its own (no board): signed head, inclusion proof, leaf is this ballot."""
    assert receipt["format"] == "plebiscite-receipt/1"
    head = SignedTreeHead.from_dict(receipt["tree_head"])
    verify_tree_head(head, board_key)
    leaf = bytes.fromhex(receipt["leaf"])
    proof = [bytes.fromhex(h) for h in receipt["inclusion_proof"]]
    verify_inclusion(leaf_hash(leaf), receipt["index"], head.tree_size, proof, head.root)
    assert b'"type":"ballot"' in leaf
    return head


def check_consistent(client: httpx.Client, key: bytes, old: SignedTreeHead, new: SignedTreeHead) -> None:
    """Ask the board for a consistency proof from ``old`` to ``new`` and verify both signatures and the proof."""
    proof: list[bytes] = []
    if old.tree_size < new.tree_size:
        r = client.get("/api/board/consistency", params={"first": old.tree_size, "second": new.tree_size})
        assert r.status_code == 200, r.text
        proof = [bytes.fromhex(h) for h in r.json()["proof"]]
    verify_heads_consistent(old, new, proof, key)
