"""Per-ballot checks (eligibility, signature, proofs), spread over all cores.

Each worker decodes its chunk of ballot events, checks them and returns, per ballot, the tracking code, the
credential, the ciphertexts (for the aggregation check) and the first failure with the name of the check it belongs
to. Ballots are independent, so this is embarrassingly parallel: chunks go to a process pool, and
:func:`check_chunk` is a plain function of picklable arguments, so any other map (a cluster's) can run it.

Batched mode (``BallotJob.batched``, the first pass): the ``b`` equations of the 0/1 proofs are not checked one by
one but added, per question and option, to a random linear combination (:class:`~plebiscite.proofs.range.BBatch`)
that also sums the ciphertexts (``fold``, when the record has a tally), and each chunk returns per position the
sum of the ``a`` parts and the closed batch. The runner compares those with the published aggregate
(``counting.confirm_batches``): if they agree, every ``b`` equation held and the aggregate is right, at one base
multiplication and two additions less per ballot; if not, it runs the strict mode, which checks each proof alone
and names the ballot that fails.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from plebiscite.ballot.check import branch_counts, verify_proofs, verify_signature
from plebiscite.ballot.model import BallotError, ballot_from_json
from plebiscite.hazmat import group as G
from plebiscite.proofs.range import BBatch
from plebiscite.setup.manifest import Layout

PositionSums = list[list[tuple[bytes, bytes]]]
"""Per question and option: (Σ a of the ballots that passed, their closed ``b`` batch)."""


@dataclass(frozen=True)
class BallotOutcome:
    index: int
    tracking_code: str | None
    credential: bytes | None
    positions: tuple[tuple[tuple[bytes, bytes], ...], ...] | None
    failed_check: str | None
    reason: str | None


@dataclass(frozen=True)
class BallotJob:
    fingerprint: bytes
    public_key: bytes
    roll: frozenset[bytes]
    layouts: list[Layout]
    batched: bool = False
    """Defer the 0/1 proofs' ``b`` equations to per-position batches (see the module's docstring)."""
    fold: bool = False
    """With ``batched``: also sum the passing ballots' ciphertexts (``a`` plainly, ``b`` inside the batch)."""


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk (or all of them, merged) gives back: every ballot's outcome, and the sums in batched mode."""

    outcomes: list[BallotOutcome]
    sums: PositionSums | None


def check_chunk(job: BallotJob, chunk: list[tuple[int, dict[str, Any]]]) -> ChunkResult:
    counts = branch_counts(job.layouts)
    out = []
    batches = [[BBatch(job.fold) for _ in range(lay.width)] for lay in job.layouts] if job.batched else None
    sums_a = [[G.IDENTITY] * lay.width for lay in job.layouts]
    for index, payload in chunk:
        try:
            ballot = ballot_from_json(payload, counts, validate=False)  # verify_proofs does the curve checks
        except BallotError as exc:
            out.append(BallotOutcome(index, None, None, None, "ballot proofs", f"event {index}: {exc}"))
            continue
        content = ballot.content_bytes()  # signed bytes, also hashed into the tracking code: encode once
        code = ballot.tracking_code(content)
        positions = tuple(tuple((ct.a, ct.b) for ct in a.choices) for a in ballot.answers)
        failed = reason = None
        if ballot.election != job.fingerprint:
            failed, reason = "ballot eligibility", "ballot.election: made for another election"
        elif ballot.credential not in job.roll:
            failed, reason = "ballot eligibility", "ballot.credential: not on the roll"
        else:
            try:
                verify_signature(ballot, content)
            except BallotError as exc:
                failed, reason = "ballot signatures", str(exc)
            else:
                try:
                    verify_proofs(ballot, job.public_key, job.layouts, batches)
                except BallotError as exc:
                    failed, reason = "ballot proofs", str(exc)
                else:
                    if job.fold:
                        for row, cts in zip(sums_a, positions, strict=True):
                            for i, (a, _) in enumerate(cts):
                                row[i] = G.add(row[i], a)
        if reason:
            reason = f"event {index} (ballot {code[:16]}): {reason}"
        out.append(BallotOutcome(index, code, ballot.credential, positions, failed, reason))
    if batches is None:
        return ChunkResult(out, None)
    closed = [
        [(a, batch.close(job.public_key)) for a, batch in zip(row_a, row_b, strict=True)]
        for row_a, row_b in zip(sums_a, batches, strict=True)
    ]
    return ChunkResult(out, closed)


def merge(parts: list[ChunkResult]) -> ChunkResult:
    """All chunks' outcomes in record order, and their sums added position by position."""
    outcomes = sorted((o for part in parts for o in part.outcomes), key=lambda o: o.index)
    sums = None
    for part in parts:
        if part.sums is None:
            continue
        if sums is None:
            sums = part.sums
            continue
        sums = [
            [(G.add(a, pa), G.add(b, pb)) for (a, b), (pa, pb) in zip(row, prow, strict=True)]
            for row, prow in zip(sums, part.sums, strict=True)
        ]
    return ChunkResult(outcomes, sums)


PARALLEL_FROM = 200
"""Fewer ballots than this are checked in this process: starting workers would cost more than it saves."""
CHUNK_MIN = 50


def check_all(job: BallotJob, ballots: list[tuple[int, dict[str, Any]]], workers: int | None) -> ChunkResult:
    """Check every ballot, in parallel when there are enough to pay for the processes.

    The job (with the whole roll: 35 MB pickled for a million voters) goes to each worker process once, when it
    starts; the tasks carry only their ballots. Sent with every chunk, it cost more than checking the chunk.
    """
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(ballots) < PARALLEL_FROM:
        return check_chunk(job, ballots)
    size = max(CHUNK_MIN, min(2000, len(ballots) // (workers * 4) + 1))
    chunks = [ballots[i : i + size] for i in range(0, len(ballots), size)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_receive_job, initargs=(job,)) as pool:
        return merge(list(pool.map(_check_with_received_job, chunks)))


_received_job: BallotJob | None = None


def _receive_job(job: BallotJob) -> None:
    global _received_job
    _received_job = job


def _check_with_received_job(chunk: list[tuple[int, dict[str, Any]]]) -> ChunkResult:
    if _received_job is None:  # pragma: no cover - the pool's initializer always runs first
        raise RuntimeError("worker started without its job")
    return check_chunk(_received_job, chunk)
