"""Per-ballot checks (eligibility, signature, proofs), spread over all cores.

Each worker decodes its chunk of ballot events, checks them and returns, per ballot, the tracking code, the
credential, the ciphertexts (for the aggregation check) and the first failure with the name of the check it belongs
to. Ballots are independent, so this is embarrassingly parallel: chunks go to a process pool, and
:func:`check_chunk` is a plain function of picklable arguments, so any other map (a cluster's) can run it.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from plebiscite.ballot.check import branch_counts, verify_proofs, verify_signature
from plebiscite.ballot.model import BallotError, ballot_from_json
from plebiscite.setup.manifest import Layout


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


def check_chunk(job: BallotJob, chunk: list[tuple[int, dict[str, Any]]]) -> list[BallotOutcome]:
    counts = branch_counts(job.layouts)
    out = []
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
                    verify_proofs(ballot, job.public_key, job.layouts)
                except BallotError as exc:
                    failed, reason = "ballot proofs", str(exc)
        if reason:
            reason = f"event {index} (ballot {code[:16]}): {reason}"
        out.append(BallotOutcome(index, code, ballot.credential, positions, failed, reason))
    return out


def check_all(
    job: BallotJob, ballots: list[tuple[int, dict[str, Any]]], workers: int | None
) -> list[BallotOutcome]:
    """Check every ballot, in parallel when there are enough to pay for the processes."""
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(ballots) < 200:
        return check_chunk(job, ballots)
    size = max(50, min(2000, len(ballots) // (workers * 4) + 1))
    chunks = [ballots[i : i + size] for i in range(0, len(ballots), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(check_chunk, [job] * len(chunks), chunks)
        return [o for part in results for o in part]
