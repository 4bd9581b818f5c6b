"""Database plumbing shared by the board: schema, engines per backend, transactions that lock, retries.

Two backends behind one SQLAlchemy Core schema:

* SQLite (``sqlite:///path.db``): WAL journal, ``synchronous=FULL`` (each commit is fsynced before it
  returns), writers serialised with ``BEGIN IMMEDIATE`` plus a busy timeout.  Readers never block writers.
* PostgreSQL (``postgresql://...``, driven by psycopg 3): writers serialised with
  ``LOCK TABLE entries IN EXCLUSIVE MODE`` inside the transaction, which still lets readers through.

Both lock across threads *and* processes, so ``max(idx) + 1`` read under the lock is the next free index.
Append-only is enforced twice: the code has no UPDATE/DELETE path, and triggers refuse them in the database.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from plebiscite.board.errors import BoardConfigError, StorageError

__all__ = ["SCHEMA_VERSION", "Database", "cosignatures", "entries", "meta", "metadata", "nodes", "tree_heads"]

SCHEMA_VERSION = "1"
_IDX = BigInteger().with_variant(Integer, "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid: no extra index

metadata = MetaData()
entries = Table(
    "entries",
    metadata,
    Column("idx", _IDX, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("leaf", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("dedup_key", String(256), nullable=True, unique=True),
    Column("created_at", BigInteger, nullable=False),
)
#: Interior node hashes (level >= 1) of perfect subtrees, written once when the subtree completes.
nodes = Table(
    "nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
tree_heads = Table(
    "tree_heads",
    metadata,
    Column("tree_size", _IDX, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)
#: Witnesses' cosignatures on stored heads (docs/board.md §4), at most one per witness and head; a table added
#: after schema version 1, created on an existing database by ``create_all`` like any missing table.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(64), primary_key=True),
    Column("cosigned_at", BigInteger, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

_GUARDED = ("entries", "nodes", "tree_heads", "cosignatures")
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'plebiscite board: {table} is append-only ({op} refused)'); END"
    for table in _GUARDED
    for op in ("UPDATE", "DELETE")
]
_PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION plebiscite_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION USING MESSAGE = 'plebiscite board: ' || TG_TABLE_NAME || ' is append-only ('"
    " || TG_OP || ' refused)'; END $$",
    *(
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION plebiscite_append_only()"
        for table in _GUARDED
    ),
    *(
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION plebiscite_append_only()"
        for table in _GUARDED
    ),
]
_PG_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_T = TypeVar("_T")


def _normalise_url(url: str) -> tuple[Any, str]:
    if not isinstance(url, str) or not url:
        raise BoardConfigError("database URL must be a non-empty string")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BoardConfigError(f"cannot parse database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if (
            not parsed.database
            or parsed.database == ":memory:"
            or parsed.database.startswith("file::memory:")
        ):
            raise BoardConfigError("in-memory SQLite is not durable; give a file, e.g. sqlite:///board.db")
        return parsed.set(drivername="sqlite+pysqlite"), "sqlite"
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg"), "postgresql"
    raise BoardConfigError(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:///path.db or postgresql://..."
    )


class Database:
    """An engine plus the locking discipline of one backend."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        """Create the engine for ``url``; nothing is created in the database until :meth:`create_schema`."""
        parsed, self.backend = _normalise_url(url)
        self.busy_timeout_s = busy_timeout_s
        if self.backend == "sqlite":
            self.engine: Engine = create_engine(
                parsed,
                connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
                pool_size=8,
                max_overflow=24,
                pool_timeout=60,
            )
            self._install_sqlite_hooks()
        else:
            self.engine = create_engine(parsed, pool_size=8, max_overflow=24, pool_timeout=60)

    def _install_sqlite_hooks(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            # Take transactions away from the driver so BEGIN is ours (IMMEDIATE for writers).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("plebiscite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (SQLite: one snapshot for all statements; PostgreSQL: read committed)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, *lock_tables: str) -> Iterator[Connection]:
        """A transaction holding the cross-process write lock; commits on normal exit, rolls back on error.

        SQLite has one database-wide write lock (``BEGIN IMMEDIATE``); PostgreSQL locks ``lock_tables`` (default
        ``entries``) in EXCLUSIVE mode, which conflicts with every writer of those tables but with no reader.
        Several tables are locked in the order given: always ``entries`` before ``tree_heads``.
        """
        tables = ", ".join(lock_tables or ("entries",))
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn.execution_options(plebiscite_begin="IMMEDIATE")
            with conn.begin():
                if self.backend == "postgresql":
                    conn.exec_driver_sql(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
                yield conn

    def is_retryable(self, exc: BaseException) -> bool:
        """True for lock contention and serialisation failures, after which the transaction rolled back."""
        if not isinstance(exc, DBAPIError):
            return False
        if self.backend == "sqlite":
            text = str(exc.orig).lower()
            return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)
        return getattr(exc.orig, "sqlstate", None) in _PG_RETRY_SQLSTATES

    def retry(self, operation: Callable[[], _T], *, what: str, attempts: int = 8) -> _T:
        """Run ``operation`` and re-run it on contention, with jittered exponential backoff.

        Any other database error becomes :class:`StorageError` at once (it may be ambiguous whether a
        failed commit happened, so it is never blindly repeated).
        """
        delay = 0.005
        for attempt in range(1, attempts + 1):
            try:
                return operation()
            except DBAPIError as exc:
                if not self.is_retryable(exc) or attempt == attempts:
                    raise StorageError(f"{what} failed: {exc.orig}") from exc
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def create_schema(self) -> None:
        """Create tables and append-only triggers once, safely even if several processes open at once."""

        def create() -> None:
            if self.backend == "sqlite":
                with self.write() as conn:
                    metadata.create_all(conn)
                    for statement in _SQLITE_TRIGGERS:
                        conn.exec_driver_sql(statement)
            else:
                with self.engine.connect() as conn, conn.begin():
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7305392480138526401)")
                    metadata.create_all(conn)
                    for statement in _PG_TRIGGERS:
                        conn.exec_driver_sql(statement)

        self.retry(create, what="creating the board schema")
