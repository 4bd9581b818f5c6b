"""Where one ``check_ballot`` (reference engine) spends its time: libsodium calls counted and timed raw, the rest
is Python.

Used by ``ballots.py`` (the last lines of its report) and its ``--profile`` option.
"""

from __future__ import annotations

import cProfile
import ctypes
import io
import os
import pstats
import timeit
from collections import Counter
from collections.abc import Callable
from typing import Any

from machine import r1
from plebiscite.ballot.check import check_ballot
from plebiscite.hazmat import group as G
from plebiscite.native import REFERENCE
from plebiscite.setup.election import ElectionContext

COUNTED = ("mul", "mul_base", "sub", "add", "is_valid_element", "hash_to_scalar")


def count_primitives(ctx: ElectionContext, payload: dict[str, Any]) -> dict[str, int]:
    """Calls of each group primitive (and Ed25519 verifications) made by one ``check_ballot``."""
    from plebiscite.hazmat import ed25519

    calls: Counter[str] = Counter()
    saved = {name: getattr(G, name) for name in COUNTED}
    saved_verify = ed25519.verify

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*a: Any, **k: Any) -> Any:
            calls[name] += 1
            return fn(*a, **k)

        return counted

    try:
        for name, fn in saved.items():
            setattr(G, name, wrap(name, fn))
        ed25519.verify = wrap("ed25519_verify", saved_verify)
        check_ballot(payload, ctx, engine=REFERENCE)
    finally:
        for name, fn in saved.items():
            setattr(G, name, fn)
        ed25519.verify = saved_verify
    return dict(calls)


def primitive_costs() -> dict[str, float]:
    """µs per call of the libsodium operations, raw (C call on preallocated buffers) and through the wrappers."""
    import nacl.signing

    from plebiscite.hazmat import ed25519

    p, q = G.mul_base(G.random_scalar()), G.mul_base(G.random_scalar())
    s = G.random_scalar()
    sb = G.scalar_to_bytes(s)
    buf = ctypes.create_string_buffer(32)
    lib = G._lib
    key = nacl.signing.SigningKey.generate()
    msg = os.urandom(330)  # about the size of a yes/no ballot's signed bytes
    sig, vk = key.sign(msg).signature, key.verify_key.encode()

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
        "ed25519 verify (hazmat.ed25519.verify)": us(lambda: ed25519.verify(vk, msg, sig)),
        "ed25519 verify (PyNaCl VerifyKey.verify, for comparison)": us(
            lambda: nacl.signing.VerifyKey(vk).verify(msg, sig)
        ),
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
        "ed25519_verify": cost["ed25519 verify (hazmat.ed25519.verify)"],
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
