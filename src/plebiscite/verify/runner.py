"""Run every check on a record and build the report.

The verifier imports only the group, the proofs, the protocol's pure functions and the record reader — never the
server, the board's storage or a database — so that anyone can read it as a specification of what "correct" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from plebiscite import native
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.stream import EventLines
from plebiscite.setup.election import ElectionContext
from plebiscite.verify import setup_checks
from plebiscite.verify.ballots import Lines
from plebiscite.verify.heads import HeadsStream, check_complete_without_heads
from plebiscite.verify.report import Report, new_report
from plebiscite.verify.scan import BallotLines, FileBallots, Scan, scan_events, scan_lines
from plebiscite.verify.scan_native import scan_blocks
from plebiscite.verify.speculate import Speculation
from plebiscite.verify.standard import BallotCluster, Prechecked, Progress, quiet, verify_standard

__all__ = [
    "EXTENSIONS",
    "BallotCluster",
    "Extension",
    "Progress",
    "verify_events",
    "verify_record",
    "verify_standard",
]
from plebiscite.verify.witnesses import check_witnesses


class Extension(Protocol):
    """An optional election mode's verification stage (e.g. the coercion-resistant tally).

    ``mode`` is the manifest's ``mode`` it serves; ``ranks`` places the mode's extra event types in the phase
    order and ``replaces`` names the standard types it has no place for (a record holds only its mode's types,
    check 1); ``ballot_types`` names its ballot events (whose lines must be in normal form, check 1); ``applies``
    says whether the election uses the mode; ``run`` replaces the standard ballot-and-tally checks for it (adding
    its own checks to the report).
    """

    mode: str
    ranks: dict[str, int]
    replaces: frozenset[str]
    ballot_types: frozenset[str]

    def applies(self, ctx: ElectionContext) -> bool: ...

    def run(
        self,
        report: Report,
        events: list[ev.Event],
        ctx: ElectionContext,
        outcome: Any,
        workers: int | None,
        engine: str,
    ) -> None: ...


EXTENSIONS: dict[str, Extension] = {}


def _load_extensions() -> None:
    """Optional modes register themselves in EXTENSIONS when their verification module is imported."""
    import importlib

    for name in ("plebiscite.coercion.verify_stage",):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name and not name.startswith(str(exc.name)):
                raise


_load_extensions()


def verify_record(
    path: Path,
    workers: int | None = None,
    cluster: BallotCluster | None = None,
    progress: Progress = quiet,
    allow_unsigned: bool = False,
    engine: str | None = None,
) -> Report:
    """Read the record at ``path`` (directory or zip) and verify it. Raises RecordError if it cannot be read.

    The record is streamed (``verify/scan.py``): memory grows with its events other than standard ballots and a
    few dozen bytes a ballot, not with the ballots' contents. ``cluster`` runs the per-ballot checks elsewhere
    (standard mode; an optional mode verifies locally). A record without signed heads fails check 19 (record
    complete) unless ``allow_unsigned``, which accepts it with a warning in the report. ``engine`` checks the
    standard ballots (``plebiscite.native``: ``native`` or ``reference``; ``None``, the default one).
    """
    engine = native.resolve(engine)
    source = EventLines(path)
    heads = source.heads()
    board_key = source.board_key() if heads else None
    mode = _mode_of(source)
    report, ext, ranks, ballot_types = _start(mode)
    stream = _heads_stream(report, heads, board_key, allow_unsigned, engine)
    read = 0

    def on_line(line: bytes) -> None:
        nonlocal read
        if stream is not None:
            stream.leaf(line)
        read += 1
        if read % 10_000 == 0:
            progress("reading", read, None)

    if engine != native.NATIVE:
        scan = scan_lines(source, source.where, ballot_types, on_line)
        if stream is not None:
            stream.finish()
        return _after_scan(
            report, scan, source, stream, _Run(ext, ranks, mode, workers, cluster, progress, engine)
        )
    checked = 0
    memo = setup_checks.RollMemo()

    def on_chunk(size: int) -> None:
        nonlocal checked
        checked += size
        progress("ballots", checked, None)

    ahead = (
        None
        if ext is not None or cluster is not None
        else Speculation(partial(_speculative_context, memo=memo), workers, on_chunk)
    )
    try:
        scan = scan_blocks(
            source, ballot_types, stream, ahead or _no_speculation, lambda n: progress("reading", n, None)
        )
        prechecked = None if ahead is None else ahead.result
        run = _Run(ext, ranks, mode, workers, cluster, progress, engine, prechecked, memo)
        return _after_scan(report, scan, source, stream, run)
    finally:
        if ahead is not None:
            ahead.close()


def _no_speculation(_scan: Scan, _lines: Lines) -> None:
    pass


@dataclass(frozen=True)
class _Run:
    """How a record is verified: its mode (extension, event ranks), where and by which engine the ballots are
    checked, and what the first pass prepared (``prechecked``: the ballots checked while it read them;
    ``memo``: its reading of the roll)."""

    ext: Extension | None
    ranks: dict[str, int]
    mode: str
    workers: int | None
    cluster: BallotCluster | None
    progress: Progress
    engine: str
    prechecked: Prechecked | None = None
    memo: setup_checks.RollMemo | None = None


def _after_scan(
    report: Report, scan: Scan, source: EventLines, stream: HeadsStream | None, run: _Run
) -> Report:
    """The checks after the first pass over a file (``stream``: finished)."""
    run.progress("reading", len(scan.types), len(scan.types))
    if stream is not None:
        stream.check_complete(report.by_name("record complete"))
    ballots = FileBallots(source, scan.ballot_digest)
    check_witnesses(report, scan.events, stream, source.cosignatures())
    return _verify(report, scan, ballots, run)


def verify_events(
    events: list[ev.Event],
    heads: list[dict[str, Any]] | None = None,
    workers: int | None = None,
    board_key: str | None = None,
    cluster: BallotCluster | None = None,
    progress: Progress = quiet,
    cosignatures: list[dict[str, Any]] | None = None,
    engine: str | None = None,
) -> Report:
    """Verify events already in memory (the same checks, in the same order, as :func:`verify_record`).

    With ``heads`` (possibly empty) checks 18 and 19 run as on a record; with ``heads=None`` the caller has only
    the events, so whether they are the complete record is not in question here and check 19 is not run.
    """
    engine = native.resolve(engine)
    mode = ev.declared_mode(events)
    report, ext, ranks, ballot_types = _start(mode)
    stream = None if heads is None else _heads_stream(report, heads, board_key, False, engine)
    scan, ballots = scan_events(events, ballot_types, None if stream is None else stream.leaf)
    if stream is not None:
        stream.finish()
        stream.check_complete(report.by_name("record complete"))
        check_witnesses(report, scan.events, stream, cosignatures or [])
    return _verify(report, scan, ballots, _Run(ext, ranks, mode, workers, cluster, progress, engine))


def _heads_stream(
    report: Report,
    heads: list[dict[str, Any]],
    board_key: str | None,
    allow_unsigned: bool,
    engine: str = native.REFERENCE,
) -> HeadsStream | None:
    """Checks 18 and 19 fed line by line; ``None`` for a record without heads, whose check 19 is settled here."""
    if heads:
        report.board_key = board_key
        return HeadsStream(report.by_name("board heads"), heads, board_key, engine)
    warning = check_complete_without_heads(report.by_name("record complete"), allow_unsigned)
    if warning is not None:
        report.warnings.append(warning)
    return None


def _mode_of(source: EventLines) -> str:
    for index, line in source:
        return ev.declared_mode([store.parse_event(index, line, f"{source.where} line 1")])
    return ev.STANDARD_MODE


def _start(mode: str) -> tuple[Report, Extension | None, dict[str, int], frozenset[str]]:
    """A new report, the mode's extension (None for the standard mode), its event ranks and ballot types."""
    ranks = dict(setup_checks.RANK)
    ballot_types = frozenset({ev.BALLOT})
    ext = next((x for x in EXTENSIONS.values() if x.mode == mode), None)
    if ext is not None:
        ranks = {t: r for t, r in ranks.items() if t not in ext.replaces} | ext.ranks
        ballot_types = ext.ballot_types
    return new_report(), ext, ranks, ballot_types


def _verify(report: Report, scan: Scan, ballots: BallotLines, run: _Run) -> Report:
    c = report.by_name
    report.engine = run.engine
    setup_checks.check_format(c("record format"), scan.types, run.ranks, scan.not_normal, run.mode)
    events = scan.events
    found = _context(report, events, run.memo)
    if found is None:
        return report
    ctx, outcome = found
    if run.ext is not None and run.ext.applies(ctx):
        run.ext.run(
            report, events, ctx, outcome, run.workers, run.engine
        )  # it sets report.engine (native.md)
        return report
    verify_standard(
        report,
        scan,
        ballots,
        ctx,
        outcome,
        run.workers,
        run.cluster,
        run.progress,
        run.engine,
        run.prechecked,
    )
    return report


def _context(
    report: Report, events: list[ev.Event], memo: setup_checks.RollMemo | None = None
) -> tuple[ElectionContext, Any] | None:
    """Checks 2 to 7 (manifest to fingerprint): the election's context and the ceremony's outcome, or ``None``
    when they do not give one (the checks say why). The speculative check runs them on a scratch report."""
    c = report.by_name
    found = setup_checks.check_manifest(c("manifest"), events)
    if found is None:
        return None
    manifest, manifest_payload = found
    elections = [e.payload for e in events if e.type == ev.ELECTION]
    election = elections[0] if elections else None
    if not setup_checks.check_parameters(c("parameters"), manifest_payload, election):
        return None
    outcome = setup_checks.check_ceremony(
        c("trustee keys and proofs"), c("election key"), events, manifest_payload, election
    )
    hashed = setup_checks.check_roll_hashed(c("roll"), events, election, memo)
    if election is None or outcome is None or hashed is None:
        return None
    roll, digest = hashed
    fp = setup_checks.check_fingerprint(c("fingerprint"), manifest_payload, outcome, roll, election, digest)
    if fp is None or not c("fingerprint").ok or not c("election key").ok:
        return None
    ctx = ElectionContext(
        manifest=manifest,
        trustees=manifest_payload["trustees"],
        threshold=manifest_payload["threshold"],
        fingerprint=fp,
        public_key=outcome.public_key,
        roll=frozenset(roll),
        verification_keys=outcome.verification_keys,
        qualified=tuple(outcome.qualified),
    )
    return ctx, outcome


def _speculative_context(
    events: list[ev.Event], memo: setup_checks.RollMemo | None = None
) -> ElectionContext | None:
    """:func:`_context` on the events read so far, on a scratch report (``verify/speculate.py``)."""
    found = _context(new_report(), events, memo)
    return None if found is None else found[0]
