"""Run every check on a record and build the report.

The verifier imports only the group, the proofs, the protocol's pure functions and the record reader — never the
server, the board's storage or a database — so that anyone can read it as a specification of what "correct" means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from plebiscite import native
from plebiscite.elgamal import Ciphertext
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.stream import EventLines
from plebiscite.setup.election import ElectionContext
from plebiscite.verify import counting, setup_checks
from plebiscite.verify.ballots import (
    BallotJob,
    ChunkResult,
    Lines,
    check_all,
    chunk_size,
    positions_sum,
)
from plebiscite.verify.heads import HeadsStream, check_complete_without_heads
from plebiscite.verify.report import Report, new_report
from plebiscite.verify.scan import BallotLines, FileBallots, Scan, scan_events, scan_lines
from plebiscite.verify.scan_native import scan_blocks
from plebiscite.verify.speculate import Speculation, job_for
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


class BallotCluster(Protocol):
    """Somewhere else to run the per-ballot checks (``verify/distributed.py``: a Dask cluster)."""

    def check(self, job: BallotJob, ballots: BallotLines) -> tuple[ChunkResult, list[str]]: ...


Prechecked = Callable[[ElectionContext, str], ChunkResult | None]
"""``Speculation.result``: the ballots' results if they were checked ahead under this election's job."""

Progress = Callable[[str, int, int | None], None]
"""``(stage, done, total)``: the verifier's long steps report how far they are (the CLI draws progress bars)."""


def _quiet(_stage: str, _done: int, _total: int | None) -> None:
    pass


def verify_record(
    path: Path,
    workers: int | None = None,
    cluster: BallotCluster | None = None,
    progress: Progress = _quiet,
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
        return _after_scan(report, scan, source, stream, ext, ranks, mode, workers, cluster, progress, engine)
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
        return _after_scan(
            report,
            scan,
            source,
            stream,
            ext,
            ranks,
            mode,
            workers,
            cluster,
            progress,
            engine,
            None if ahead is None else ahead.result,
            memo,
        )
    finally:
        if ahead is not None:
            ahead.close()


def _no_speculation(_scan: Scan, _lines: Lines) -> None:
    pass


def _after_scan(
    report: Report,
    scan: Scan,
    source: EventLines,
    stream: HeadsStream | None,
    ext: Extension | None,
    ranks: dict[str, int],
    mode: str,
    workers: int | None,
    cluster: BallotCluster | None,
    progress: Progress,
    engine: str,
    prechecked: Prechecked | None = None,
    memo: setup_checks.RollMemo | None = None,
) -> Report:
    """The checks after the first pass over a file (``stream``: finished)."""
    progress("reading", len(scan.types), len(scan.types))
    if stream is not None:
        stream.check_complete(report.by_name("record complete"))
    ballots = FileBallots(source, scan.ballot_digest)
    check_witnesses(report, scan.events, stream, source.cosignatures())
    return _verify(
        report, scan, ballots, ext, ranks, mode, workers, cluster, progress, engine, prechecked, memo
    )


def verify_events(
    events: list[ev.Event],
    heads: list[dict[str, Any]] | None = None,
    workers: int | None = None,
    board_key: str | None = None,
    cluster: BallotCluster | None = None,
    progress: Progress = _quiet,
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
    return _verify(report, scan, ballots, ext, ranks, mode, workers, cluster, progress, engine)


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


def _verify(
    report: Report,
    scan: Scan,
    ballots: BallotLines,
    ext: Extension | None,
    ranks: dict[str, int],
    mode: str,
    workers: int | None,
    cluster: BallotCluster | None,
    progress: Progress,
    engine: str,
    prechecked: Prechecked | None = None,
    memo: setup_checks.RollMemo | None = None,
) -> Report:
    c = report.by_name
    report.engine = engine
    setup_checks.check_format(c("record format"), scan.types, ranks, scan.not_normal, mode)
    events = scan.events
    found = _context(report, events, memo)
    if found is None:
        return report
    ctx, outcome = found
    if ext is not None and ext.applies(ctx):
        ext.run(report, events, ctx, outcome, workers, engine)  # it sets report.engine (docs/native.md)
        return report
    verify_standard(report, scan, ballots, ctx, outcome, workers, cluster, progress, engine, prechecked)
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


def verify_standard(
    report: Report,
    scan: Scan,
    ballots: BallotLines,
    ctx: ElectionContext,
    outcome: Any,
    workers: int | None,
    cluster: BallotCluster | None = None,
    progress: Progress = _quiet,
    engine: str = native.REFERENCE,
    prechecked: Prechecked | None = None,
) -> None:
    """Ballots, counting and decryption in the standard (Belenios-style) mode.

    The reference engine checks the ballots in batched mode first (``verify/ballots.py``); only if its batches do
    not confirm every proof and the aggregate are they checked again one by one, which names what is wrong. The
    native engine's first pass is already exact (it bisects its own batches), so it is never repeated.
    ``prechecked`` gives the ballots' results checked during the first pass under a job, if that job was this one
    (``verify/speculate.py``); else they are checked here.
    """
    c = report.by_name
    events = scan.events
    tallies = [e.payload for e in events if e.type == ev.TALLY]
    tally = tallies[0] if tallies else None

    def check_ballots(job: BallotJob, stage: str) -> tuple[ChunkResult, list[str]]:
        if cluster is not None:
            result, problems = cluster.check(job, ballots)
        else:
            done = 0

            def on_chunk(size: int) -> None:
                nonlocal done
                done += size
                progress(stage, done, scan.ballots)

            size = chunk_size(scan.ballots, workers)
            result, problems = check_all(job, ballots.chunks(size), workers, on_chunk), []
        return readable(result), problems

    ahead = None if prechecked is None else prechecked(ctx, engine)
    job: BallotJob | None = None
    problems: list[str]
    if ahead is not None:  # checked while the first pass read them, under this very job
        checked, problems = readable(ahead), []
    else:
        job = job_for(ctx, tally is not None, engine)
        checked, problems = check_ballots(job, "ballots")
    challenged, opened = counting.check_challenges(c("challenged ballots"), events, ctx, checked.outcomes)
    c("challenged ballots").ran = True
    counted = counting.expected_counted(checked.outcomes, challenged)
    left_out = _left_out(ballots, checked, counted, ctx)
    confirmed = counting.confirm_batches(checked.sums, left_out, tally)
    if (
        confirmed is None and engine == native.REFERENCE and job is not None
    ):  # a proof or the aggregate is wrong: say which
        checked, problems = check_ballots(replace(job, batched=False, fold=False), "ballots, one by one")
        counted = counting.expected_counted(checked.outcomes, challenged)
        left_out = _left_out(ballots, checked, counted, ctx)
    outcomes = checked.outcomes
    for problem in problems:
        c("record format").fail(problem)
    failures = sorted(outcomes.failures.items())
    for name in ("ballot eligibility", "ballot signatures", "ballot proofs"):
        check = c(name)
        check.item(len(outcomes))
        for _index, (failed, reason) in failures:
            if failed == name:
                check.fail(reason)
    counting.check_unique(c("unique ballots"), outcomes)
    counting.check_close_count(c("unique ballots"), events, scan.ballots)
    if tally is None:
        return
    counting.check_last_ballot(c("last-ballot rule"), tally, outcomes, counted)
    expected = None if confirmed is not None else counting.minus(checked.sums, left_out)
    totals = counting.check_aggregation(c("aggregation"), tally, len(counted), ctx, confirmed, expected)
    if totals is None:
        return
    signing_keys = {a.index: a.signing_key for a in outcome.announcements.values()}
    partials = counting.check_partials(c("partial decryptions"), events, ctx, totals, signing_keys, engine)
    c("partial decryptions").ran = True
    results = [e.payload for e in events if e.type == ev.RESULT]
    if not results:
        return
    counting.check_result(c("combination"), c("result"), results[0], ctx, totals, partials, len(counted))
    report.result = {
        "questions": results[0].get("questions"),
        "ballots": results[0].get("ballots"),
        "challenged": opened,
    }


def readable(result: ChunkResult) -> ChunkResult:
    """The ballots' results, if every ballot line was a canonical ballot event (else the record is unreadable)."""
    if result.unreadable:
        raise store.RecordError(f"events.jsonl: {result.unreadable[0]}")
    return result


def _left_out(
    ballots: BallotLines, checked: ChunkResult, counted: np.ndarray, ctx: ElectionContext
) -> list[list[Ciphertext]]:
    """The sum of the ballots that passed every check but do not count (revotes, cast-after-challenge): the
    workers' sums cover every passing ballot, so these are taken away to compare with the published aggregate.
    Only they are read again, so nobody's ciphertexts are kept in memory."""
    outcomes = checked.outcomes
    mask = outcomes.passed()
    mask[counted] = False
    wanted = set(outcomes.index_array()[mask].tolist())
    return positions_sum(ballots.pick(wanted), ctx.layouts)
