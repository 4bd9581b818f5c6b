"""Ballot checks on a Dask cluster, from chunks the verifier sends or from Parquet partitions on shared storage.

Beyond one machine the per-ballot work (signature and proofs, ~0.5 ms a ballot) is what grows with the election;
everything else the verifier does is small. So only that part is distributed, with the very function the local
process pool runs (:func:`~plebiscite.verify.ballots.check_chunk`), and the results are reduced by the same code.

With Parquet partitions (``record/parquet.py``), workers read the ballots themselves instead of receiving them.
The verifier still reads ``events.jsonl``, the record, and compares a SHA-256 of every ballot line a worker
checked with the line at that index in ``events.jsonl``: a partition that adds, drops or alters a ballot makes the
"record format" check fail, naming the event.

dask.distributed and pyarrow are optional (``pip install 'plebiscite[scale]'``); this module is imported only
when a cluster is asked for.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plebiscite.record import events as ev
from plebiscite.record.store import RecordError, parse_event
from plebiscite.verify.ballots import BallotJob, ChunkResult, Lines, check_chunk, merge
from plebiscite.verify.outcomes import Outcomes
from plebiscite.verify.scan import BallotLines

try:
    from dask.distributed import Client, LocalCluster
except ModuleNotFoundError:  # pragma: no cover - exercised only where the extra is missing
    raise RecordError("a Dask cluster needs dask.distributed: pip install 'plebiscite[scale]'") from None

CHUNK = 2_000
"""Ballots per task when the verifier sends them: ~1 s of work, so scheduling costs stay negligible."""


def digest(line: bytes) -> bytes:
    return hashlib.sha256(line).digest()


def check_partition(job: BallotJob, path: str) -> tuple[ChunkResult, list[tuple[int, bytes]]]:
    """Worker side: read one partition, parse and check its ballots; also return each row's index and digest."""
    from plebiscite.record.parquet import read_partition

    rows = read_partition(Path(path))
    ballots: Lines = []
    digests: list[tuple[int, bytes]] = []
    failed = Outcomes()
    for index, line in rows:
        digests.append((index, digest(line)))
        try:
            event = parse_event(index, line, f"{Path(path).name} event {index}")
        except RecordError as exc:
            failed.add(index, None, None, "ballot proofs", str(exc))
            continue
        if event.type != ev.BALLOT:
            failed.add(index, None, None, "ballot proofs", f"event {index}: not a ballot")
            continue
        ballots.append((index, line))
    result = check_chunk(job, ballots)
    result.outcomes.extend(failed)
    return ChunkResult(result.outcomes.in_record_order(), result.sums), digests


@dataclass
class DaskBallots:
    """Runs the ballot checks on a cluster: ``client`` from :func:`connect`; ``parquet`` a partitions directory."""

    client: Any
    parquet: Path | None = None
    in_flight: int = 16
    """Chunks sent ahead of the results (the record is streamed to the cluster, never held whole)."""

    def check(self, job: BallotJob, ballots: BallotLines) -> tuple[ChunkResult, list[str]]:
        """The outcome of every ballot, and the discrepancies between the partitions and the record (if any)."""
        job_future = self.client.scatter(job, broadcast=True)
        if self.parquet is None:
            return merge(self._stream(job_future, ballots)), []
        from plebiscite.record.parquet import list_partitions

        paths = [str(p.resolve()) for p in list_partitions(self.parquet)]
        futures = self.client.map(check_partition, [job_future] * len(paths), paths, pure=False)
        parts: list[ChunkResult] = []
        seen: dict[int, bytes] = {}
        problems: list[str] = []
        for part, digests in self.client.gather(futures):
            parts.append(part)
            for index, d in digests:
                if index in seen:
                    problems.append(f"Parquet partitions: event {index} appears twice")
                seen[index] = d
        problems += compare(seen, ballots)
        return merge(parts), problems

    def _stream(self, job_future: Any, ballots: BallotLines) -> Iterator[ChunkResult]:
        pending: deque[Any] = deque()
        for chunk in ballots.chunks(CHUNK):
            pending.append(self.client.submit(check_chunk, job_future, chunk, pure=False))
            if len(pending) >= self.in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def compare(partitions: dict[int, bytes], ballots: BallotLines) -> list[str]:
    """Every ballot line of the record must be in the partitions, byte for byte, and nothing else."""
    problems = []
    indices: set[int] = set()
    for chunk in ballots.chunks(CHUNK):
        for index, line in chunk:
            indices.add(index)
            got = partitions.get(index)
            if got is None:
                problems.append(f"Parquet partitions: ballot event {index} of events.jsonl is missing")
            elif got != digest(line):
                problems.append(f"Parquet partitions: event {index} differs from events.jsonl")
    for index in sorted(set(partitions) - indices):
        problems.append(f"Parquet partitions: event {index} is not a ballot in events.jsonl")
    return problems


@contextmanager
def connect(address: str, workers: int | None = None) -> Iterator[Any]:
    """A client of the scheduler at ``address``, or of a local cluster of ``workers`` processes for ``"local"``."""
    if address == "local":
        n = workers or os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # A worker's heartbeat racing the cluster's shutdown logs a traceback on a loaded machine; a
                # failure that matters reaches the client as the task's exception and is reported there.
                silence_logs=logging.CRITICAL,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise RecordError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    with client:
        yield client
