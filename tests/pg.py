"""Throwaway PostgreSQL for tests, reusable from any test folder.

Usage in a ``conftest.py`` (pytest puts the rootdir on ``sys.path``, so ``tests`` imports as a package)::

    from tests.pg import pg_server, pg_url

    __all__ = ["pg_server", "pg_url"]  # re-exported fixtures

``pg_server`` (session) yields a server URL; ``pg_url`` (per test) yields the URL of a fresh, empty
database on it, dropped afterwards.  If ``PLEBISCITE_TEST_PG_URL`` is set, that server is used instead (its
role needs CREATEDB).  Otherwise a private cluster is created with ``initdb`` in a temporary directory,
listening on a free port on 127.0.0.1 only (trust auth; the socket lives in the temporary directory), and
stopped at the end of the session.  When run as root, the binaries run as the ``postgres`` OS user, since
PostgreSQL refuses to run as root.  Missing binaries skip the tests — or fail them when ``CI`` is set, so a
misconfigured CI cannot pass by skipping.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

__all__ = ["PostgresCluster", "create_database", "drop_database", "find_pg_bin", "pg_server", "pg_url"]

ENV_URL = "PLEBISCITE_TEST_PG_URL"
ENV_BIN = "PLEBISCITE_PG_BIN"


def find_pg_bin() -> Path | None:
    """Directory holding initdb/pg_ctl: $PLEBISCITE_PG_BIN, /usr/lib/postgresql/<newest>/bin, or PATH."""
    candidates = [os.environ.get(ENV_BIN, "")]
    candidates += ["/usr/lib/postgresql/15/bin"]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory; ``start()`` returns its server URL."""

    def __init__(self, bin_dir: Path, *, fsync: bool = False) -> None:
        """``fsync=False`` (the default) trades crash safety, which tests do not need, for speed."""
        self.bin_dir = bin_dir
        self.fsync = fsync
        self.root: Path | None = None
        self.url: str | None = None
        self._as_user: list[str] = []

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [*self._as_user, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self) -> str:
        """initdb + pg_ctl start; retries with another port if the chosen one was taken meanwhile."""
        self.root = Path(tempfile.mkdtemp(prefix="plebiscite-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root but there is no 'postgres' OS user to run PostgreSQL"
                ) from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.root / "data"
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        last_error: Exception | None = None
        for _ in range(5):
            port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {self.root} -c max_connections=300"
            if not self.fsync:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "server.log"),
                    "-o", options, "-w", "-t", "60", "start",
                )  # fmt: skip
            except RuntimeError as exc:
                last_error = exc
                continue
            self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            return self.url
        raise RuntimeError(f"could not start PostgreSQL: {last_error}")

    def stop(self) -> None:
        """Stop the server (fast mode) and delete its directory; safe to call twice."""
        if self.root is None:
            return
        root, self.root = self.root, None
        if self.url is not None:
            with contextlib.suppress(Exception):
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


_lock = threading.Lock()
_cluster: PostgresCluster | None = None


def _server_url() -> str:
    """The session's server URL: the env var, or one shared private cluster started on first use."""
    global _cluster
    from_env = os.environ.get(ENV_URL)
    if from_env:
        return from_env
    with _lock:
        if _cluster is None or _cluster.url is None:
            bin_dir = find_pg_bin()
            if bin_dir is None:
                message = (
                    f"PostgreSQL binaries (initdb, pg_ctl) not found; install PostgreSQL 15, set {ENV_BIN}, "
                    f"or point {ENV_URL} at a server"
                )
                if os.environ.get("CI"):
                    pytest.fail(message)
                pytest.skip(message)
            _cluster = PostgresCluster(bin_dir)
            atexit.register(_cluster.stop)
            _cluster.start()
        assert _cluster.url is not None
        return _cluster.url


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    query = url.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def create_database(server_url: str) -> str:
    """Create a uniquely named empty database on the server and return its URL."""
    name = f"plebiscite_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_url(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return _with_database(server_url, name)


def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database made by :func:`create_database`, disconnecting stragglers."""
    name = database_url.rpartition("/")[2].partition("?")[0]
    with psycopg.connect(_psycopg_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server for the whole session (skips/fails as described in the module doc)."""
    yield _server_url()
    global _cluster
    with _lock:
        if _cluster is not None:
            _cluster.stop()
            _cluster = None


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """URL of a fresh, empty database, dropped after the test."""
    url = create_database(pg_server)
    yield url
    drop_database(pg_server, url)
