"""A witness's state directory: its Ed25519 key (``witness-key.hex``, 0600) and ``witness.db`` (SQLite).

``witness.db`` holds the board it watches (``meta``) and every head it cosigned with its cosignature
(``cosigned``). A cosignature is written here, durably (``synchronous=FULL``, committed), *before* it is released
to anyone, and the write re-checks the rule inside one ``BEGIN IMMEDIATE`` transaction: a larger tree than the last
one cosigned, or the very same head again. So a witness killed at any moment, restarted, or run twice on one state
by mistake still never cosigns two roots at one size or a smaller tree after a larger one.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import nacl.signing

from plebiscite.canonical import hex_bytes
from plebiscite.merkle.cosign import Cosignature
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.secretfiles import SecretFileError, private_dir, write_private_text

__all__ = [
    "KEY_FILE",
    "STATE_FILE",
    "Cosigned",
    "RefusedHead",
    "WitnessState",
    "WitnessStateError",
    "init_state",
]

KEY_FILE = "witness-key.hex"
STATE_FILE = "witness.db"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cosigned (tree_size INTEGER PRIMARY KEY, root_hash TEXT NOT NULL, "
    "head TEXT NOT NULL, cosignature TEXT NOT NULL, posted INTEGER NOT NULL DEFAULT 0)",
)


class WitnessStateError(ValueError):
    """The state directory is missing, damaged, or belongs to another board."""


class RefusedHead(Exception):
    """The head breaks the witness's rule against what it cosigned before; ``last`` is that earlier head."""

    def __init__(self, reason: str, last: Cosigned) -> None:
        super().__init__(reason)
        self.reason = reason
        self.last = last


@dataclass(frozen=True)
class Cosigned:
    head: SignedTreeHead
    cosignature: Cosignature
    posted: bool


def init_state(directory: Path) -> nacl.signing.VerifyKey:
    """Make a new witness in ``directory`` (0700): a fresh key (0600) and an empty state; refuses an existing one."""
    try:
        private_dir(directory)
        write_private_text(directory / KEY_FILE, secrets.token_bytes(32).hex() + "\n")
    except SecretFileError as exc:
        raise WitnessStateError(str(exc)) from None
    WitnessState(directory).close()
    return load_key(directory).verify_key


def load_key(directory: Path) -> nacl.signing.SigningKey:
    path = directory / KEY_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise WitnessStateError(
            f"{path}: no witness key here (run `plebiscite witness init --state DIR`)"
        ) from None
    try:
        return nacl.signing.SigningKey(hex_bytes(text, 32, str(path)))
    except ValueError:
        raise WitnessStateError(f"{path}: not a 32-byte hex seed") from None


class WitnessState:
    """The witness's durable memory (one SQLite file); every write is one committed, fsynced transaction."""

    def __init__(self, directory: Path) -> None:
        path = directory / STATE_FILE
        if not directory.is_dir():
            raise WitnessStateError(f"{directory}: no such witness state directory")
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("PRAGMA journal_mode = WAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def bind_board(self, board_key: str) -> None:
        """Remember the board this state watches; refuse to use it for another board."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'board_key'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('board_key', ?)", (board_key,))
            elif row[0] != board_key:
                raise WitnessStateError(
                    f"this witness state watches the board with key {row[0]}, not {board_key}: use one state "
                    "directory per board"
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def last(self) -> Cosigned | None:
        """The largest head this witness cosigned, or None."""
        row = self._db.execute(
            "SELECT head, cosignature, posted FROM cosigned ORDER BY tree_size DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _cosigned(row)

    def unposted(self) -> list[Cosigned]:
        """Cosignatures written but not yet acknowledged by the board (a crash or an unreachable board)."""
        rows = self._db.execute(
            "SELECT head, cosignature, posted FROM cosigned WHERE posted = 0 ORDER BY tree_size"
        ).fetchall()
        return [_cosigned(r) for r in rows]

    def record(self, head: SignedTreeHead, cosignature: Cosignature) -> Cosigned:
        """Write the cosignature durably if the rule allows it; raise :class:`RefusedHead` if it does not.

        The same head again returns what was stored (its first cosignature). Checked under the write lock, so two
        processes sharing the state cannot both pass.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute(
                "SELECT head, cosignature, posted FROM cosigned ORDER BY tree_size DESC LIMIT 1"
            ).fetchone()
            last = None if row is None else _cosigned(row)
            if last is not None:
                if head.tree_size < last.head.tree_size:
                    raise RefusedHead(
                        f"size {head.tree_size} is smaller than the head of size {last.head.tree_size} this "
                        "witness cosigned",
                        last,
                    )
                if head.tree_size == last.head.tree_size:
                    if head.root_hash != last.head.root_hash:
                        raise RefusedHead(
                            f"a second root for size {head.tree_size}: this witness cosigned "
                            f"{last.head.root_hash}, the board now shows {head.root_hash}",
                            last,
                        )
                    self._db.execute("COMMIT")
                    return last
            self._db.execute(
                "INSERT INTO cosigned (tree_size, root_hash, head, cosignature) VALUES (?, ?, ?, ?)",
                (head.tree_size, head.root_hash, head.to_json(), cosignature.model_dump_json()),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return Cosigned(head, cosignature, False)

    def mark_posted(self, tree_size: int) -> None:
        self._db.execute("UPDATE cosigned SET posted = 1 WHERE tree_size = ?", (tree_size,))


def _cosigned(row: tuple[str, str, int]) -> Cosigned:
    try:
        return Cosigned(
            SignedTreeHead.from_json(row[0]), Cosignature.model_validate_json(row[1]), bool(row[2])
        )
    except ValueError as exc:
        raise WitnessStateError(f"{STATE_FILE}: a damaged row ({exc})") from None


def open_state(directory: Path) -> tuple[WitnessState, nacl.signing.SigningKey]:
    key = load_key(directory)
    return WitnessState(directory), key
