"""Checking the ballots while the first pass is still reading them (docs/native.md §6.3).

The ballots cannot be checked before the setup checks say which election they belong to (fingerprint, election
key, roll, layouts), and those run after the whole record was read. But a record's setup events come before its
ballots (check 1 fails any other order), so at the first ballot line the job can already be built from the
events read so far: :class:`Speculation` does that, on a scratch report, and from then on sends the ballot lines
to the worker processes as the first pass reads them — the workers check while the main process reads, instead
of waiting for it, and the file is read once instead of twice.

The results are kept only if the final setup checks, on the whole record, give the same job
(:meth:`Speculation.result`); otherwise they are dropped and the ballots are checked again, as without
speculation. Whatever the record holds, the report is the one the verifier gives without it.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from plebiscite import native
from plebiscite.setup.election import ElectionContext
from plebiscite.verify import ballots as checks
from plebiscite.verify.ballots import BallotJob, ChunkResult, Lines
from plebiscite.verify.roll_keys import RollKeys
from plebiscite.verify.scan import Scan

CHUNK = 2000
"""Ballots a task (as ``verify/ballots.CHUNK_MAX``); speculation starts only once two chunks were read, so a small
record is checked as before, after the first pass."""

Context = Callable[[list[Any]], ElectionContext | None]
"""The setup checks on events, on a scratch report: the election's context, or ``None`` if they do not give one."""


def job_key(ctx: ElectionContext, engine: str) -> tuple[Any, ...]:
    """What :func:`job_for` takes from an election: the same key, the same job (``fold`` aside: the native chunks
    fold the sums whatever it says, and the runner reads them only when there is a tally to fold).

    The roll is in it by the fingerprint, which check 7 computed from the roll as read (its hash over the sorted
    keys, docs/protocol.md): keeping a million voters' keys a second time only to compare them would grow the
    verifier's peak memory by a hundred megabytes."""
    return ctx.fingerprint, ctx.public_key, tuple(ctx.layouts), engine


def job_for(ctx: ElectionContext, fold: bool, engine: str) -> BallotJob:
    """The standard ballots' job for an election (``verify/runner.verify_standard`` uses the same)."""
    return BallotJob(
        ctx.fingerprint,
        ctx.public_key,
        RollKeys(ctx.roll),
        ctx.layouts,
        batched=True,
        fold=fold,
        engine=engine,
    )


class Speculation:
    """The ballot lines of the first pass, checked by ``workers`` processes as they come (native engine only:
    its chunk results do not depend on ``fold``, so the tally, read last, is not needed to start)."""

    def __init__(self, context: Context, workers: int | None, on_chunk: Callable[[int], None]) -> None:
        self.context = context
        self.workers = workers or os.cpu_count() or 1
        self.on_chunk = on_chunk
        self.off = self.workers < 2
        self.job: BallotJob | None = None
        self.key: tuple[Any, ...] = ()
        self.waiting: Lines = []
        self.first: Lines | None = None
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque[tuple[Future[ChunkResult], int]] = deque()
        self.results: list[ChunkResult] = []

    def __call__(self, scan: Scan, lines: Lines) -> None:
        """The first pass read ``lines`` (ballots, in record order); ``scan`` holds the events kept so far."""
        if self.off:
            return
        if self.job is None:
            ctx = self.context(list(scan.events))
            if ctx is None:  # the setup is not complete (or not valid) before the first ballot
                self.off = True
                return
            self.job = job_for(ctx, True, native.NATIVE)
            self.key = job_key(ctx, native.NATIVE)
        self.waiting += lines
        while len(self.waiting) >= CHUNK:
            chunk = self.waiting[:CHUNK]
            del self.waiting[:CHUNK]
            self._submit(chunk)

    def _submit(self, chunk: Lines) -> None:
        if self.pool is None:
            if self.first is None:
                self.first = chunk
                return
            job = self.job
            assert job is not None  # set before the first chunk
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers, initializer=checks._receive_job, initargs=(job,)
            )
            first, self.first = self.first, None
            self._submit(first)
        assert self.pool is not None
        self.pending.append((self.pool.submit(checks._check_with_received_job, chunk), len(chunk)))
        while len(self.pending) >= 2 * self.workers:
            self._collect()

    def _collect(self) -> None:
        future, size = self.pending.popleft()
        self.results.append(future.result())
        self.on_chunk(size)

    def result(self, ctx: ElectionContext, engine: str) -> ChunkResult | None:
        """After the first pass: every ballot's result under the job of ``ctx`` (what the setup checks gave), or
        ``None`` when nothing was checked ahead or it was checked under another job (then the caller checks)."""
        if self.pool is None or self.job is None or job_key(ctx, engine) != self.key:
            self.close()
            return None
        if self.waiting:
            self._submit(self.waiting)
            self.waiting = []
        while self.pending:
            self._collect()
        self.close()
        return checks.merge(
            self.results
        )  # sums folded even without a tally: the runner reads them only with one

    def close(self) -> None:
        """Stop the workers (at the end, or when the verification stops on an error)."""
        self.off = True
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
