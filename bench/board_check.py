"""The board's ballot check with batching (issue 16: ``check_ballot`` p50 ≤ 150 µs a yes/no ballot, "batching where
several arrive together is allowed, receipts unchanged").

    .venv/bin/python bench/board_check.py                                  # both parts; writes the JSON
    .venv/bin/python bench/board_check.py --baseline-python /work/main/.venv/bin/python   # A/B against a checkout
    .venv/bin/python bench/board_check.py --help

Two parts, on the yes/no referendum of ``bench/board_load.py`` (prepared record, real ballots each signed by its
own credential, generated on every core before any timing):

1. **The check itself**, in this process: a check worker's function (``board.checkers.check_bodies``) on ``k``
   ballots that arrived together, for ``k`` = 1 (a lone ballot: exactly today's single check) up to 64 (the
   worker's most). Per call, its CPU time (``time.process_time``) and wall time divided by ``k``: the per-ballot
   cost; p50 and p99 over the calls. The sizes are interleaved round by round so that a change in the machine's
   load hits them all alike.
2. **Casting through the real server** (``plebiscite serve --check-workers N`` on a fresh SQLite board per run):
   one voter at a time (one client, closed loop), paced arrivals at several rates (open loop: latency counted from
   the due time), and 200 clients back to back. Per phase: cast latency p50/p99, receipts per second, and CPU per
   ballot of the check workers (from /proc: the batching's effect in place) and of the whole server. With
   ``--baseline-python``, every run is repeated, interleaved, on a server started by that interpreter (another
   checkout's venv: ``/work/main/.venv/bin/python`` runs main's code, one ballot per check).

``--breakdown FILE`` adds a lone ballot's check piece by piece (the native call straight from the body, and the
pieces of the Python path a body the crate does not read takes: JSON parse, canonical event line, the crate's line
reader, eligibility, the native check; CPU µs p50) and writes its ballots to FILE for ``cargo run --release
--example lone -- FILE`` (in ``native/``), which splits the native check (docs/native.md §6.4).

Other engineers share the 2 cores: read the CPU figures and the ``uptime`` loads recorded beside every phase.
Results go to ``bench/results/board_check.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from board_load import TOKEN, Server, make_ballots, percentile, prepare, run_clients, uptime
from plebiscite import native
from plebiscite.ballot.check import accepted_bodies, branch_counts
from plebiscite.board.checkers import Checked, check_bodies
from plebiscite.board.refusals import parse_json
from plebiscite.record.events import BALLOT, canonical_json
from plebiscite.setup.election import ElectionContext

ROOT = Path(__file__).resolve().parent.parent
SIZES = [1, 2, 4, 8, 16, 32, 64]


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 1), "p99": round(percentile(values, 99), 1)}


def check_cost(ctx: ElectionContext, bodies: list[bytes], rounds: int) -> dict[str, Any]:
    """Per-ballot CPU and wall µs of ``check_bodies`` on ``k`` ballots at once, for every ``k`` in SIZES."""
    check_bodies(bodies[:64], ctx)  # warm: the decoded election and its tables are cached in the extension
    cpu: dict[int, list[float]] = {k: [] for k in SIZES}
    wall: dict[int, list[float]] = {k: [] for k in SIZES}
    at = 0
    load_before, uptime_before = os.getloadavg(), uptime()
    for _ in range(rounds):
        for k in SIZES:
            for _ in range(max(1, 64 // k)):  # 64 ballots per size and round
                batch = [bodies[(at + j) % len(bodies)] for j in range(k)]
                at += k
                c0, w0 = time.process_time(), time.perf_counter()
                answers = check_bodies(batch, ctx)
                c1, w1 = time.process_time(), time.perf_counter()
                assert all(isinstance(a, Checked) for a in answers), answers
                cpu[k].append(1e6 * (c1 - c0) / k)
                wall[k].append(1e6 * (w1 - w0) / k)
    return {
        "engine": native.default_engine(),
        "rounds": rounds,
        "per_ballot_cpu_us": {str(k): _stats(cpu[k]) for k in SIZES},
        "per_ballot_wall_us": {str(k): _stats(wall[k]) for k in SIZES},
        "calls_per_size": {str(k): len(cpu[k]) for k in SIZES},
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "uptime": {"before": uptime_before, "after": uptime()},
    }


def breakdown(ctx: ElectionContext, bodies: list[bytes], rounds: int, dump: Path | None) -> dict[str, Any]:
    """Where a lone ballot's ``check_bodies([body])`` goes: per piece, the p50 over the bodies of its CPU µs
    (``time.process_time_ns``), the median of ``rounds`` passes. ``dump``: also write ``fingerprint``, ``key`` and
    ``content signature`` per line (hex) for ``cargo run --release --example lone -- FILE`` (the crate's split)."""
    counts = branch_counts(ctx.layouts)
    layouts = native.layouts_for_native(ctx.layouts)
    checker = native.body_checker(ctx.fingerprint, ctx.public_key, layouts)
    values = {b: parse_json(b) for b in bodies}
    lines = {b: canonical_json({"type": BALLOT, "payload": values[b]}) for b in bodies}
    read: dict[bytes, tuple[bytes, bytes, bytes, bytes, bytes]] = {}
    for b in bodies:
        found = native.read_ballot_lines([lines[b]], counts)[0]
        assert found is not None
        read[b] = found
    pieces: dict[str, Any] = {
        "check_bodies([body]) (the goal's span)": lambda b: check_bodies([b], ctx),
        "accepted_bodies([body])": lambda b: accepted_bodies([b], ctx),
        "native.check_ballot_bodies (1 body)": lambda b: native.check_ballot_bodies(checker, [b], ctx.roll),
        # the pieces of the path a body the crate does not read takes (every body took it before docs/native.md §6.4)
        "parse_json(body)": parse_json,
        "canonical_json(event)": lambda b: canonical_json({"type": BALLOT, "payload": values[b]}),
        "native.read_ballot_lines([line])": lambda b: native.read_ballot_lines([lines[b]], counts),
        "eligibility (fingerprint, roll)": lambda b: read[b][2] == ctx.fingerprint and read[b][3] in ctx.roll,
        "native.check_ballots (1 ballot)": lambda b: native.check_ballots(
            ctx.fingerprint, ctx.public_key, layouts, [read[b][:2]]
        ),
        "native.layouts_for_native": lambda b: native.layouts_for_native(ctx.layouts),
    }
    out: dict[str, Any] = {"uptime": {"before": uptime()}}
    for name, piece in pieces.items():
        medians = []
        for _ in range(rounds):
            times = []
            for body in bodies:
                c0 = time.process_time_ns()
                piece(body)
                times.append((time.process_time_ns() - c0) / 1000)
            medians.append(percentile(times, 50))
        out[name] = round(sorted(medians)[len(medians) // 2], 1)
        print(f"{name:44} {out[name]:7.1f} µs", file=sys.stderr)
    out["uptime"]["after"] = uptime()
    if dump is not None:
        rows = [f"{read[b][0].hex()} {read[b][1].hex()}" for b in bodies]
        dump.write_text("\n".join([ctx.fingerprint.hex(), ctx.public_key.hex(), *rows]) + "\n")
    return out


def _cpu(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def phase(server: Server, bodies: list[tuple[str, bytes]], clients: int, rate: float) -> dict[str, Any]:
    """One timed phase: cast latency, and the check workers' and the server's CPU per ballot."""
    workers = server.pids()[1:]
    load_before, uptime_before = os.getloadavg(), uptime()
    worker_cpu, server_cpu = _cpu(workers), server.cpu_seconds()
    result = run_clients(server.url, bodies, clients, 1, "raw", rate)
    worker_cpu, server_cpu = _cpu(workers) - worker_cpu, server.cpu_seconds() - server_cpu
    n = len(result["receipts"])
    seconds = result["ended"] - result["started"]
    lat_ms = [x * 1000 for x in result["latencies"]]
    return {
        "clients": clients,
        "offered_ballots_per_s": rate or None,
        "ballots": n,
        "errors": result["errors"],
        "ballots_per_s": round(n / seconds, 1) if seconds > 0 else None,
        "cast_latency_ms": {
            "p50": round(percentile(lat_ms, 50), 2),
            "p99": round(percentile(lat_ms, 99), 2),
        }
        if lat_ms
        else {},
        "check_workers_cpu_us_per_ballot": round(1e6 * worker_cpu / max(1, n), 1),
        "server_cpu_us_per_ballot": round(1e6 * server_cpu / max(1, n), 1),
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "uptime": {"before": uptime_before, "after": uptime()},
    }


def serve_runs(
    record: Path,
    ballots: list[tuple[str, bytes]],
    python: str,
    workers: int,
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    """A fresh board and server: warm-up, then each phase on its own ballots."""
    server = Server(record, tmp / f"run-{time.monotonic_ns()}", workers, python)
    try:
        opened = httpx.post(
            f"{server.url}/api/admin/open", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        )
        assert opened.status_code == 200, opened.text
        at = 0

        def take(n: int) -> list[tuple[str, bytes]]:
            nonlocal at
            at += n
            assert at <= len(ballots), "not enough ballots: raise --voters"
            return ballots[at - n : at]

        warm = run_clients(server.url, take(100), 10, 1, "raw")
        assert not warm["errors"], warm["errors"]
        phases: dict[str, Any] = {"one at a time": phase(server, take(args.lone), 1, 0.0)}
        for rate in args.rates:
            phases[f"paced {rate:g}/s"] = phase(server, take(int(rate * args.paced_seconds)), 200, rate)
        phases["200 clients back to back"] = phase(server, take(args.closed), 200, 0.0)
        return phases
    finally:
        server.stop()


def _commit(python: str) -> str | None:
    """The git commit of the checkout whose venv ``python`` belongs to."""
    checkout = Path(python).resolve().parent.parent.parent
    if Path(python).parent.parent.name == ".venv":
        checkout = Path(python).parent.parent.parent
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6, help="part 1: rounds of 64 ballots per batch size")
    parser.add_argument("--workers", type=int, default=2, help="part 2: --check-workers of the server")
    parser.add_argument("--lone", type=int, default=300, help="part 2: ballots cast one at a time")
    parser.add_argument("--rates", type=float, nargs="*", default=[100.0, 300.0, 600.0], help="paced rates")
    parser.add_argument("--paced-seconds", type=float, default=4.0)
    parser.add_argument("--closed", type=int, default=2000, help="ballots cast by 200 clients back to back")
    parser.add_argument("--repeat", type=int, default=1, help="part 2: runs per variant, interleaved")
    parser.add_argument(
        "--baseline-python", default=None, help="part 2: also run servers on this interpreter"
    )
    parser.add_argument("--skip-serve", action="store_true", help="part 1 only")
    parser.add_argument(
        "--breakdown",
        type=Path,
        default=None,
        metavar="FILE",
        help="also a lone ballot's check piece by piece; its ballots written to FILE for `--example lone`",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "board_check.json")
    args = parser.parse_args()
    per_run = 100 + args.lone + int(sum(args.rates) * args.paced_seconds) + args.closed
    with tempfile.TemporaryDirectory(prefix="plebiscite-board-check-") as scratch:
        tmp = Path(scratch)
        record = tmp / "record"
        t0 = time.perf_counter()
        voters = 600 if args.skip_serve else per_run
        manifest, ctx, credentials = prepare(record, voters, False)
        ballots = make_ballots(ctx, manifest, credentials)
        print(f"{len(ballots)} ballots in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        out: dict[str, Any] = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "cpus": os.cpu_count(),
            "goal": "check_ballot p50 <= 150 us a yes/no ballot (issue 16)",
        }
        out["check_cost"] = check_cost(
            ctx, [body for _, body in random.Random(1).sample(ballots, 600)], args.rounds
        )
        print(json.dumps(out["check_cost"]["per_ballot_cpu_us"]), file=sys.stderr)
        if args.breakdown is not None:
            out["lone_breakdown_cpu_us"] = breakdown(ctx, [b for _, b in ballots[:300]], 5, args.breakdown)
        if not args.skip_serve:
            variants = {"batched (this checkout)": sys.executable}
            if args.baseline_python:
                variants[f"baseline ({args.baseline_python})"] = args.baseline_python
                out["baseline_commit"] = _commit(args.baseline_python)
            out["this_commit"] = _commit(sys.executable)
            runs: dict[str, list[Any]] = {name: [] for name in variants}
            for _ in range(args.repeat):
                for name, python in variants.items():
                    runs[name].append(serve_runs(record, ballots, python, args.workers, args, tmp))
                    print(name, json.dumps(runs[name][-1]), file=sys.stderr)
            out["serve"] = {"check_workers": args.workers, "runs": runs}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
