"""The standard (Belenios-style) mode's checks after the setup: ballots, counting, decryption and result.

Split from ``verify/runner.py``, which reads the record and runs the setup checks; the ballots are checked here by
the worker pool or a cluster, unless the first pass checked them already (``prechecked``, ``verify/speculate.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from plebiscite import native
from plebiscite.elgamal import Ciphertext
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.election import ElectionContext
from plebiscite.verify import counting
from plebiscite.verify.ballots import BallotJob, ChunkResult, check_all, chunk_size, positions_sum
from plebiscite.verify.report import Report
from plebiscite.verify.scan import BallotLines, Scan
from plebiscite.verify.speculate import job_for


class BallotCluster(Protocol):
    """Somewhere else to run the per-ballot checks (``verify/distributed.py``: a Dask cluster)."""

    def check(self, job: BallotJob, ballots: BallotLines) -> tuple[ChunkResult, list[str]]: ...


Prechecked = Callable[[ElectionContext, str], ChunkResult | None]
"""``Speculation.result``: the ballots' results if they were checked ahead under this election's job."""

Progress = Callable[[str, int, int | None], None]
"""``(stage, done, total)``: the verifier's long steps report how far they are (the CLI draws progress bars)."""


def quiet(_stage: str, _done: int, _total: int | None) -> None:
    pass


def verify_standard(
    report: Report,
    scan: Scan,
    ballots: BallotLines,
    ctx: ElectionContext,
    outcome: Any,
    workers: int | None,
    cluster: BallotCluster | None = None,
    progress: Progress = quiet,
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
        progress("ballots", scan.ballots, scan.ballots)
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
