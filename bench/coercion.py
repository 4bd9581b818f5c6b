"""Benchmark of the coercion-resistant mode: N voters, each with one fake credential used once (2 ballots/voter).

Yes/no referendum, 3 trustees with threshold 2 (one absent: two trustees tally, shuffle and decrypt), all cores.
Times registration, the roll precomputation (tag keys, roll shuffles and roll tags, posted while voting runs), the
voters' devices (ballot creation), the board's ballot checks, the trustees' rows that need only the cast ballots
(MAC-fold rows, the first duplicate-elimination pass: computed while voting runs, once after the last ballot here,
docs/native.md §7.7; ``--no-rows-ahead`` leaves them to the tally), the tally after close (every step with its proofs
and signed payloads), decryption, and the independent verification of the whole record (in memory: the events are
built with their canonical bytes exactly as for a record on disk, but not written to it). The costs are linear in
N, so 1 M voters is extrapolated linearly from the largest measured point.

CPU, not wall, is the measure on a shared machine: ``two_core_estimate = main + workers / 2``. Each tally step's
worker CPU is read from ``/proc`` (the pool lives through the whole tally). The cost of one group operation is
measured before and after each point (``group_op_microseconds``): other jobs on the machine slow even CPU time
down (shared caches and execution units), and this shows by how much.

    .venv/bin/python bench/coercion.py --voters 1000 10000 --out bench/results/coercion.json

``--engine native|reference`` (default: ``PLEBISCITE_ENGINE``, else native when built) picks the engine of the
proofs' public computations — the board's ballot checks and the verification (docs/native.md §7) — and of the
trustees' secret computations in the precomputation and the tally (tag passes, MAC fold, blinding, shuffles:
curve25519-dalek's constant-time code with native, libsodium with reference, docs/native.md §7.6); each point
records it as ``"engine"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plebiscite import native
from plebiscite.coercion.ballot import check_ballot, encrypt_ballot
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.credentials import Credential, Registrar, VoterKey, trustee_mac_share
from plebiscite.coercion.demo import coercion_manifest
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.trustees import TallyTrustee
from plebiscite.conduct import Conduct, manifest_payload
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState
from plebiscite.setup.election import ElectionContext
from plebiscite.verify.runner import verify_events


class MemorySink:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def append(self, event: ev.Event) -> None:
        self.events.append(event)


def _issue(
    registrar: Registrar, key: bytes, fp: bytes, count: int, eid: str
) -> list[tuple[VoterKey, Credential]]:
    out = []
    for _ in range(count):
        vk = VoterKey.generate(eid)
        out.append((vk, registrar.issue(vk.request(fp), key, fp)))
    return out


def _ballots(
    ctx: ElectionContext, pairs: list[tuple[VoterKey, Credential]], mac_public: bytes, fp: bytes, seed: int
) -> list[dict[str, Any]]:
    """One fake-credential ballot ("yes", the coercer's) and one real ballot per voter."""
    out = []
    for i, (vk, cred) in enumerate(pairs):
        fake = cred.fake(vk, ctx.public_key, mac_public, fp)
        out.append(encrypt_ballot(ctx, fake, {"q1": ["yes"]})[0].to_json())
        out.append(encrypt_ballot(ctx, cred, {"q1": ["yes" if (seed + i) % 3 == 0 else "no"]})[0].to_json())
    return out


def _check(ctx: ElectionContext, payloads: list[dict[str, Any]]) -> int:
    for p in payloads:
        check_ballot(p, ctx)
    return len(payloads)


def _split(pool: Workers, n: int) -> list[tuple[int, int]]:
    return pool.ranges(n, 16)


def _children_cpu() -> float:
    """CPU seconds of this process's live children (the worker pool), from /proc; 0 where there is none."""
    me, total, pids = os.getpid(), 0.0, set[int]()
    try:
        for tid in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{tid}/children") as f:
                pids.update(int(x) for x in f.read().split())
    except OSError:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


class Steps:
    """Wall, main-process and worker CPU between successive ``say`` messages of the tally."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}
        self.last = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        return time.perf_counter(), _cpu()[0], _children_cpu()

    def say(self, message: str) -> None:
        now = self._now()
        wall, main, workers = (now[i] - self.last[i] for i in range(3))
        self.rows[message.split(":")[0]] = {
            "wall": round(wall, 2),
            "cpu_main": round(main, 2),
            "cpu_workers": round(workers, 2),
            "two_core_estimate": round(main + workers / 2, 2),
        }
        self.last = now


def group_op_costs() -> dict[str, float]:
    """Microseconds of CPU per variable-base multiplication, base multiplication and addition, right now."""
    scalars = [G.random_scalar() for _ in range(400)]
    points = [G.mul_base(x) for x in scalars]
    out = {}
    for name, fn in (
        ("mul", lambda: [G.mul(p, x) for p, x in zip(points, scalars, strict=True)]),
        ("mul_base", lambda: [G.mul_base(x) for x in scalars]),
        ("add", lambda: [G.add(p, q) for p, q in zip(points, reversed(points), strict=True)]),
    ):
        start = time.process_time()
        fn()
        out[name] = round((time.process_time() - start) / len(scalars) * 1e6, 1)
    return out


def _cpu() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


@contextmanager
def phase(t: dict[str, dict[str, float]], name: str) -> Iterator[None]:
    """Wall seconds, and CPU seconds of this process and of its (finished) worker processes.

    Worker CPU is counted when the pool shuts down, so each phase opens and closes its own pool. On a shared machine
    wall time includes waiting for other jobs; ``two_core_estimate = main + workers / 2`` is what the phase takes on
    two otherwise idle cores when the main process waits while the workers compute (it does: ``pool.map``).
    """
    wall, (me, kids) = time.perf_counter(), _cpu()
    yield
    me2, kids2 = _cpu()
    main, workers = me2 - me, kids2 - kids
    t[name] = {
        "wall": round(time.perf_counter() - wall, 2),
        "cpu_main": round(main, 2),
        "cpu_workers": round(workers, 2),
        "two_core_estimate": round(main + workers / 2, 2),
    }


def run(voters: int, workers: int, rows_ahead: bool = True) -> dict[str, Any]:
    t: dict[str, dict[str, float]] = {}
    costs_before = group_op_costs()
    manifest = coercion_manifest("bench-coercion", extra_questions=False)
    sink = MemorySink()
    board = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    # the manifest event names the trustees' keys (as Conduct.create_record does for a record on disk)
    Conduct(ElectionState(), sink).post(
        ev.MANIFEST, manifest_payload(manifest, [t.identity for t in board], 2)
    )
    cc = CoercionConduct(Conduct(ElectionState.from_events(sink.events), sink))
    cc.run_ceremony(board)
    registrar = Registrar.new(2)
    mac = cc.deal_mac_key(registrar)
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    with phase(t, "registration"), Workers(workers) as pool:
        jobs = [(registrar, key, cfp, hi - lo, manifest.election_id) for lo, hi in _split(pool, voters)]
        pairs = [p for part in pool.map(_issue, jobs) for p in part]
    cc.register([(c.voter_key, c.entry) for _, c in pairs])
    ctx = cc.open_voting()
    present = board[1:]
    assert cc.mac_payload is not None
    tts = [
        TallyTrustee(tr, trustee_mac_share(cc.mac_payload, mac, tr.index, tr.box_secret)) for tr in present
    ]
    pre_steps = Steps()
    with phase(t, "roll_precomputation_during_voting"):
        cc.precompute(tts, workers, say=pre_steps.say)
    with phase(t, "ballot_creation_voter_devices"), Workers(workers) as pool:
        jobs2 = [(ctx, pairs[lo:hi], mac.public, cfp, lo) for lo, hi in _split(pool, voters)]
        payloads = [b for part in pool.map(_ballots, jobs2) for b in part]
    with phase(t, "board_ballot_checks"), Workers(workers) as pool:
        pool.map(_check, [(ctx, payloads[lo:hi]) for lo, hi in _split(pool, len(payloads))])
    for p in payloads:  # already checked in parallel above: post directly
        cc.conduct.post("cr-ballot", p)
        cc.ballots.append(p)
    if (
        rows_ahead
    ):  # the trustees' rows that need only the cast ballots, while voting runs (docs/native.md §7.7)
        with phase(t, "rows_ahead_during_voting"):
            cc.rows_ahead(tts, workers)
    cc.close()
    steps = Steps()
    with phase(t, "tally_after_close"):
        cc.tally(tts, workers, say=steps.say)
    with phase(t, "decryption"):
        for tr in present:
            cc.decrypt(tr)
        result = cc.combine()
    with phase(t, "verification"):
        report = verify_events(sink.events, workers=workers)
    expected_yes = sum(1 for i in range(voters) if i % 3 == 0)
    counts = result["questions"][0]["counts"]
    return {
        "voters": voters,
        "ballots": 2 * voters,
        "engine": native.default_engine(),
        "rows_ahead": rows_ahead,
        "verified": report.ok,
        "result_correct": counts == {"yes": expected_yes, "no": voters - expected_yes},
        "seconds": t,
        "precomputation_steps_seconds": pre_steps.rows,
        "tally_steps_seconds": steps.rows,
        "group_op_microseconds": {"before": costs_before, "after": group_op_costs()},
        "load_average": os.getloadavg(),
        "record_bytes": sum(len(e.raw) + 1 for e in sink.events),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voters", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("bench/results/coercion.json"))
    parser.add_argument("--engine", choices=native.ENGINES, default=None)
    parser.add_argument(
        "--no-rows-ahead",
        dest="rows_ahead",
        action="store_false",
        help="compute the MAC fold's rows and the first duplicate-elimination pass after close, not while voting "
        "runs (docs/native.md §7.7)",
    )
    args = parser.parse_args()
    if args.engine:  # every pool, check and verification of the run (workers inherit the environment)
        os.environ["PLEBISCITE_ENGINE"] = args.engine
    args.engine = native.default_engine()
    points: list[dict[str, Any]] = []
    for n in args.voters:
        point = run(n, args.workers, args.rows_ahead)
        print(json.dumps(point), flush=True)
        points.append(point)
        write(args, points)


def write(args: argparse.Namespace, points: list[dict[str, Any]]) -> None:
    """Write the figures measured so far, extrapolated linearly from the largest point."""
    top = max(points, key=lambda p: p["voters"])
    scale = 1_000_000 / top["voters"]
    sec = top["seconds"]

    def hours(name: str, key: str) -> float:
        return round(sec[name][key] * scale / 3600, 2)

    out = {
        "command": "bench/coercion.py --voters "
        + " ".join(map(str, args.voters))
        + f" --workers {args.workers} --engine {args.engine}"
        + ("" if args.rows_ahead else " --no-rows-ahead"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_end": os.getloadavg(),
            "note": "shared with other engineers' jobs while measuring: figures are upper bounds",
        },
        "setup": "yes/no referendum; 3 trustees, threshold 2, two present; one fake credential per voter, "
        "used once (2 ballots per voter); all cores; the roll precomputation runs while voting is open and is "
        "reported apart from the tally after close, and so (unless --no-rows-ahead) do the trustees' MAC-fold "
        "rows and the first trustee's duplicate-elimination pass of the cast ballots (rows_ahead_during_voting, "
        "one run after the last ballot here)",
        "measured": points,
        "extrapolated_1M_voters": {
            "basis": f"linear from {top['voters']} voters (every step is linear in the number of ballots)",
            "tally_after_close_hours_two_idle_cores": hours("tally_after_close", "two_core_estimate"),
            "roll_precomputation_during_voting_hours_two_idle_cores": hours(
                "roll_precomputation_during_voting", "two_core_estimate"
            ),
            "tally_including_precomputation_hours_two_idle_cores": round(
                hours("tally_after_close", "two_core_estimate")
                + hours("roll_precomputation_during_voting", "two_core_estimate"),
                2,
            ),
            "verification_hours_two_idle_cores": hours("verification", "two_core_estimate"),
            "board_ballot_checks_hours_two_idle_cores": hours("board_ballot_checks", "two_core_estimate"),
            "tally_after_close_hours_wall_as_measured_on_the_shared_machine": hours(
                "tally_after_close", "wall"
            ),
            "verification_hours_wall_as_measured_on_the_shared_machine": hours("verification", "wall"),
            "tally_after_close_cpu_core_hours": round(
                (sec["tally_after_close"]["cpu_main"] + sec["tally_after_close"]["cpu_workers"])
                * scale
                / 3600,
                2,
            ),
            "record_gigabytes": round(top["record_bytes"] * scale / 1e9, 1),
        },
        "peer": "Votegral: 20 h 45 min on 128 cores for 1 M voters",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out["extrapolated_1M_voters"], indent=2), flush=True)


if __name__ == "__main__":
    main()
