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

Native engine (``BallotJob.engine``, docs/native.md): the chunk's ballots go to the Rust core in one call, which
batch-verifies all their proofs and bisects a failing batch itself, so its one pass is exact; the ballots it
refuses are checked again by the reference here, which names the check and the reason.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from plebiscite import native
from plebiscite.ballot.check import branch_counts, verify_proofs, verify_signature
from plebiscite.ballot.model import Ballot, BallotError, ballot_from_json
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native.ballot_bytes import signed_bytes, tracking_code
from plebiscite.proofs.range import BBatch
from plebiscite.record import events as ev
from plebiscite.record.store import RecordError, parse_event
from plebiscite.setup.manifest import Layout
from plebiscite.tally.aggregate import aggregate_positions
from plebiscite.verify.outcomes import Outcomes
from plebiscite.verify.roll_keys import RollKeys

PositionSums = list[list[tuple[bytes, bytes]]]
"""Per question and option: (Σ a of the ballots that passed, their closed ``b`` batch)."""


@dataclass(frozen=True)
class BallotJob:
    fingerprint: bytes
    public_key: bytes
    roll: RollKeys
    """The roll's keys, 32 bytes a voter: every worker gets the whole roll."""
    layouts: list[Layout]
    batched: bool = False
    """Defer the 0/1 proofs' ``b`` equations to per-position batches (see the module's docstring)."""
    fold: bool = False
    """With ``batched``: also sum the passing ballots' ciphertexts (``a`` plainly, ``b`` inside the batch)."""
    engine: str = native.REFERENCE
    """``native`` or ``reference`` (``plebiscite.native``): which code checks the signatures and proofs."""


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk (or all of them, merged) gives back: every ballot's outcome and, per position, sums over the
    ballots that passed — in batched mode ``(Σ a, closed b batch)``, in strict mode ``(Σ a, Σ b)``. ``unreadable``
    names lines that are not canonical ballot events (the record cannot be read)."""

    outcomes: Outcomes
    sums: PositionSums
    unreadable: list[str] = field(default_factory=list)


Lines = list[tuple[int, bytes]]
"""Ballot events as ``(index, line)``: workers parse them themselves, so nothing but bytes crosses processes."""


def check_chunk(job: BallotJob, chunk: Lines) -> ChunkResult:
    if job.engine == native.NATIVE:
        return _check_chunk_native(job, chunk)
    counts = branch_counts(job.layouts)
    out = Outcomes()
    unreadable: list[str] = []
    batches = [[BBatch(job.fold) for _ in range(lay.width)] for lay in job.layouts] if job.batched else None
    sums_a = [[G.IDENTITY] * lay.width for lay in job.layouts]
    sums_b = [[G.IDENTITY] * lay.width for lay in job.layouts]
    for index, line in chunk:
        decoded = _decode(job, counts, index, line, out, unreadable)
        if decoded is None:
            continue
        ballot, content, code = decoded
        failed = reason = None
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
                _add(sums_a, sums_b if batches is None else None, ballot, job.fold or batches is None)
        _record(out, index, code, ballot, failed, reason)
    if batches is None:
        sums = [list(zip(ra, rb, strict=True)) for ra, rb in zip(sums_a, sums_b, strict=True)]
    else:
        sums = [
            [(a, batch.close(job.public_key)) for a, batch in zip(row_a, row_b, strict=True)]
            for row_a, row_b in zip(sums_a, batches, strict=True)
        ]
    return ChunkResult(out, sums, unreadable)


def _decode(
    job: BallotJob,
    counts: list[tuple[int, int | None]],
    index: int,
    line: bytes,
    out: Outcomes,
    unreadable: list[str],
) -> tuple[Ballot, bytes, str] | None:
    """Parse a ballot event and check its eligibility (both engines): the ballot, its signed bytes and tracking
    code, or ``None`` when it failed here (recorded in ``out`` or ``unreadable``)."""
    event = _ballot_event(index, line, unreadable)
    if event is None:
        return None
    try:
        ballot = ballot_from_json(
            event.payload, counts, validate=False
        )  # the proofs' check decodes the points
    except BallotError as exc:
        out.add(index, None, None, "ballot proofs", f"event {index}: {exc}")
        return None
    content = ballot.content_bytes()  # signed bytes, also hashed into the tracking code: encode once
    code = ballot.tracking_code(content)
    failed = None
    if ballot.election != job.fingerprint:
        failed, reason = "ballot eligibility", "ballot.election: made for another election"
    elif ballot.credential not in job.roll:
        failed, reason = "ballot eligibility", "ballot.credential: not on the roll"
    if failed is None:
        return ballot, content, code
    _record(out, index, code, ballot, failed, reason)
    return None


def _ballot_event(index: int, line: bytes, unreadable: list[str]) -> ev.Event | None:
    """The line's event if it is a canonical ballot event; else ``None``, with why in ``unreadable``."""
    try:
        event = parse_event(index, line, f"event {index}")
    except RecordError as exc:
        unreadable.append(str(exc))
        return None
    if event.type != ev.BALLOT:
        unreadable.append(f"event {index}: not a ballot")
        return None
    return event


def _record(
    out: Outcomes, index: int, code: str, ballot: Ballot, failed: str | None, reason: str | None
) -> None:
    if reason:
        reason = f"event {index} (ballot {code[:16]}): {reason}"
    out.add(index, code, ballot.credential, failed, reason or "")


def _check_chunk_native(job: BallotJob, chunk: Lines) -> ChunkResult:
    """The native engine (``plebiscite.native``): every ballot of the chunk checked in one call, its proofs
    batch-verified. A ballot passes only if the native engine accepts it; any other goes through the reference's
    decoding and checks (:func:`_decode`, :func:`reference_failure`), which name the reason."""
    counts = branch_counts(job.layouts)
    out = Outcomes()
    unreadable: list[str] = []
    rows: list[tuple[int, bytes, bytes, bytes]] = []  # index, line, tracking code (32 bytes), credential
    pending: list[tuple[bytes, bytes]] = []
    read = native.read_ballot_lines([line for _, line in chunk], counts)  # canonical lines, read in Rust
    eligible = iter(job.roll.contains_many([fast[3] for fast in read if fast is not None]))
    for (index, line), fast in zip(chunk, read, strict=True):
        if fast is not None and next(eligible) and fast[2] == job.fingerprint:
            rows.append((index, line, fast[4], fast[3]))
            pending.append((fast[0], fast[1]))
            continue
        event = _ballot_event(index, line, unreadable)
        if event is None:
            continue
        found = signed_bytes(event.payload, counts)
        if found is None or found[2] != job.fingerprint or found[3] not in job.roll:
            decoded = _decode(job, counts, index, line, out, unreadable)  # the reference names what is wrong
            if decoded is None:
                continue
            ballot, content, code = decoded
            found = content, ballot.signature, ballot.election, ballot.credential
        else:
            code = tracking_code(found[0], found[1])
        rows.append((index, line, bytes.fromhex(code), found[3]))
        pending.append((found[0], found[1]))
    statuses, sums = native.check_ballots(
        job.fingerprint, job.public_key, native.layouts_for_native(job.layouts), pending
    )
    passed = [row for row, status in zip(rows, statuses, strict=True) if not status]
    out.add_passed([r[0] for r in passed], [r[2] for r in passed], [r[3] for r in passed])  # at once
    for (index, line, _, _), status in zip(rows, statuses, strict=True):
        if status:  # refused natively: the reference names the check (rows are put in record order below)
            _check_with_reference(job, counts, index, line, out, unreadable, status)
    if job.batched and not job.fold:  # what closed batches give when every equation holds
        sums = [[(G.IDENTITY, G.IDENTITY)] * lay.width for lay in job.layouts]
    return ChunkResult(out.in_record_order(), sums, unreadable)


def _check_with_reference(
    job: BallotJob,
    counts: list[tuple[int, int | None]],
    index: int,
    line: bytes,
    out: Outcomes,
    unreadable: list[str],
    status: int,
) -> None:
    """A ballot the native engine refused (``status``), checked again by the reference, which names the reason.

    If the reference accepts it, one of the engines is wrong: the ballot is failed with that said, rather than
    counted or dropped silently."""
    decoded = _decode(job, counts, index, line, out, unreadable)
    if decoded is None:
        return
    ballot, content, code = decoded
    found = reference_failure(ballot, content, job.public_key, job.layouts)
    if found is None:
        found = ("ballot signatures" if status == 2 else "ballot proofs", native.disagreement(status))
    _record(out, index, code, ballot, *found)


def reference_failure(
    ballot: Ballot, content: bytes, public_key: bytes, layouts: list[Layout]
) -> tuple[str, str] | None:
    """The reference's verdict on a ballot past eligibility: ``(check name, reason)``, or ``None`` if it passes."""
    try:
        verify_signature(ballot, content)
    except BallotError as exc:
        return "ballot signatures", str(exc)
    try:
        verify_proofs(ballot, public_key, layouts)
    except BallotError as exc:
        return "ballot proofs", str(exc)
    return None


def _add(sums_a: list[list[bytes]], sums_b: list[list[bytes]] | None, ballot: Ballot, wanted: bool) -> None:
    """Add a passing ballot's ciphertexts to the sums (its ``b`` only in strict mode: batches hold it otherwise)."""
    if not wanted:
        return
    for q, ans in enumerate(ballot.answers):
        row_a = sums_a[q]
        row_b = None if sums_b is None else sums_b[q]
        for i, ct in enumerate(ans.choices):
            row_a[i] = G.add(row_a[i], ct.a)
            if row_b is not None:
                row_b[i] = G.add(row_b[i], ct.b)


def positions_sum(lines: Lines, layouts: list[Layout]) -> list[list[Ciphertext]]:
    """The sum of the ciphertexts of ballots that were checked already (the few that passed but do not count)."""
    counts = branch_counts(layouts)
    ballots = []
    for index, line in lines:
        ballot = ballot_from_json(parse_event(index, line, f"event {index}").payload, counts, validate=False)
        ballots.append(tuple(tuple((ct.a, ct.b) for ct in a.choices) for a in ballot.answers))
    return aggregate_positions(ballots, [lay.width for lay in layouts])


def merge(parts: Iterable[ChunkResult]) -> ChunkResult:
    """All chunks' outcomes in record order, and their sums added position by position."""
    outcomes = Outcomes()
    unreadable: list[str] = []
    sums: PositionSums | None = None
    for part in parts:
        outcomes.extend(part.outcomes)
        unreadable += part.unreadable
        if sums is None:
            sums = part.sums
            continue
        sums = [
            [(G.add(a, pa), G.add(b, pb)) for (a, b), (pa, pb) in zip(row, prow, strict=True)]
            for row, prow in zip(sums, part.sums, strict=True)
        ]
    return ChunkResult(outcomes.in_record_order(), sums or [], unreadable)


PARALLEL_FROM = 200
"""Fewer ballots than this are checked in this process: starting workers would cost more than it saves."""
CHUNK_MIN = 50
CHUNK_MAX = 2000
"""About a second of work: chunks stay small in memory however large the record."""


def _nothing(_size: int) -> None:
    pass


def check_all(
    job: BallotJob, chunks: Iterable[Lines], workers: int | None, on_chunk: Callable[[int], None] = _nothing
) -> ChunkResult:
    """Check every ballot, chunk by chunk, in parallel when there is more than one chunk and one worker.

    At most a few chunks are in flight at a time, so memory stays bounded whatever the record's size. The job
    (with the whole roll: 35 MB pickled for a million voters) goes to each worker process once, when it starts;
    the tasks carry only their ballot lines. ``on_chunk`` hears how many ballots each finished chunk held.
    """
    workers = workers or os.cpu_count() or 1
    iterator = iter(chunks)
    head = [c for c in (next(iterator, None), next(iterator, None)) if c is not None]
    if not head:
        return check_chunk(job, [])
    parallel = workers > 1 and len(head) == 2

    def every_chunk() -> Iterator[Lines]:  # lazily, and without holding on to the first two
        while head:
            yield head.pop(0)
        yield from iterator

    if not parallel:
        parts = []
        for chunk in every_chunk():
            parts.append(check_chunk(job, chunk))
            on_chunk(len(chunk))
        return merge(parts)
    results: list[ChunkResult] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_receive_job, initargs=(job,)) as pool:
        pending: deque[tuple[Future[ChunkResult], int]] = deque()
        for chunk in every_chunk():
            pending.append((pool.submit(_check_with_received_job, chunk), len(chunk)))
            while len(pending) >= 2 * workers:
                _collect(pending, results, on_chunk)
        while pending:
            _collect(pending, results, on_chunk)
    return merge(results)


def _collect(
    pending: deque[tuple[Future[ChunkResult], int]],
    results: list[ChunkResult],
    on_chunk: Callable[[int], None],
) -> None:
    future, size = pending.popleft()
    results.append(future.result())
    on_chunk(size)


def chunk_size(ballots: int, workers: int | None) -> int:
    """Ballots per task: a few tasks per worker, at most :data:`CHUNK_MAX`; small records in one."""
    workers = workers or os.cpu_count() or 1
    if ballots < PARALLEL_FROM:
        return max(1, ballots)
    if workers <= 1:
        return CHUNK_MAX
    return max(CHUNK_MIN, min(CHUNK_MAX, ballots // (workers * 4) + 1))


_received_job: BallotJob | None = None


def _receive_job(job: BallotJob) -> None:
    global _received_job
    _received_job = job


def _check_with_received_job(chunk: Lines) -> ChunkResult:
    if _received_job is None:  # pragma: no cover - the pool's initializer always runs first
        raise RuntimeError("worker started without its job")
    return check_chunk(_received_job, chunk)
