"""The verifier's first pass in the native extension (``native/src/scan.rs``), a block of lines at a time.

The same pass as :func:`plebiscite.verify.scan.scan_lines` with the signed heads' :class:`HeadsStream` fed every
line, the same :class:`Scan` as its answer, but the per-line work — cutting the lines, the Merkle leaves and the
roots at the heads' sizes, telling the standard ballots apart, their digest and their normal form — is done in
Rust: about 2 µs a ballot line instead of 7.5 (docs/native.md §6.3). Python still parses every line that is not a
standard ballot, exactly as the Python pass does; the ballot lines are handed, in record order, to ``on_ballots``
(the verifier's speculative check, ``verify/speculate.py``), with the events kept so far.
"""

from __future__ import annotations

from collections.abc import Callable

from plebiscite import native
from plebiscite.record import events as ev
from plebiscite.record.store import parse_event
from plebiscite.record.stream import EventLines
from plebiscite.verify.ballots import Lines
from plebiscite.verify.heads import HeadsStream
from plebiscite.verify.scan import Scan, keep_event

OnBallots = Callable[[Scan, Lines], None]

BLOCK = 1 << 20
"""Bytes read a block (whole lines: a longer line makes a block of its own)."""


def _ignore(_scan: Scan, _lines: Lines) -> None:
    pass


def scan_blocks(
    source: EventLines,
    ballot_types: frozenset[str],
    stream: HeadsStream | None,
    on_ballots: OnBallots = _ignore,
    on_lines: Callable[[int], None] | None = None,
) -> Scan:
    """The first pass over ``source`` in the extension; ``stream`` (the signed heads, if any) is settled and
    finished here. ``on_lines`` hears how many lines were read so far."""
    wanted = None if stream is None else stream.wanted_sizes()
    scanner = native.call("LineScanner", wanted)
    scan = Scan()
    read = 0
    for block in source.blocks(BLOCK):
        others, ballots, not_normal = native.invoke(scanner.feed, block)
        del block  # the lines are copied out: a roll's line of tens of megabytes is not kept twice
        lines = len(others) + len(ballots)
        scan.types.extend([ev.BALLOT] * lines)
        for index, line in others:
            event = parse_event(index, line, f"{source.where} line {index + 1}")
            scan.types[index] = event.type
            keep_event(scan, event, ballot_types, light=True)
        scan.not_normal += not_normal
        scan.ballots += len(ballots)
        read += lines
        if ballots:
            on_ballots(scan, ballots)
        if on_lines is not None:
            on_lines(read)
    size, roots, scan.ballot_digest = native.invoke(scanner.finish)
    scan.not_normal.sort()
    if stream is not None:
        stream.settle(size, dict(roots))
        stream.finish()
    return scan
