"""Exceptions raised by the bulletin board storage; each names what was wrong and why."""

from __future__ import annotations

__all__ = [
    "BoardConfigError",
    "BoardCorruptError",
    "BoardError",
    "EntryNotFoundError",
    "InvalidArgumentError",
    "InvalidEntryError",
    "KeyMismatchError",
    "ReadOnlyBoardError",
    "StorageError",
    "TreeSizeError",
]


class BoardError(Exception):
    """Base class of every board error."""


class BoardConfigError(BoardError, ValueError):
    """The database URL or an option is unusable (e.g. in-memory SQLite, unknown scheme)."""


class InvalidArgumentError(BoardError, ValueError):
    """An argument of a read is unusable (negative index, page limit out of range, wrong type)."""


class InvalidEntryError(InvalidArgumentError):
    """An entry to append is malformed (kind, leaf or dedup_key); nothing was written."""


class EntryNotFoundError(BoardError, LookupError):
    """No entry at that index."""


class TreeSizeError(InvalidArgumentError):
    """A size or index outside the log as it stands (e.g. a proof for a size the log has not reached)."""


class KeyMismatchError(BoardError):
    """The signing key given at open is not the key this board's existing heads were signed with."""


class ReadOnlyBoardError(BoardError):
    """The board was opened without a signing key and was asked to sign."""


class BoardCorruptError(BoardError):
    """The database contradicts itself (missing node, head beyond the log...); run ``check_integrity``."""


class StorageError(BoardError):
    """The database failed (after retrying lock contention); the operation may not have happened."""
