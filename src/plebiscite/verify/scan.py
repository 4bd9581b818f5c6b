"""The verifier's first pass over a record: everything but the contents of the standard ballots.

It keeps every event's type (for the phase order), parses and keeps every event that is not a standard ballot
(setup, challenges, close, tally, decryptions — and every event of an optional mode, whose verifier needs its
lists whole), feeds every line to the signed-heads check, and notes which ballot lines are not in normal form. The
standard ballots themselves are read again later, in chunks, by the workers that check them
(:class:`BallotLines`), so a record's size in memory is its events other than ballots plus a few dozen bytes a
ballot. (With the native engine, ``verify/scan_native.py`` does this pass in the extension and the workers check
the ballot lines as it reads them, ``verify/speculate.py``; only the few ballots that do not count are read again.)
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from plebiscite.record import events as ev
from plebiscite.record.store import RecordError, parse_event
from plebiscite.record.stream import EventLines, is_ballot_line
from plebiscite.verify.ballots import Lines

LARGE_LINE = 1 << 16
"""Lines longer than this (a national roll or tally: tens of megabytes) are kept parsed but not also as bytes:
nothing after the first pass reads them (heads and normal form are checked on the way)."""


@dataclass
class Scan:
    types: list[str] = field(default_factory=list)
    """Every event's type, by index."""
    events: list[ev.Event] = field(default_factory=list)
    """Every event except the standard ballots, parsed, in record order."""
    ballots: int = 0
    not_normal: list[int] = field(default_factory=list)
    """Ballot events (of any mode) whose line is not in the board's normal form (check 1)."""
    ballot_digest: bytes = b""
    """SHA-256 over the standard ballots' indices and lines: a second reading must see the same ballots."""


class BallotLines(Protocol):
    """Where the standard ballots' lines can be read again: in chunks, and a chosen few."""

    def chunks(self, size: int) -> Iterator[Lines]: ...

    def pick(self, indices: set[int]) -> Lines: ...


def in_normal_form(ballot_line: bytes) -> bool:
    """Whether a ballot event's line spells its hex as the board writes it (``Ballot.to_json``).

    Besides hex, a ballot line holds only its fixed keys, whose sole capitals are the proofs' ``"A"`` and ``"B"``.
    So, those two keys aside, no capital and no space means the normal form; the decoder's exact lengths and
    lowercase rule do the rest (``docs/protocol.md`` §1).
    """
    if b" " in ballot_line:
        return False
    keys_aside = ballot_line.replace(b'"A":', b"").replace(b'"B":', b"")
    return keys_aside == keys_aside.lower()


def scan_lines(
    lines: Iterable[tuple[int, bytes]],
    where: str,
    ballot_types: frozenset[str],
    on_line: Callable[[bytes], None] | None = None,
    normal_form: Callable[[bytes], bool] = in_normal_form,
) -> Scan:
    """The first pass over streamed lines; ``on_line`` sees every line (the signed-heads check). ``normal_form``
    decides check 1 for the standard ballots: :func:`in_normal_form` or its native twin (the same answer)."""
    scan = Scan()
    digest = BallotDigest()
    for index, line in lines:
        if on_line is not None:
            on_line(line)
        if is_ballot_line(line):
            scan.types.append(ev.BALLOT)
            scan.ballots += 1
            digest.add(index, line)
            if not normal_form(line):
                scan.not_normal.append(index)
            continue
        event = parse_event(index, line, f"{where} line {index + 1}")
        scan.types.append(event.type)
        keep_event(scan, event, ballot_types, light=True)
    scan.ballot_digest = digest.value()
    return scan


_FRAME = struct.Struct(">QQ")
"""A ballot line's index and length, 8 bytes each, big-endian, before the line in :class:`BallotDigest`."""


class BallotDigest:
    """A running SHA-256 of ballot lines with their indices (the file is read twice; both readings must agree)."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def add(self, index: int, line: bytes) -> None:
        self._h.update(_FRAME.pack(index, len(line)))
        self._h.update(line)

    def value(self) -> bytes:
        return self._h.digest()


def scan_events(
    events: Iterable[ev.Event], ballot_types: frozenset[str], on_line: Callable[[bytes], None] | None = None
) -> tuple[Scan, BallotLines]:
    """The same first pass over events already in memory, and their ballots as a :class:`BallotLines`."""
    scan = Scan()
    ballots: Lines = []
    for event in events:
        if on_line is not None:
            on_line(event.raw)
        if event.type == ev.BALLOT:
            scan.types.append(ev.BALLOT)
            scan.ballots += 1
            ballots.append((event.index, event.raw))
            if not in_normal_form(event.raw):
                scan.not_normal.append(event.index)
            continue
        scan.types.append(event.type)
        keep_event(scan, event, ballot_types)
    return scan, MemoryBallots(ballots)


def keep_event(scan: Scan, event: ev.Event, ballot_types: frozenset[str], light: bool = False) -> None:
    """Keep an event other than a standard ballot (its type is the caller's to note); ``light``: a very long line
    (:data:`LARGE_LINE`: the roll, the tally) is kept parsed only, once its normal form is checked."""
    if event.type in ballot_types and not in_normal_form(event.raw):
        scan.not_normal.append(event.index)
    if light and len(event.raw) > LARGE_LINE and event.type not in ballot_types:
        event = ev.Event(event.index, event.type, event.payload, b"")
    scan.events.append(event)


@dataclass
class MemoryBallots:
    lines: Lines

    def chunks(self, size: int) -> Iterator[Lines]:
        for start in range(0, len(self.lines), size):
            yield self.lines[start : start + size]

    def pick(self, indices: set[int]) -> Lines:
        return [(i, line) for i, line in self.lines if i in indices]


@dataclass
class FileBallots:
    """The standard ballots of a record on disk, streamed again from its file each time they are asked for.

    Each reading hashes the ballot lines it passes and compares the digest with the first pass's (``expected``): a
    file changed between the readings is refused rather than verified half old, half new.
    """

    source: EventLines
    expected: bytes

    def chunks(self, size: int) -> Iterator[Lines]:
        chunk: Lines = []
        for index, line in self._ballots():
            chunk.append((index, line))
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def pick(self, indices: set[int]) -> Lines:
        if not indices:
            return []
        return [(i, line) for i, line in self._ballots() if i in indices]

    def _ballots(self) -> Iterator[tuple[int, bytes]]:
        digest = BallotDigest()
        for index, line in self.source:
            if is_ballot_line(line):
                digest.add(index, line)
                yield index, line
        if digest.value() != self.expected:
            raise RecordError(f"{self.source.where}: the file changed while it was being verified")
