"""The machine a benchmark runs on, and timing helpers shared by the benches (``ballots.py``).

Load, per-CPU busy fractions, versions, pinning to the idlest CPU, and figures (median and fastest of repeated
timings, with the CPU time next to the wall time so that a disturbed run shows).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from plebiscite.hazmat import group as G

ROOT = Path(__file__).resolve().parent.parent


def _cpu_times() -> dict[int, tuple[int, int]]:
    """Per-CPU (busy, total) jiffies from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            v = [int(x) for x in fields]
            idle = v[3] + v[4]  # idle + iowait
            out[int(name[3:])] = (sum(v[:8]) - idle, sum(v[:8]))
    return out


def cpu_busy(seconds: float = 1.0) -> dict[int, float]:
    """Fraction of each CPU busy over ``seconds`` (other processes: this one sleeps meanwhile)."""
    a = _cpu_times()
    time.sleep(seconds)
    b = _cpu_times()
    return {c: round((b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]), 3) for c in a if c in b}


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def uptime() -> str:
    with contextlib.suppress(OSError):
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return ""


def machine_info() -> dict[str, Any]:
    model = mhz = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model is None:
                model = value.strip()
            if key.strip() == "cpu MHz" and mhz is None:
                mhz = float(value)
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1]) // 1024
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": int(nproc) if nproc.isdigit() else os.cpu_count(),
        "cpu_model": model,
        "cpu_mhz": mhz,
        "memory_mib": mem,
        "kernel": platform.release(),
        "machine": platform.machine(),
    }


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, Any]:
    sodium = G._lib
    sodium.sodium_version_string.restype = ctypes.c_char_p
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
    )
    return {
        "python": platform.python_version(),
        "plebiscite": _version("plebiscite"),
        "git_commit": commit or None,
        "src_modified": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None,
        "libsodium": sodium.sodium_version_string().decode(),
        "pysodium": _version("pysodium"),
        "pynacl": _version("PyNaCl"),
    }


def wait_idle(limit_s: float, threshold: float, say: Callable[[str], None]) -> None:
    """Wait (at most ``limit_s``) until every CPU is less than ``threshold`` busy over 2 s."""
    deadline = time.monotonic() + limit_s
    while True:
        busy = cpu_busy(2.0)
        if max(busy.values()) < threshold:
            return
        if time.monotonic() >= deadline:
            say(f"machine still busy {busy} after {limit_s:.0f} s: running anyway")
            return
        say(f"waiting for the machine to quieten: CPU busy {busy}")
        time.sleep(8)


def pick_cpu(requested: int | None) -> tuple[int, dict[int, float]]:
    allowed = sorted(os.sched_getaffinity(0))
    busy = cpu_busy()
    if requested is not None:
        if requested not in allowed:
            sys.exit(f"--cpu {requested}: not one of this process's CPUs {allowed}")
        return requested, busy
    return min(allowed, key=lambda c: (busy.get(c, 1.0), c)), busy


@contextlib.contextmanager
def unpinned() -> Iterator[None]:
    """Run on every CPU (for workers=2), then pin back."""
    pinned = os.sched_getaffinity(0)
    os.sched_setaffinity(0, ALL_CPUS)
    try:
        yield
    finally:
        os.sched_setaffinity(0, pinned)


ALL_CPUS = os.sched_getaffinity(0)


# --- timing helpers ------------------------------------------------------------------------------------------------
def _cpu_now() -> float:
    """CPU seconds used by this process and its finished children (the workers=2 pool)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ru.ru_utime + ru.ru_stime


def figure(n: int, wall: list[float], cpu: list[float]) -> dict[str, Any]:
    """Medians of wall and CPU seconds over the timed runs, and the rates they give for ``n`` ballots."""
    mw, mc = statistics.median(wall), statistics.median(cpu)
    return {
        "ballots_per_s": r1(rate(n, mw)),
        "best_ballots_per_s": r1(rate(n, min(wall))),
        "ballots_per_cpu_s": r1(rate(n, mc)),
        "median_s": mw,
        "best_s": min(wall),
        "median_cpu_s": mc,
        "runs_s": wall,
        "runs_cpu_s": cpu,
    }


def marginal(n: int, full: dict[str, Any], empty: dict[str, Any], what: str) -> dict[str, Any]:
    w = full["median_s"] - empty["median_s"]
    c = full["median_cpu_s"] - empty["median_cpu_s"]
    return {
        "ballots_per_s": r1(rate(n, w)),
        "best_ballots_per_s": r1(rate(n, full["best_s"] - empty["best_s"])),
        "ballots_per_cpu_s": r1(rate(n, c)),
        "seconds": w,
        "cpu_seconds": c,
        "how": f"(median {what} of the {n}-ballot election − median of the same setup with no ballot) / {n}",
    }


def repeat(n: int, fn: Callable[[], Any], reps: int, warmup: int = 1) -> dict[str, Any]:
    """``reps`` timed calls of ``fn`` (which handles ``n`` ballots) after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        c0, t0 = _cpu_now(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), _cpu_now()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
    return figure(n, wall, cpu)


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def r1(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
