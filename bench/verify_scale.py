"""Verifying a large standard-mode record: time and memory on one and on all cores.

    .venv/bin/python bench/verify_scale.py --ballots 100000          # builds the record once (~3 min per 100 k)
    .venv/bin/python bench/verify_scale.py --record /path/to/record  # an existing record instead

The record is the referendum of ``ballots.py`` (one yes/no question, 3 trustees, 2-of-3), one ballot per voter,
built with ``Conduct`` and cached in ``$PLEBISCITE_BENCH_CACHE`` or ``/tmp/plebiscite-bench/``. Each verification
runs in a fresh process, so its peak resident memory (``ru_maxrss``) is its own. Results go to
``bench/results/verify_scale.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ballots import build_plebiscite, finish_plebiscite
from machine import ROOT, loadavg, machine_info, versions
from plebiscite.ballot.encrypt import encrypt_ballot

CHILD = """
import json, resource, sys, time
from pathlib import Path
from plebiscite.verify.runner import verify_record
start = time.perf_counter()
report = verify_record(Path(sys.argv[1]), int(sys.argv[2]))
wall = time.perf_counter() - start
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"ok": report.ok, "wall_s": wall, "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
                  "peak_rss_mb": own.ru_maxrss // 1024, "worker_peak_rss_mb": kids.ru_maxrss // 1024}))
"""


def build(path: Path, ballots: int, say: Any) -> None:
    """The record, unless a finished one is already there."""
    events = path / "events.jsonl"
    if events.exists() and b'"type":"result"' in events.read_bytes()[-4096:]:
        return
    shutil.rmtree(path, ignore_errors=True)
    say(f"building a {ballots:,}-ballot record in {path} …")
    rng = random.Random(20261125)
    conduct, ctx, creds, trustees = build_plebiscite(path, ballots)
    for cred in creds:
        conduct.cast(encrypt_ballot(ctx, cred, {"q1": [rng.choice(["yes", "no"])]})[0].to_json())
    finish_plebiscite(conduct, path, ctx, trustees)


def verify(path: Path, workers: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(workers)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--record", type=Path, help="verify this record instead of building one")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "verify_scale.json")
    args = ap.parse_args(argv)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    cache = Path(os.environ.get("PLEBISCITE_BENCH_CACHE", "/tmp/plebiscite-bench"))
    path = args.record or cache / f"plebiscite-n{args.ballots}"
    if args.record is None:
        start = time.perf_counter()
        build(path, args.ballots, say)
        say(f"record ready ({time.perf_counter() - start:.0f} s)")
    ballots = (path / "events.jsonl").read_bytes().count(b'"type":"ballot"')
    runs = []
    for workers in args.workers:
        say(f"verify_record, workers={workers} …")
        run = verify(path, workers)
        run.update(workers=workers, ballots_per_s=round(ballots / run["wall_s"], 1), load_after=loadavg())
        runs.append(run)
        print(
            f"{ballots:,} ballots, workers={workers}: {run['wall_s']:.1f} s ({run['ballots_per_s']:,.0f} ballots/s), "
            f"verified={run['ok']}, peak RSS {run['peak_rss_mb']} MB (workers {run['worker_peak_rss_mb']} MB), "
            f"{run['peak_rss_mb'] * 1024 / ballots:.1f} KB per ballot"
        )
    data = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "record": str(path),
        "ballots": ballots,
        "record_bytes": (path / "events.jsonl").stat().st_size,
        "runs": runs,
        "machine": machine_info(),
        "versions": versions(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
