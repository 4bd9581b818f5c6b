"""Reading a record line by line, never whole: what lets one machine verify a national referendum.

A million-ballot ``events.jsonl`` is about 1.1 GB; parsed into Python objects it would be six times that. The
verifier therefore streams it: :class:`EventLines` yields ``(index, line)`` from a record directory or a zip,
reading a block at a time, and can stream the file again (the verifier reads it twice: once for everything but the
ballots' contents, once for the ballots, in chunks, in its worker processes).

Ballot lines are recognised without parsing: an event line is canonical JSON with its keys sorted, so it ends with
its type, and a standard ballot's line ends with ``,"type":"ballot"}``. Whoever reads such a line later parses it
in full (:func:`plebiscite.record.store.parse_event`), which refuses it if it is anything else.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from plebiscite.record.store import (
    BOARD_FILE,
    COSIGNATURES_FILE,
    EVENTS_FILE,
    HEADER_FILE,
    HEADS_FILE,
    RecordError,
    _check_header,
    heads_from_blob,
    key_from_blob,
)

BALLOT_SUFFIX = b',"type":"ballot"}'


def is_ballot_line(line: bytes) -> bool:
    """Whether a canonical event line is a standard ``ballot`` event (decided from its last bytes)."""
    return line.endswith(BALLOT_SUFFIX)


class EventLines:
    """The event lines of the record at ``path`` (a directory or a zip), streamed; the small files read at once."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise RecordError(f"{path}: no such file or directory")
        self.path = path
        self.where = f"{path}/{EVENTS_FILE}"
        self._zip_members: dict[str, str] | None = None
        if not path.is_dir():
            try:
                with zipfile.ZipFile(path) as z:
                    self._zip_members = {Path(m).name: m for m in z.namelist()}
            except zipfile.BadZipFile:
                raise RecordError(f"{path}: neither a record directory nor a zip file") from None
        for name in (HEADER_FILE, EVENTS_FILE):
            if not self._has(name):
                raise RecordError(f"{path}: missing {name}")
        _check_header(self._small(HEADER_FILE) or b"", f"{path}/{HEADER_FILE}")

    def _has(self, name: str) -> bool:
        if self._zip_members is None:
            return (self.path / name).exists()
        return name in self._zip_members

    def _small(self, name: str) -> bytes | None:
        if not self._has(name):
            return None
        if self._zip_members is None:
            return (self.path / name).read_bytes()
        with zipfile.ZipFile(self.path) as z:
            return z.read(self._zip_members[name])

    def heads(self) -> list[dict[str, Any]]:
        """Signed tree heads saved with the record (may be empty)."""
        return heads_from_blob(self._small(HEADS_FILE) or b"", self.path)

    def cosignatures(self) -> list[dict[str, Any]]:
        """The witnesses' cosignatures saved with the record (``cosignatures.jsonl``; may be empty)."""
        return heads_from_blob(self._small(COSIGNATURES_FILE) or b"", self.path, COSIGNATURES_FILE)

    def board_key(self) -> str | None:
        blob = self._small(BOARD_FILE)
        return None if blob is None else key_from_blob(blob, self.path)

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """Every line, without its newline, with its index; a last line without a newline is a truncated record."""
        with self._open() as f:
            for index, line in enumerate(f):
                if not line.endswith(b"\n"):
                    raise RecordError(f"{self.where}: truncated (the last line has no newline)")
                yield index, line[:-1]

    def blocks(self, size: int = 1 << 23) -> Iterator[bytes]:
        """The same lines as :meth:`__iter__`, as blocks of whole lines of about ``size`` bytes, each ending with a
        newline (a line longer than ``size`` makes a block of its own); a truncated last line is refused alike."""
        with self._open() as f:
            pieces: list[bytes] = []
            while piece := f.read(size):
                cut = piece.rfind(b"\n")
                if cut < 0:
                    pieces.append(piece)
                    continue
                pieces.append(piece[: cut + 1])
                block = [b"".join(pieces)]
                pieces = [piece[cut + 1 :]] if cut + 1 < len(piece) else []
                del piece
                yield block.pop()  # held by the reader only: a national roll's line is not kept twice
            if pieces:
                raise RecordError(f"{self.where}: truncated (the last line has no newline)")

    def other_lines(self, name: str) -> Iterator[bytes]:
        """The lines of another file of the record (``heads.jsonl``, ``cosignatures.jsonl``), streamed; none if it
        is absent (a restore reads a national record's heads this way, never whole)."""
        if not self._has(name):
            return
        with self._open(name) as f:
            for line in f:
                yield line.rstrip(b"\r\n")

    def _open(self, name: str = EVENTS_FILE) -> AbstractContextManager[IO[bytes]]:
        if self._zip_members is None:
            return open(self.path / name, "rb", buffering=1 << 20)
        z = zipfile.ZipFile(self.path)
        return _ClosingMember(z, z.open(self._zip_members[name]))


class _ClosingMember:
    """A zip member's stream that closes its archive too."""

    def __init__(self, archive: zipfile.ZipFile, member: IO[bytes]) -> None:
        self._archive, self._member = archive, member

    def __enter__(self) -> IO[bytes]:
        return self._member

    def __exit__(self, *_exc: object) -> None:
        self._member.close()
        self._archive.close()
