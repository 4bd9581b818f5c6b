"""Run every check on a record and build the report.

The verifier imports only the group, the proofs, the protocol's pure functions and the record reader — never the
server, the board's storage or a database — so that anyone can read it as a specification of what "correct" means.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.election import ElectionContext
from plebiscite.verify import counting, setup_checks
from plebiscite.verify.ballots import BallotJob, ChunkResult, check_all
from plebiscite.verify.report import Report, new_report


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
        self, report: Report, events: list[ev.Event], ctx: ElectionContext, outcome: Any, workers: int | None
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

    def check(
        self, job: BallotJob, ballots: list[tuple[int, dict[str, Any]]], lines: dict[int, bytes]
    ) -> tuple[ChunkResult, list[str]]: ...


def verify_record(path: Path, workers: int | None = None, cluster: BallotCluster | None = None) -> Report:
    """Read the record at ``path`` (directory or zip) and verify it. Raises RecordError if it cannot be read.

    ``cluster`` runs the per-ballot checks elsewhere (standard mode; an optional mode verifies locally).
    """
    events, heads, board_key = store.read_all(path)
    return verify_events(events, heads, workers, board_key if heads else None, cluster)


def verify_events(
    events: list[ev.Event],
    heads: list[dict[str, Any]] | None = None,
    workers: int | None = None,
    board_key: str | None = None,
    cluster: BallotCluster | None = None,
) -> Report:
    report = new_report()
    c = report.by_name
    mode = ev.declared_mode(events)
    ranks = dict(setup_checks.RANK)
    ballot_types = frozenset({ev.BALLOT})
    ext = next((x for x in EXTENSIONS.values() if x.mode == mode), None)
    if ext is not None:
        ranks = {t: r for t, r in ranks.items() if t not in ext.replaces} | ext.ranks
        ballot_types = ext.ballot_types
    setup_checks.check_format(c("record format"), events, ranks, ballot_types, mode)
    if heads:
        from plebiscite.verify.heads import check_heads

        check_heads(c("board heads"), events, heads, board_key)

    found = setup_checks.check_manifest(c("manifest"), events)
    if found is None:
        return report
    manifest, manifest_payload = found
    elections = [e.payload for e in events if e.type == ev.ELECTION]
    election = elections[0] if elections else None
    if not setup_checks.check_parameters(c("parameters"), manifest_payload, election):
        return report
    outcome = setup_checks.check_ceremony(
        c("trustee keys and proofs"), c("election key"), events, manifest_payload, election
    )
    roll = setup_checks.check_roll(c("roll"), events, election)
    if election is None or outcome is None or roll is None:
        return report
    fp = setup_checks.check_fingerprint(c("fingerprint"), manifest_payload, outcome, roll, election)
    if fp is None or not c("fingerprint").ok or not c("election key").ok:
        return report
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
    for ext in EXTENSIONS.values():
        if ext.applies(ctx):
            ext.run(report, events, ctx, outcome, workers)
            return report
    verify_standard(report, events, ctx, outcome, workers, cluster)
    return report


def verify_standard(
    report: Report,
    events: list[ev.Event],
    ctx: ElectionContext,
    outcome: Any,
    workers: int | None,
    cluster: BallotCluster | None = None,
) -> None:
    """Ballots, counting and decryption in the standard (Belenios-style) mode.

    The ballots are checked in batched mode first (``verify/ballots.py``); only if its batches do not confirm
    every proof and the aggregate are they checked again one by one, which names what is wrong.
    """
    c = report.by_name
    tallies = [e.payload for e in events if e.type == ev.TALLY]
    tally = tallies[0] if tallies else None
    ballot_events = [e for e in events if e.type == ev.BALLOT]
    ballots = [(e.index, e.payload) for e in ballot_events]
    lines = {e.index: e.raw for e in ballot_events}

    def check_ballots(job: BallotJob) -> tuple[ChunkResult, list[str]]:
        if cluster is None:
            return check_all(job, ballots, workers), []
        return cluster.check(job, ballots, lines)

    job = BallotJob(
        ctx.fingerprint, ctx.public_key, ctx.roll, ctx.layouts, batched=True, fold=tally is not None
    )
    checked, problems = check_ballots(job)
    cast_codes = {o.tracking_code for o in checked.outcomes if o.tracking_code}
    challenged, opened = counting.check_challenges(c("challenged ballots"), events, ctx, cast_codes)
    c("challenged ballots").ran = True
    assert checked.sums is not None
    counted = counting.expected_counted(checked.outcomes, challenged)
    confirmed = counting.confirm_batches(checked.sums, checked.outcomes, counted, tally)
    if confirmed is None:  # some proof or the aggregate is wrong: check each ballot alone to say which
        checked, problems = check_ballots(replace(job, batched=False, fold=False))
        counted = counting.expected_counted(checked.outcomes, challenged)
    outcomes = checked.outcomes
    for problem in problems:
        c("record format").fail(problem)
    for name in ("ballot eligibility", "ballot signatures", "ballot proofs"):
        check = c(name)
        check.item(len(outcomes))
        for o in outcomes:
            if o.failed_check == name:
                check.fail(o.reason or "")
    counting.check_unique(c("unique ballots"), outcomes)
    counting.check_close_count(c("unique ballots"), events, outcomes)
    if tally is None:
        return
    counting.check_last_ballot(c("last-ballot rule"), tally, counted)
    totals = counting.check_aggregation(c("aggregation"), tally, counted, ctx, confirmed)
    if totals is None:
        return
    signing_keys = {a.index: a.signing_key for a in outcome.announcements.values()}
    partials = counting.check_partials(c("partial decryptions"), events, ctx, totals, signing_keys)
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
