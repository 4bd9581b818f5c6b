"""Both cores (or more) for the tally and its verification: a lazily started process pool and chunking.

Every heavy step is a sum or a map over independent rows, so it is cut into contiguous chunks and each chunk is
computed by a top-level function in a worker process. Small inputs run inline: a process costs more than a few
hundred group operations. Secrets reach workers only through the pool's pipes, never through files or logs.
"""

from __future__ import annotations

import copyreg
import functools
import gc
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

from plebiscite import native
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
INLINE_BELOW = 64  # items: below this, everything runs in the calling process


def without_cycle_collector(func: F) -> F:
    """Run ``func`` with Python's cyclic garbage collector paused (reference counting still frees memory).

    The tally's main process holds millions of small tracked objects (rows of ciphertexts, proofs); every
    collection of the oldest generation walks all of them, which cost about a quarter of the main process's CPU in
    a 5,000-voter tally. The steps create no reference cycles worth collecting; the collector is restored (and run
    once) afterwards, whatever happens.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
                gc.collect()

    return wrapper  # type: ignore[return-value]


def _rebuild_ciphertext(a: bytes, b: bytes) -> Ciphertext:
    return Ciphertext(a, b)


def _reduce_ciphertext(ct: Ciphertext) -> tuple[Any, tuple[bytes, bytes]]:
    return _rebuild_ciphertext, (ct.a, ct.b)


# Lists of hundreds of thousands of ciphertexts cross the pipes to the workers at every step, pickled and unpickled
# by the main process, which the workers then wait for. A frozen slots dataclass pickles through its generic
# __getstate__/__setstate__ (≈ 7 µs a ciphertext); as a plain constructor call with its two byte strings it takes
# a third of that.
copyreg.pickle(Ciphertext, _reduce_ciphertext)


class Workers:
    """A process pool used as a context manager; ``workers=1`` (or small inputs) runs inline."""

    def __init__(self, workers: int | None = None, start: str = "fork", engine: str | None = None) -> None:
        """``start``: how worker processes start. ``fork`` (cheap, inherits the caller's imports) only from a
        process without threads: a threaded server (uvicorn) must use ``spawn``, as a forked child can inherit a
        lock held by another thread and deadlock; :meth:`warm` then starts them ahead of the first job.

        ``engine`` (``None``: the default, see :func:`plebiscite.native.default_engine`) decides whether the
        proofs' *public* computations checked or made through this pool run natively (docs/native.md); it
        travels in the jobs, so spawned workers use the one chosen here."""
        self.count = max(1, workers or os.cpu_count() or 1)
        self.start = start
        self.engine = native.resolve(engine)
        self._pool: ProcessPoolExecutor | None = None
        self._starting = threading.Lock()  # :meth:`warm` may run in another thread than the first job

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._starting:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()

    def ranges(self, total: int, minimum: int = INLINE_BELOW) -> list[tuple[int, int]]:
        """Split ``range(total)`` into contiguous pieces, a few per worker."""
        if total == 0:
            return []
        if self.count == 1 or total < minimum:
            return [(0, total)]
        pieces = min(self.count * 4, max(1, total // minimum))
        size = -(-total // pieces)
        return [(i, min(total, i + size)) for i in range(0, total, size)]

    def map(self, fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
        """``[fn(*job) for job in jobs]``, in worker processes when there is more than one job."""
        if self.count == 1 or len(jobs) <= 1:
            return [fn(*job) for job in jobs]
        return list(self._executor().map(fn, *zip(*jobs, strict=True)))

    def _executor(self) -> ProcessPoolExecutor:
        with self._starting:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.count,
                    mp_context=get_context(self.start),
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def warm(self) -> None:
        """Start every worker process now (a spawned one imports the package: about a second)."""
        if self.count > 1:
            for f in [self._executor().submit(_ready) for _ in range(self.count)]:
                f.result()


PARENT_POLL_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    """In each worker: exit when the process that made the pool is gone. A worker waits on a queue whose write end
    every worker holds too, so it never sees the end of its input: after a SIGKILL of its parent (a board killed
    mid-tally, a server stopped the hard way) it would otherwise wait, orphaned, for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _ready() -> int:
    import plebiscite.coercion.shuffle
    import plebiscite.coercion.tags  # noqa: F401  (the jobs' modules, imported once per worker)

    return os.getpid()


def msm(scalars: Sequence[int], points: Sequence[bytes]) -> bytes:
    """``Σ s_i·P_i`` (one multiplication and one addition per term; the group layer has no multi-exponentiation)."""
    acc = G.IDENTITY
    for s, p in zip(scalars, points, strict=True):
        acc = G.add(acc, G.mul(p, s))
    return acc


def msm_many(scalars: Sequence[int], columns: Sequence[Sequence[bytes]]) -> list[bytes]:
    """``[Σ s_i·column[i] for column in columns]`` with the same scalars."""
    return [msm(scalars, col) for col in columns]


def sum_points(points: Sequence[bytes]) -> bytes:
    acc = G.IDENTITY
    for p in points:
        acc = G.add(acc, p)
    return acc


def parallel_msm(pool: Workers, scalars: Sequence[int], columns: Sequence[Sequence[bytes]]) -> list[bytes]:
    """:func:`msm_many` over chunks of rows in parallel, partial sums added at the end."""
    n = len(scalars)
    jobs = [(list(scalars[lo:hi]), [list(c[lo:hi]) for c in columns]) for lo, hi in pool.ranges(n)]
    if not jobs:
        return [G.IDENTITY] * len(columns)
    parts = pool.map(msm_many, jobs)
    return [sum_points([p[k] for p in parts]) for k in range(len(columns))]


def parallel_sum(pool: Workers, points: Sequence[bytes], native: bool | None = None) -> bytes:
    """``Σ points`` with the additions spread over the workers; natively with the native engine (``native``:
    whether to, instead of the pool's engine)."""
    native = native_cr.enabled(pool.engine) if native is None else native
    kernel = native_cr.point_sum if native else sum_points
    jobs = [(list(points[lo:hi]),) for lo, hi in pool.ranges(len(points), 4096)]
    return kernel(pool.map(kernel, jobs)) if jobs else G.IDENTITY


def public_msm(pool: Workers, scalars: Sequence[int], columns: Sequence[Sequence[bytes]]) -> list[bytes]:
    """:func:`parallel_msm` for **public** scalars and elements only (a verifier's sums): with the native engine,
    a variable-time multiscalar multiplication per chunk (docs/native.md). A prover's secret scalars never come
    here: the reference engine's prover uses :func:`parallel_msm` (libsodium, constant time), the native engine's a
    constant-time multiscalar multiplication in ``native/src/cr/prover_shuffle.rs`` (docs/native.md §7.6)."""
    if not native_cr.enabled(pool.engine):
        return parallel_msm(pool, scalars, columns)
    n = len(scalars)
    jobs = [(list(scalars[lo:hi]), [list(c[lo:hi]) for c in columns]) for lo, hi in pool.ranges(n)]
    if not jobs:
        return [G.IDENTITY] * len(columns)
    parts = pool.map(native_cr.msm_columns, jobs)
    return [native_cr.point_sum([p[k] for p in parts]) for k in range(len(columns))]
