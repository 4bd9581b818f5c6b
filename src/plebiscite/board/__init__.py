"""The public bulletin board's storage: an append-only RFC 9162 Merkle log with signed heads, in SQL.

``Board.open("sqlite:///board.db", signing_key)`` (or a ``postgresql://`` URL) is the entry point; the pure
Merkle and signed-head code it builds on lives in :mod:`plebiscite.merkle`.
"""

from plebiscite.board.errors import (
    BoardConfigError,
    BoardCorruptError,
    BoardError,
    EntryNotFoundError,
    InvalidArgumentError,
    InvalidEntryError,
    KeyMismatchError,
    ReadOnlyBoardError,
    StorageError,
    TreeSizeError,
)
from plebiscite.board.records import (
    MAX_DEDUP_KEY_CHARS,
    MAX_KIND_CHARS,
    MAX_LEAF_BYTES,
    AppendResult,
    Entry,
    IntegrityProblem,
    NewEntry,
)
from plebiscite.board.storage import Board

__all__ = [
    "MAX_DEDUP_KEY_CHARS",
    "MAX_KIND_CHARS",
    "MAX_LEAF_BYTES",
    "AppendResult",
    "Board",
    "BoardConfigError",
    "BoardCorruptError",
    "BoardError",
    "Entry",
    "EntryNotFoundError",
    "IntegrityProblem",
    "InvalidArgumentError",
    "InvalidEntryError",
    "KeyMismatchError",
    "NewEntry",
    "ReadOnlyBoardError",
    "StorageError",
    "TreeSizeError",
]
