"""Build a large, valid standard-mode record fast and in bounded memory: the input of the scale benches and tests.

The election is ``ballots.py``'s referendum (one yes/no question, 3 trustees, 2-of-3), one ballot per voter.
Voters' keys and ballots are made in worker processes (every core), and ballot lines go straight to
``events.jsonl`` chunk by chunk, with the tracking codes and the running sum of the ciphertexts: the organiser's
``Conduct`` would check every ballot again on casting and keep them all, which a million ballots make slow and
large. Close, tally, two partial decryptions and the result are then posted by ``Conduct`` as usual. The voters'
secrets are derived from ``seed`` and never written.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.conduct import Conduct, FileSink
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.credentials import Credential
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.samples import referendum

ELECTION_ID = "bench-referendum"
CHUNK = 2_000
Sums = list[list[tuple[bytes, bytes]]]


def voter_seed(seed: int, voter: int) -> bytes:
    return hashlib.sha256(
        b"plebiscite/bench-voter" + seed.to_bytes(8, "big") + voter.to_bytes(8, "big")
    ).digest()


def _public_keys(seed: int, start: int, stop: int) -> list[bytes]:
    return [Credential(ELECTION_ID, voter_seed(seed, v)).public_key for v in range(start, stop)]


_ctx: ElectionContext | None = None


def _receive(ctx: ElectionContext) -> None:
    global _ctx
    _ctx = ctx


def _ballots(seed: int, start: int, stop: int) -> tuple[bytes, list[str], Sums]:
    """Ballots of voters ``[start, stop)``: their lines, tracking codes and the sum of their ciphertexts."""
    assert _ctx is not None
    rng = random.Random(seed * 1_000_003 + start)
    lines, codes = [], []
    sums: Sums = [[(G.IDENTITY, G.IDENTITY)] * lay.width for lay in _ctx.layouts]
    for v in range(start, stop):
        ballot, _ = encrypt_ballot(
            _ctx, Credential(ELECTION_ID, voter_seed(seed, v)), {"q1": [rng.choice(["yes", "no"])]}
        )
        lines.append(ev.make_event(0, ev.BALLOT, ballot.to_json()).raw)
        codes.append(ballot.tracking_code())
        for q, ans in enumerate(ballot.answers):
            sums[q] = [
                (G.add(a, ct.a), G.add(b, ct.b)) for (a, b), ct in zip(sums[q], ans.choices, strict=True)
            ]
    return b"".join(line + b"\n" for line in lines), codes, sums


def _spans(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, CHUNK):
        yield start, min(total, start + CHUNK)


def build_record(
    path: Path,
    ballots: int,
    workers: int | None = None,
    seed: int = 20261125,
    say: Callable[[str], None] = print,
) -> None:
    """Write a finished, valid record of ``ballots`` ballots at ``path`` (which must not hold a record)."""
    workers = workers or os.cpu_count() or 1
    manifest = referendum(ELECTION_ID, extra_questions=False)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    conduct.run_ceremony(trustees)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        keys = [k for part in pool.map(_public_keys, *_columns(seed, ballots)) for k in part]
    conduct.register(keys)
    del keys
    ctx = conduct.open_voting()
    assert isinstance(conduct.sink, FileSink)
    signer = conduct.sink.signer
    say(f"roll of {ballots:,} published; casting …")
    codes: list[str] = []
    sums: Sums = [[(G.IDENTITY, G.IDENTITY)] * lay.width for lay in ctx.layouts]
    with (
        ProcessPoolExecutor(max_workers=workers, initializer=_receive, initargs=(ctx,)) as pool,
        open(path / store.EVENTS_FILE, "ab") as out,
    ):
        for done, (blob, chunk_codes, chunk_sums) in enumerate(
            pool.map(_ballots, *_columns(seed, ballots)), 1
        ):
            out.write(blob)
            signer.extend(blob.split(b"\n")[:-1])
            codes += chunk_codes
            sums = [
                [(G.add(a, x), G.add(b, y)) for (a, b), (x, y) in zip(row, part, strict=True)]
                for row, part in zip(sums, chunk_sums, strict=True)
            ]
            if done % 50 == 0:
                say(f"  {done * CHUNK:,} ballots")
        out.flush()
        os.fsync(out.fileno())
    signer.sign()  # the record's heads cover the ballots written around the sink (record/signer.py)
    conduct.state.size += ballots
    conduct.post(ev.CLOSE, {"ballots": ballots})
    aggregate: list[list[Any]] = [[Ciphertext(a, b).to_json() for a, b in row] for row in sums]
    conduct.post(ev.TALLY, {"counted": codes, "aggregate": aggregate})
    conduct.decrypt(trustees[0])
    conduct.decrypt(trustees[1])
    conduct.combine()


def _columns(seed: int, total: int) -> tuple[list[int], list[int], list[int]]:
    spans = list(_spans(total))
    return [seed] * len(spans), [s for s, _ in spans], [e for _, e in spans]
