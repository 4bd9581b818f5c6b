"""Where one ``check_ballot`` (reference engine) spends its time: libsodium calls counted and timed raw, the rest
is Python.

Used by ``ballots.py`` (the last lines of its report) and its ``--profile`` option.

Run on its own, it says where the native engine's time goes on a record (CPU µs a ballot, by ``process_time``):

    .venv/bin/python bench/breakdown.py /tmp/plebiscite-bench/scale-n1000000   # any standard-mode record
"""

from __future__ import annotations

import cProfile
import ctypes
import io
import pstats
import timeit
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from machine import r1
from plebiscite.ballot.check import check_ballot
from plebiscite.hazmat import group as G
from plebiscite.native import REFERENCE
from plebiscite.setup.election import ElectionContext

COUNTED = ("mul", "mul_base", "sub", "add", "is_valid_element", "hash_to_scalar")


def count_primitives(ctx: ElectionContext, payload: dict[str, Any]) -> dict[str, int]:
    """Calls of each group primitive made by one ``check_ballot`` (its signature is group operations too)."""
    calls: Counter[str] = Counter()
    saved = {name: getattr(G, name) for name in COUNTED}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*a: Any, **k: Any) -> Any:
            calls[name] += 1
            return fn(*a, **k)

        return counted

    try:
        for name, fn in saved.items():
            setattr(G, name, wrap(name, fn))
        check_ballot(payload, ctx, engine=REFERENCE)
    finally:
        for name, fn in saved.items():
            setattr(G, name, fn)
    return dict(calls)


def primitive_costs() -> dict[str, float]:
    """µs per call of the libsodium operations, raw (C call on preallocated buffers) and through the wrappers."""
    p, q = G.mul_base(G.random_scalar()), G.mul_base(G.random_scalar())
    s = G.random_scalar()
    sb = G.scalar_to_bytes(s)
    buf = ctypes.create_string_buffer(32)
    lib = G._lib

    def us(fn: Callable[[], Any], n: int = 2000) -> float:
        return round(min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6, 2)

    return {
        "mul (G.mul)": us(lambda: G.mul(p, s)),
        "mul raw crypto_scalarmult_ristretto255": us(lambda: lib.crypto_scalarmult_ristretto255(buf, sb, p)),
        "mul_base (G.mul_base)": us(lambda: G.mul_base(s)),
        "mul_base raw": us(lambda: lib.crypto_scalarmult_ristretto255_base(buf, sb)),
        "sub (G.sub)": us(lambda: G.sub(p, q)),
        "sub raw crypto_core_ristretto255_sub": us(lambda: lib.crypto_core_ristretto255_sub(buf, p, q)),
        "is_valid_element raw": us(lambda: lib.crypto_core_ristretto255_is_valid_point(p)),
        "hash_to_scalar (12 elements)": us(lambda: G.hash_to_scalar(b"d", *([p] * 12))),
    }


def breakdown(ctx: ElectionContext, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """One check_ballot split into libsodium calls and the rest (Python), from best-of-5 timings."""
    calls = count_primitives(ctx, payloads[0])
    cost = primitive_costs()
    raw = {
        "mul": cost["mul raw crypto_scalarmult_ristretto255"],
        "mul_base": cost["mul_base raw"],
        "sub": cost["sub raw crypto_core_ristretto255_sub"],
        "add": cost["sub raw crypto_core_ristretto255_sub"],
        "is_valid_element": cost["is_valid_element raw"],
    }
    floor = sum(calls.get(k, 0) * v for k, v in raw.items())
    sample = payloads[:200]

    def check_sample() -> None:
        for p in sample:
            check_ballot(p, ctx, engine=REFERENCE)

    per_ballot = min(timeit.repeat(check_sample, number=1, repeat=5)) / len(sample) * 1e6
    return {
        "calls_per_ballot": calls,
        "us_per_call_best_of_5": cost,
        "check_ballot_us_per_ballot_best_of_5": round(per_ballot, 1),
        "libsodium_us_per_ballot": round(floor, 1),
        "python_us_per_ballot": round(per_ballot - floor, 1),
        "libsodium_bound_ballots_per_s": r1(1e6 / floor),
        "check_ballot_best_of_5_ballots_per_s": r1(1e6 / per_ballot),
    }


def profile_check(ctx: ElectionContext, payloads: list[dict[str, Any]], top: int = 18) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for p in payloads:
        check_ballot(p, ctx, engine=REFERENCE)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _ballot_job(record: Path) -> Any:
    """The verifier's own ``BallotJob`` for ``record``: its setup checks on the events before the first ballot (as
    the verifier's speculative check builds it, ``verify/speculate.py``)."""
    from plebiscite import native
    from plebiscite.record.store import parse_event
    from plebiscite.record.stream import EventLines, is_ballot_line
    from plebiscite.verify import runner, speculate

    source = EventLines(record)
    events = []
    for index, line in source:
        if is_ballot_line(line):
            break
        events.append(parse_event(index, line, source.where))
    ctx = runner._speculative_context(events)
    if ctx is None:
        raise SystemExit(f"{record}: the setup checks did not pass, no ballot job")
    return speculate.job_for(ctx, True, native.default_engine())


def native_costs(record: Path, chunk: int = 2000, reps: int = 3) -> dict[str, Any]:
    """CPU µs a ballot (best of ``reps``) of the native engine's steps on the first ``chunk`` ballot lines of
    ``record``, and of the verifier's first pass over the whole record with each normal-form check."""
    import time

    from plebiscite import native
    from plebiscite.ballot.check import branch_counts
    from plebiscite.record import events as ev
    from plebiscite.record.stream import EventLines, is_ballot_line
    from plebiscite.verify import ballots as B
    from plebiscite.verify.scan import in_normal_form, scan_lines

    job = _ballot_job(record)
    job = B.BallotJob(job.fingerprint, job.public_key, job.roll, job.layouts, True, True, native.NATIVE)
    source = EventLines(record)
    lines: list[tuple[int, bytes]] = []
    for index, line in source:
        if is_ballot_line(line):
            lines.append((index, line))
            if len(lines) == chunk:
                break
    counts, layouts = branch_counts(job.layouts), native.layouts_for_native(job.layouts)
    read = native.read_ballot_lines([line for _, line in lines], counts)
    pairs = [(r[0], r[1]) for r in read if r is not None]

    def best(fn: Callable[[], Any], n: int) -> float | None:
        runs = []
        for _ in range(reps):
            start = time.process_time()
            fn()
            runs.append((time.process_time() - start) / n * 1e6)
        return r1(min(runs))

    fast = native.normal_form_check()
    out: dict[str, Any] = {
        "ballots_in_chunk": len(lines),
        "read_ballot_lines": best(
            lambda: native.read_ballot_lines([x for _, x in lines], counts), len(lines)
        ),
        "check_ballots": best(
            lambda: native.check_ballots(job.fingerprint, job.public_key, layouts, pairs), len(lines)
        ),
        "check_chunk": best(lambda: B.check_chunk(job, lines), len(lines)),
    }
    types = frozenset({ev.BALLOT})

    def first_pass(rule: Callable[[bytes], bool]) -> float:  # without the signed heads' check (no on_line)
        start = time.process_time()
        ballots = scan_lines(source, source.where, types, None, rule).ballots
        return (time.process_time() - start) / max(1, ballots) * 1e6

    out["first_pass_python_normal_form"] = r1(min(first_pass(in_normal_form) for _ in range(reps)))
    if fast is not None:
        out["first_pass_native_normal_form"] = r1(min(first_pass(fast) for _ in range(reps)))

        def scanned() -> float:  # the extension's first pass (verify/scan_native.py), no heads either
            from plebiscite.verify.scan_native import scan_blocks

            start = time.process_time()
            ballots = scan_blocks(source, types, None).ballots
            return (time.process_time() - start) / max(1, ballots) * 1e6

        out["first_pass_native_scan"] = r1(min(scanned() for _ in range(reps)))
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(native_costs(Path(sys.argv[1])), indent=1))
