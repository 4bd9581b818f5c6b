"""Plain value types exchanged with the board (immutable, hashable, cheap)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plebiscite.board.errors import InvalidEntryError

if TYPE_CHECKING:
    from plebiscite.merkle.cosign import Cosignature
    from plebiscite.merkle.heads import SignedTreeHead

__all__ = [
    "MAX_DEDUP_KEY_CHARS",
    "MAX_KIND_CHARS",
    "MAX_LEAF_BYTES",
    "AppendResult",
    "Entry",
    "IntegrityProblem",
    "NewEntry",
    "RestoreChunk",
]

MAX_KIND_CHARS = 64
MAX_DEDUP_KEY_CHARS = 256
#: Generous cap so a runaway caller cannot make one transaction (and every mirror) swallow gigabytes.
MAX_LEAF_BYTES = 16 * 1024 * 1024
_KIND_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append: its type tag, its canonical bytes (the Merkle leaf), an optional dedup key.

    ``kind`` is a short ASCII tag (letters, digits, ``_.:/-``, at most 64 chars).  ``dedup_key`` makes the
    append idempotent: appending the same key again returns the first entry instead of a new one.
    """

    kind: str
    leaf: bytes
    dedup_key: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not _KIND_RE.fullmatch(self.kind):
            raise InvalidEntryError(
                f"kind must be 1-{MAX_KIND_CHARS} chars of letters, digits or _.:/- starting with a letter "
                f"or digit, got {self.kind!r}"
            )
        if len(self.kind) > MAX_KIND_CHARS:
            raise InvalidEntryError(f"kind is {len(self.kind)} chars, the limit is {MAX_KIND_CHARS}")
        if isinstance(self.leaf, bytearray | memoryview):
            object.__setattr__(self, "leaf", bytes(self.leaf))
        if not isinstance(self.leaf, bytes):
            raise InvalidEntryError(f"leaf must be bytes, not {type(self.leaf).__name__}")
        if len(self.leaf) > MAX_LEAF_BYTES:
            raise InvalidEntryError(f"leaf is {len(self.leaf)} bytes, the limit is {MAX_LEAF_BYTES}")
        key = self.dedup_key
        if key is None:
            return
        if not isinstance(key, str) or not key:
            raise InvalidEntryError(f"dedup_key must be a non-empty str or None, got {key!r}")
        if len(key) > MAX_DEDUP_KEY_CHARS:
            raise InvalidEntryError(f"dedup_key is {len(key)} chars, the limit is {MAX_DEDUP_KEY_CHARS}")
        if "\x00" in key:  # PostgreSQL text cannot hold NUL; refuse it everywhere so backends agree
            raise InvalidEntryError("dedup_key must not contain NUL characters")
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidEntryError("dedup_key must be encodable as UTF-8 (no lone surrogates)") from None


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an appended entry lives.  ``existing`` is True when its dedup_key was already on the board.

    For an existing entry, ``leaf_hash`` is the stored entry's: compare it with ``leaf_hash(leaf)`` to tell an
    idempotent retry (equal) from a conflicting reuse of the key (different).
    """

    index: int
    leaf_hash: bytes
    existing: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored entry.

    Only ``leaf`` is covered by the Merkle tree; ``kind``, ``dedup_key`` and ``created_at`` (ms since the
    epoch, when the board stored it) are indexing metadata, so anything that must be verifiable has to be
    inside the leaf bytes.
    """

    index: int
    kind: str
    leaf: bytes
    leaf_hash: bytes
    dedup_key: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class IntegrityProblem:
    """One inconsistency found by ``Board.check_integrity``: a stable ``code``, where, and a human detail."""

    code: str
    detail: str
    index: int | None = None

    def __str__(self) -> str:
        where = "" if self.index is None else f" at {self.index}"
        return f"{self.code}{where}: {self.detail}"


@dataclass(frozen=True, slots=True)
class RestoreChunk:
    """A checked slice of a board's own log being restored (``Board.restore``, ``board/restore.py``): at most
    ``MAX_PAGE`` entries with their leaf hashes, and the signed heads ending within it with their witnesses'
    cosignatures. A restore holds one chunk at a time, never the record."""

    entries: Sequence[NewEntry]
    hashes: Sequence[bytes]
    heads: Sequence[SignedTreeHead]
    cosigned: Sequence[tuple[int, Cosignature]]
