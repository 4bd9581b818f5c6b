"""Verifying a large standard-mode record: time and peak memory on one and on two cores, and on a Dask cluster.

    .venv/bin/python bench/verify_scale.py --ballots 1000000         # builds the record once (both cores, ~8 min)
    .venv/bin/python bench/verify_scale.py --record /path/to/record  # an existing record instead
    .venv/bin/python bench/verify_scale.py --ballots 100000 --dask 1 2   # also on local Dask clusters of 1, 2 workers

The record is ``scale_record.py``'s referendum (one yes/no question, 3 trustees, 2-of-3), one ballot per voter,
cached in ``$PLEBISCITE_BENCH_CACHE`` or ``/tmp/plebiscite-bench/``. Each verification runs in a fresh process,
so its peak resident memory (``ru_maxrss``) is its own; the workers' peak is reported apart. With ``--dask`` the
ballots are first exported as Parquet partitions (timed) and each cluster size verifies from them, checking
that the report is the local one. Results go to ``bench/results/verify_scale.json``. The engine is the default one
(native when built, docs/native.md); ``PLEBISCITE_ENGINE=reference`` measures the reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from machine import ROOT, loadavg, machine_info, versions
from scale_record import build_record

CHILD = """
import json, os, resource, sys, threading, time
from pathlib import Path
from plebiscite.verify.runner import verify_record
record, workers, dask, parquet = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
# ru_maxrss of the children counts, for a forked (or fork-then-exec'd) child, every page it shares with the verifier
# at the fork: it reports the verifier's size, not what a worker costs. So each worker's proportional set size (PSS:
# its private pages plus its share of the shared ones) is sampled from /proc.
worker_rss = [0]
def children(pid):
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for tid in tids:
        try:
            found += open(f"/proc/{pid}/task/{tid}/children").read().split()
        except OSError:
            pass
    return found
def sample():  # every descendant (Dask's workers are its nannies' children)
    while True:
        try:
            sample_once()
        except Exception:  # a process that ended between two reads: next round
            pass
        time.sleep(0.5)
def sample_once():
    todo = children(os.getpid())
    while todo:
        pid = todo.pop()
        todo += children(pid)
        try:
            line = next(x for x in open(f"/proc/{pid}/smaps_rollup") if x.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
        worker_rss[0] = max(worker_rss[0], int(line.split()[1]) // 1024)
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
if dask:
    from plebiscite.verify.distributed import DaskBallots, connect
    with connect("local", workers) as client:
        report = verify_record(record, workers, DaskBallots(client, Path(parquet) if parquet else None))
else:
    report = verify_record(record, workers)
wall = time.perf_counter() - start
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"ok": report.ok, "engine": report.engine,
                  "wall_s": wall, "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
                  "peak_rss_mb": own.ru_maxrss // 1024, "worker_peak_pss_mb": worker_rss[0],
                  "children_ru_maxrss_mb": kids.ru_maxrss // 1024,
                  "report": [[c.name, c.items, c.failure_count] for c in report.checks]}))
"""


def build(path: Path, ballots: int, say: Any) -> None:
    """The record, unless a finished, signed one is already there (records before signed heads are rebuilt)."""
    events = path / "events.jsonl"
    if events.exists() and b'"type":"result"' in _tail(events) and (path / "heads.jsonl").exists():
        return
    shutil.rmtree(path, ignore_errors=True)
    say(f"building a {ballots:,}-ballot record in {path} …")
    build_record(path, ballots, say=say)


def _tail(path: Path) -> bytes:
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        return f.read()


def verify(path: Path, workers: int, dask: bool = False, parquet: Path | None = None) -> dict[str, Any]:
    args = [sys.executable, "-c", CHILD, str(path), str(workers), "1" if dask else "", str(parquet or "")]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def count_ballots(path: Path) -> int:
    with open(path / "events.jsonl", "rb") as f:
        return sum(1 for line in f if line.endswith(b',"type":"ballot"}\n'))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--record", type=Path, help="verify this record instead of building one")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--dask", type=int, nargs="*", default=[], help="local Dask cluster sizes to run")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "verify_scale.json")
    args = ap.parse_args(argv)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    cache = Path(os.environ.get("PLEBISCITE_BENCH_CACHE", "/tmp/plebiscite-bench"))
    path = args.record or cache / f"scale-n{args.ballots}"
    build_s = None
    if args.record is None:
        start = time.perf_counter()
        build(path, args.ballots, say)
        build_s = round(time.perf_counter() - start, 1)
        say(f"record ready ({build_s:.0f} s)")
    ballots = count_ballots(path)
    runs = []
    reference = None
    plans = [(w, False) for w in args.workers] + [(w, True) for w in args.dask]
    parquet = export_s = None
    if args.dask:
        parquet = path.parent / (path.name + "-parts")
        shutil.rmtree(parquet, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "plebiscite.cli.main", "export", str(path), str(parquet), "--parquet"],
            check=True,
            capture_output=True,
        )
        export_s = round(time.perf_counter() - start, 1)
        say(f"Parquet partitions written ({export_s:.0f} s)")
    for workers, dask in plans:
        say(f"verify_record, workers={workers}{' on Dask' if dask else ''}, load {loadavg()} …")
        load_before = loadavg()
        run = verify(path, workers, dask, parquet if dask else None)
        report = run.pop("report")
        reference = reference or report
        run.update(
            workers=workers,
            dask=dask,
            same_report=report == reference,
            ballots_per_s=round(ballots / run["wall_s"], 1),
            load_before=load_before,
            load_after=loadavg(),
        )
        runs.append(run)
        print(
            f"{ballots:,} ballots, workers={workers}{' (Dask)' if dask else ''}: {run['wall_s']:.1f} s "
            f"({run['ballots_per_s']:,.0f} ballots/s), verified={run['ok']}, same report={run['same_report']}, "
            f"peak RSS {run['peak_rss_mb']} MB (a worker's PSS {run['worker_peak_pss_mb']} MB), "
            f"{run['peak_rss_mb'] * 1024 / ballots:.2f} KB per ballot"
        )
    data = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "record": str(path),
        "ballots": ballots,
        "record_bytes": (path / "events.jsonl").stat().st_size,
        "build_s": build_s,
        "parquet_export_s": export_s,
        "runs": runs,
        "machine": machine_info(),
        "versions": versions(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0 if all(r["ok"] and r["same_report"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
