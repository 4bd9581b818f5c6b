"""Yes/no ballots encrypted and verified per second on one core: plebiscite, and Belenios in the same run.

    .venv/bin/python bench/ballots.py                # 1,000 ballots; writes bench/results/ballots.json
    .venv/bin/python bench/ballots.py --no-belenios  # plebiscite only
    .venv/bin/python bench/ballots.py --help

plebiscite (single yes/no question: one ciphertext, one 0/1 proof, the credential's Schnorr signature), pinned to one
core with ``os.sched_setaffinity``:

* encrypt: ``encrypt_ballot`` + ``to_json`` for every voter (encrypt, prove, sign);
* check_ballot: ``check_ballot`` on every cast ballot's JSON (decode, eligibility, signature, proof);
* record: ``verify_record(path, workers=1)`` on the whole 1,000-ballot election (3 trustees, 2-of-3: ceremony
  checks, roll, fingerprint, every ballot, uniqueness, aggregation, partial decryptions, result), and on the same
  setup with no ballot (setup-only cost); ``workers=2`` (both cores, not pinned) for information. The record
  verified carries the signed heads a board publishes (one per group commit: :data:`BOARD_GROUP` ballots, as the
  board signed them paced at 500 ballots/s); the offline record as ``Conduct`` writes it, with a head after every
  event (one more Ed25519 signature a ballot), is verified too and reported on its own line.

Belenios (``belenios-tool`` 2.0, see ``bench/belenios.py``): ``election verify`` on the same-sized election and on
the same setup with no ballot, pinned with ``taskset``; ``election generate-ballot`` (one process per ballot).

Every figure is the median of several timed repetitions after a warm-up (``time.perf_counter``); the CPU time of the
measured process is recorded next to it, so a run disturbed by other processes shows as wall ≫ CPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import belenios
from breakdown import breakdown, profile_check
from machine import (
    cpu_busy,
    figure,
    loadavg,
    machine_info,
    marginal,
    pick_cpu,
    r1,
    rate,
    repeat,
    unpinned,
    uptime,
    versions,
    wait_idle,
)
from plebiscite import native
from plebiscite.ballot.check import check_ballot
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.conduct import Conduct, cast_ballots
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.credentials import Credential
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.samples import referendum
from plebiscite.verify.runner import verify_record

ROOT = Path(__file__).resolve().parent.parent

TARGET_RATE = 5000  # plebiscite ballots verified per second per core (issue 16, native engine)
TARGET_RATIO = 100  # × Belenios


# --- plebiscite ----------------------------------------------------------------------------------------------------
def build_plebiscite(
    path: Path, voters: int
) -> tuple[Conduct, ElectionContext, list[Credential], list[Trustee]]:
    manifest = referendum("bench-referendum", extra_questions=False)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    conduct.run_ceremony(trustees)
    creds = [Credential.generate(manifest.election_id) for _ in range(voters)]
    conduct.register([c.public_key for c in creds])
    ctx = conduct.open_voting()
    return conduct, ctx, creds, trustees


def finish_plebiscite(
    conduct: Conduct, path: Path, ctx: ElectionContext, trustees: list[Trustee]
) -> dict[str, Any]:
    conduct.close()
    conduct.tally(cast_ballots(store.read(path), ctx))
    conduct.decrypt(trustees[0])  # 2 of 3 trustees decrypt, as on the Belenios side
    conduct.decrypt(trustees[1])
    return conduct.combine()


BOARD_GROUP = 10
"""Ballots a signed head covers in the record the benchmark verifies: the board signs one head per group commit,
and paced at 500 ballots/s it signed 991 heads for 10,000 ballots (bench/results/board_load.json, open loop)."""


def board_shaped(offline: Path, to: Path, group: int = BOARD_GROUP) -> int:
    """A copy of the offline record ``offline`` with the heads a board would have published: the same events and
    the same signed heads, less those that end inside a group of ``group`` ballots.

    An offline record (``Conduct``) signs a head after *every* event, so verifying it checks one more Ed25519
    signature a ballot than a board's export, where one head covers a whole group commit. Every head kept is one
    the record's own key signed over the record's own prefix, so check 18 and 19 run on it unchanged. Returns the
    number of heads kept."""
    shutil.copytree(offline, to)
    kinds = [e.type for e in store.read(offline)]
    ballots_before = [0]
    for kind in kinds:
        ballots_before.append(ballots_before[-1] + (kind == ev.BALLOT))
    kept = []
    for line in (offline / store.HEADS_FILE).read_bytes().splitlines(keepends=True):
        size = json.loads(line)["tree_size"]
        if size == len(kinds) or kinds[size - 1] != ev.BALLOT or ballots_before[size] % group == 0:
            kept.append(line)
    (to / store.HEADS_FILE).write_bytes(b"".join(kept))
    return len(kept)


def plebiscite_side(n: int, reps: int, work: Path, say: Callable[[str], None]) -> dict[str, Any]:
    rng = random.Random(20240611)
    full, empty = work / "record", work / "record-empty"

    say(f"plebiscite: setting up a {n}-voter referendum (3 trustees, 2-of-3) …")
    conduct, ctx, creds, trustees = build_plebiscite(full, n)
    choices = [["yes"] if rng.random() < 0.55 else ["no"] for _ in range(n)]

    say("plebiscite: encrypt + prove + sign …")
    made: list[dict[str, Any]] = []

    def encrypt_all() -> None:
        made.clear()
        for cred, choice in zip(creds, choices, strict=True):
            made.append(encrypt_ballot(ctx, cred, {"q1": choice})[0].to_json())

    enc = repeat(n, encrypt_all, max(2, reps - 2))
    for payload in made:
        conduct.cast(payload)
    result = finish_plebiscite(conduct, full, ctx, trustees)
    counts = result["questions"][0]["counts"]
    expected = {"yes": sum(c == ["yes"] for c in choices), "no": sum(c == ["no"] for c in choices)}
    if counts != expected:
        raise SystemExit(f"plebiscite result {counts} differs from the votes cast {expected}")

    payloads = [e.payload for e in store.read(full) if e.type == ev.BALLOT]
    assert len(payloads) == n

    say("plebiscite: check_ballot …")

    def check_all() -> None:
        for p in payloads:
            check_ballot(p, ctx)

    chk = repeat(n, check_all, reps)

    say("plebiscite: verify_record, workers=1 …")

    def verify(path: Path, workers: int, ballots: int, engine: str | None = None) -> Callable[[], None]:
        def run() -> None:
            report = verify_record(path, workers=workers, engine=engine)
            if not report.ok or report.by_name("ballot proofs").items != ballots:
                failed = [c.name for c in report.checks if not c.ok]
                raise SystemExit(f"verify_record({path}) did not pass: {failed}")

        return run

    board = work / "record-board"
    heads_kept = board_shaped(full, board)
    rec1 = repeat(n, verify(board, 1, n), reps)
    e_conduct, e_ctx, _, e_trustees = build_plebiscite(empty, n)
    finish_plebiscite(e_conduct, empty, e_ctx, e_trustees)
    rec0 = repeat(0, verify(empty, 1, 0), reps)
    say("plebiscite: verify_record, workers=1, the offline record (a signed head after every event) …")
    off1 = repeat(n, verify(full, 1, n), reps)
    say("plebiscite: verify_record, workers=2 (both cores, not pinned) …")
    with unpinned():
        rec2 = repeat(n, verify(board, 2, n), max(2, reps - 2))
    reference = None
    if native.default_engine() != native.REFERENCE:
        say("plebiscite: verify_record, workers=1, reference engine …")
        ref1 = repeat(n, verify(board, 1, n, native.REFERENCE), reps)
        ref0 = repeat(0, verify(empty, 1, 0, native.REFERENCE), reps)
        reference = {
            "engine": native.REFERENCE,
            "verify_record_w1": ref1,
            "verify_record_empty_w1": ref0,
            "verify_record_w1_marginal": marginal(n, ref1, ref0, "verify_record"),
        }

    return {
        "engine": native.default_engine(),
        "ballots": n,
        "result": counts,
        "record_bytes": (full / store.EVENTS_FILE).stat().st_size,
        "encrypt": enc,
        "check_ballot": chk,
        "verify_record_w1": rec1,
        "verify_record_empty_w1": rec0,
        "verify_record_w1_marginal": marginal(n, rec1, rec0, "verify_record"),
        "record_heads": {
            "verified": f"as a board publishes them: one signed head per {BOARD_GROUP} ballots ({heads_kept} heads)",
            "offline": f"a signed head after every event ({len(store.read_heads(full))} heads), verified apart",
        },
        "verify_record_w1_offline_record": off1,
        "verify_record_w1_offline_record_marginal": marginal(n, off1, rec0, "verify_record"),
        "verify_record_w2": {**rec2, "pinned": False, "note": "CPU time includes the worker processes"},
        "reference_engine": reference,
        "_ctx": ctx,
        "_payloads": payloads,
    }


# --- Belenios ------------------------------------------------------------------------------------------------------
def belenios_side(
    n: int, reps: int, cpu: int, cache: Path, gen_count: int, say: Callable[[str], None]
) -> dict[str, Any] | None:
    tool = belenios.ensure_installed(say)
    if tool is None:
        say("Belenios part SKIPPED: belenios-tool is not available")
        return None
    pin: int | None = cpu
    if not shutil.which("taskset"):
        say("taskset missing: Belenios runs unpinned")
        pin = None
    say(f"belenios: election with {n} ballots (cache {cache}) …")
    elec = belenios.election(tool, n, cache, say=say)
    say("belenios: election verify …")
    full = belenios.time_verify(tool, elec.full, pin, max(2, reps - 2), warmup=0)
    empty = belenios.time_verify(tool, elec.empty, pin, reps)
    say(f"belenios: generate-ballot × {gen_count} …")
    gen = belenios.time_generate(tool, elec.setup, pin, gen_count)
    start = belenios.time_startup(tool, elec.setup, pin)
    vfull, vempty = figure(n, full.wall, full.cpu), figure(0, empty.wall, empty.cpu)
    gen_fig = figure(1, gen.wall, gen.cpu)
    start_fig = figure(1, start.wall, start.cpu)
    return {
        "tool": tool,
        "version": belenios.version(tool),
        "group": belenios.GROUP,
        "question": belenios.TEMPLATE["questions"][0],
        "ballots": n,
        "result": {"yes": elec.expected[0], "no": elec.expected[1]},
        "cache": str(elec.root),
        "build_s_this_run": elec.build_seconds,
        "archive_bytes": sum(p.stat().st_size for p in elec.full.glob("*.bel")),
        "pinned_cpu": pin,
        "verify_full": vfull,
        "verify_empty": vempty,
        "verify_marginal": marginal(n, vfull, vempty, "election verify"),
        "generate_ballot": {
            **gen_fig,
            "count": gen_count,
            "note": "one belenios-tool process per ballot; rates are 1 / median seconds per ballot",
            "process_startup": start_fig,
            "ballots_per_s_without_startup": r1(rate(1, gen_fig["median_s"] - start_fig["median_s"])),
            "best_ballots_per_s_without_startup": r1(rate(1, gen_fig["best_s"] - start_fig["best_s"])),
            "ballots_per_cpu_s_without_startup": r1(
                rate(1, gen_fig["median_cpu_s"] - start_fig["median_cpu_s"])
            ),
        },
    }


# --- report --------------------------------------------------------------------------------------------------------
def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 1) if a and b else None


def fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.1f}"
    return str(x)


def table(head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = [head, *[tuple(fmt(c) for c in r) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = []
    for j, r in enumerate(cells):
        lines.append(
            "  ".join(r[0].ljust(widths[0]) if i == 0 else r[i].rjust(widths[i]) for i in range(len(head)))
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def comparisons(
    pleb: dict[str, Any], bel: dict[str, Any] | None, key: str
) -> list[tuple[str, Any, Any, Any]]:
    """Rows (what, plebiscite, Belenios, ratio) from the wall (``ballots_per_s``) or CPU (``…_per_cpu_s``) rates."""
    p, b = pleb, bel or {}

    def g(d: dict[str, Any], *path: str) -> Any:
        for k in path:
            d = d.get(k) if isinstance(d, dict) else None  # type: ignore[assignment]
        return d

    gen = g(b, "generate_ballot", key)
    gen_net = g(b, "generate_ballot", key + "_without_startup")
    b_marg = g(b, "verify_marginal", key)
    rows = [
        ("encrypt+prove+sign / generate-ballot", g(p, "encrypt", key), gen),
        ("  same, Belenios less its process start-up", g(p, "encrypt", key), gen_net),
        ("verify 1 ballot: check_ballot / Belenios marginal", g(p, "check_ballot", key), b_marg),
        ("verify whole election, marginal per ballot", g(p, "verify_record_w1_marginal", key), b_marg),
        ("verify whole election, n / total time", g(p, "verify_record_w1", key), g(b, "verify_full", key)),
        ("verify whole election, workers=2 (2 cores)", g(p, "verify_record_w2", key), None),
        (
            "  marginal, offline record (a head every event)",
            g(p, "verify_record_w1_offline_record_marginal", key),
            b_marg,
        ),
    ]
    return [(what, x, y, ratio(x, y)) for what, x, y in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--ballots", type=int, default=1000, help="ballots in each election (default 1000)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5; 3 for the slow ones)")
    ap.add_argument("--cpu", type=int, default=None, help="core to pin to (default: the idlest one)")
    ap.add_argument("--no-belenios", action="store_true", help="skip the Belenios part")
    ap.add_argument("--belenios-generate", type=int, default=30, help="Belenios ballots generated and timed")
    ap.add_argument(
        "--cache", type=Path, default=belenios.default_cache(), help="cache for the Belenios election"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ballots.json")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of check_ballot")
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="S",
        help="first wait up to S seconds until no CPU is more than 15%% busy (other processes)",
    )
    args = ap.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = dt.datetime.now(dt.UTC)
    machine = machine_info()  # before pinning: nproc counts the CPUs this process may use
    if args.wait_idle > 0:
        wait_idle(args.wait_idle, 0.15, say)
    cpu, busy = pick_cpu(args.cpu)
    up_before = uptime()
    say(f"{up_before}\nCPU busy over 1 s before the run: {busy}; pinning to CPU {cpu}")
    os.sched_setaffinity(0, {cpu})
    load = {"before": loadavg()}

    with tempfile.TemporaryDirectory(prefix="plebiscite-bench-") as tmp:
        pleb = plebiscite_side(args.ballots, args.reps, Path(tmp), say)
    load["after_plebiscite"] = loadavg()
    ctx, payloads = pleb.pop("_ctx"), pleb.pop("_payloads")
    say("plebiscite: cost of one check_ballot by primitive …")
    pleb["check_ballot_breakdown"] = breakdown(ctx, payloads)
    profile = profile_check(ctx, payloads) if args.profile else None

    bel = None
    if not args.no_belenios:
        bel = belenios_side(args.ballots, args.reps, cpu, args.cache, args.belenios_generate, say)
    load["after_belenios"] = loadavg()
    busy_after = cpu_busy(0.5)
    up_after = uptime()

    wall_rows = comparisons(pleb, bel, "ballots_per_s")
    cpu_rows = comparisons(pleb, bel, "ballots_per_cpu_s")
    best_rows = comparisons(pleb, bel, "best_ballots_per_s")
    ref = pleb["reference_engine"]
    ref_rows = comparisons(ref, bel, "ballots_per_s") if ref else None
    ratios = {
        "engine": pleb["engine"],
        "verify_marginal": wall_rows[3][3],
        "verify_marginal_reference_engine": ref_rows[3][3] if ref_rows else wall_rows[3][3],
        "verify_whole_election": wall_rows[4][3],
        "verify_marginal_offline_record": wall_rows[6][3],
        "check_ballot_vs_belenios_marginal": wall_rows[2][3],
        "encrypt_vs_generate": wall_rows[0][3],
        "encrypt_vs_generate_without_startup": wall_rows[1][3],
        "from_best_runs": {
            "verify_marginal": best_rows[3][3],
            "verify_whole_election": best_rows[4][3],
            "check_ballot_vs_belenios_marginal": best_rows[2][3],
            "encrypt_vs_generate": best_rows[0][3],
        },
        "from_cpu_time": {
            "verify_marginal": cpu_rows[3][3],
            "verify_marginal_offline_record": cpu_rows[6][3],
            "verify_whole_election": cpu_rows[4][3],
            "check_ballot_vs_belenios_marginal": cpu_rows[2][3],
            "encrypt_vs_generate": cpu_rows[0][3],
        },
    }
    p_check = pleb["check_ballot"]["ballots_per_s"]
    p_marg = pleb["verify_record_w1_marginal"]["ballots_per_s"]
    met_rate = min(p_check, p_marg) >= TARGET_RATE
    met_ratio = (ratios["verify_marginal"] or 0) >= TARGET_RATIO if bel else None

    if profile:
        print(profile)
    print()
    print(
        f"{args.ballots} yes/no ballots, 3 trustees (2-of-3); one core (CPU {cpu} of {machine['nproc']}); "
        f"engine {pleb['engine']}"
    )
    head: tuple[str, ...] = ("ballots/s per core (median wall time)", "plebiscite", "Belenios", "ratio")
    print(table(head, wall_rows))
    if ref_rows:
        print(table(("reference engine (libsodium)", "plebiscite", "Belenios", "ratio"), ref_rows[3:5]))
    print()
    head = (
        "fastest run / CPU time instead of median wall",
        "pleb best",
        "Bel best",
        "ratio",
        "pleb CPU",
        "Bel CPU",
        "ratio",
    )
    print(table(head, [(*b, *c[1:]) for b, c in zip(best_rows, cpu_rows, strict=True)]))
    print()
    e0 = pleb["verify_record_empty_w1"]["median_s"] * 1e3
    print(
        f"setup-only verification (same election, no ballot): plebiscite {e0:.1f} ms"
        + (f", Belenios {bel['verify_empty']['median_s'] * 1e3:.1f} ms" if bel else "")
    )
    bd = pleb["check_ballot_breakdown"]
    print(
        f"reference-engine check_ballot (best of 5): {bd['check_ballot_us_per_ballot_best_of_5']} µs/ballot = "
        "libsodium "
        f"{bd['libsodium_us_per_ballot']} µs + Python {bd['python_us_per_ballot']} µs; calls per ballot "
        f"{bd['calls_per_ballot']}; libsodium-bound ceiling {bd['libsodium_bound_ballots_per_s']}/s"
    )
    print(
        f"target ≥ {TARGET_RATE}/s per core: {'met' if met_rate else 'NOT met'} "
        f"(check_ballot {p_check}/s, whole election marginal {p_marg}/s)"
        + (
            f"; ≥ {TARGET_RATIO}× Belenios (marginal verification): {'met' if met_ratio else 'NOT met'} "
            f"({ratios['verify_marginal']}×)"
            if bel
            else "; Belenios skipped"
        )
    )
    print(f"uptime before: {up_before}\nuptime after:  {up_after}")

    result = {
        "benchmark": "bench/ballots.py",
        "engine": pleb["engine"],
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(
            [".venv/bin/python", "bench/ballots.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": {**machine, "pinned_cpu": cpu, "cpu_busy_before": busy, "cpu_busy_after": busy_after},
        "load_average": load,
        "uptime": {"before": up_before, "after": up_after},
        "versions": {**versions(), "belenios_tool": bel["version"] if bel else None},
        "config": {"ballots": args.ballots, "reps": args.reps, "trustees": 3, "threshold": 2},
        "plebiscite": pleb,
        "belenios": bel,
        "ratios_plebiscite_over_belenios": ratios,
        "targets": {
            "ballots_verified_per_s_per_core": TARGET_RATE,
            "met_rate": met_rate,
            "ratio_vs_belenios": TARGET_RATIO,
            "met_ratio": met_ratio,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    say(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
