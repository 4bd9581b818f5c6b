"""The coercion-resistant roll precomputation and tally over the live service, against the same work in one process.

    .venv/bin/python bench/coercion_http.py --voters 2000

Both elections have the same size: ``--voters`` credentials on the roll, one real ballot each plus one fake-credential
ballot per ten voters, 3 trustees of which 2 tally, all cores. *In process*: ``CoercionConduct.precompute`` and
``.tally`` (nothing is checked while posting; the verifier checks afterwards). *Over HTTP*: the board (in this
process, on loopback) checks every trustee step on arrival with the verifier's functions, and each trustee (a
separate process with its own vault and mirror, as in ``demo --http``) verifies every step it has not verified
yet before it builds on it — so the HTTP figures include two verifications of every step that the in-process
figures leave to the verifier. Results: ``bench/results/coercion_http.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from plebiscite.board import cr_tally
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.demo_trustees import TrusteeProcesses
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.coercion import events as cev
from plebiscite.coercion import registration as reg
from plebiscite.coercion import turns
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.credentials import Credential, VoterKey, trustee_mac_share
from plebiscite.coercion.demo import coercer_choice, coercion_manifest
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.registrar_service import load_vault
from plebiscite.coercion.trustees import TallyTrustee
from plebiscite.conduct import Conduct
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.election import ElectionContext

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cr_ballots import one_machine

ROOT = Path(__file__).resolve().parent.parent
PW = "bench"
TOKEN = "bench-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _encrypt(job: tuple[ElectionContext, Credential, dict[str, list[str]]]) -> dict[str, Any]:
    ctx, credential, choice = job
    return encrypt_ballot(ctx, credential, choice)[0].to_json()


def ballots_for(
    ctx: ElectionContext, creds: list[Credential], fakes: list[Credential]
) -> list[dict[str, Any]]:
    """Fake-credential ballots first (the coerced voters at the door), then every voter's real one; all cores."""
    q = ctx.manifest.questions[0]
    jobs = [(ctx, f, coercer_choice(ctx.manifest)) for f in fakes]
    jobs += [(ctx, c, {q.id: [q.options[i % 2].id]}) for i, c in enumerate(creds)]
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        return list(pool.map(_encrypt, jobs, chunksize=32))


def _timed_run(home: str, url: str, step: str) -> tuple[list[str], float]:
    """A trustee step in its process (``demo_trustees._run``) and the CPU seconds it took there: the process's
    own and its reaped workers' (its pool of proof workers ends with the step)."""
    from plebiscite.board.demo_trustees import _run

    t0 = os.times()
    said = _run(home, url, step)
    t1 = os.times()
    return said, sum(t1[:4]) - sum(t0[:4])


def timed_round(
    trustees: TrusteeProcesses, step: str, url: str, indices: list[int]
) -> tuple[dict[int, list[str]], dict[int, float]]:
    """``trustees.round`` with each trustee's CPU seconds."""
    futures = {
        i: trustees.pools[i - 1].submit(_timed_run, str(trustees.homes[i - 1]), url, step) for i in indices
    }
    out = {i: f.result() for i, f in futures.items()}
    return {i: o[0] for i, o in out.items()}, {i: round(o[1], 2) for i, o in out.items()}


def in_process(work: Path, voters: int) -> dict[str, float]:
    setup = one_machine(work / "one-process", "bench-cr-one-process", voters, False)
    cc, mac, keys, creds = setup.cc, setup.mac, setup.keys, setup.creds
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    ctx = cc.open_voting()
    assert cc.mac_payload is not None
    present = [
        TallyTrustee(t, trustee_mac_share(cc.mac_payload, mac, t.index, t.box_secret))
        for t in setup.trustees[1:]
    ]
    t0 = time.monotonic()
    cc.precompute(present)
    precompute = time.monotonic() - t0
    fakes = [creds[i].fake(keys[i], key, mac.public, cfp) for i in range(0, voters, 10)]
    for ballot in ballots_for(ctx, creds, fakes):
        cc.cast(ballot)
    cc.close()
    t0 = time.monotonic()
    cc.tally(present)
    tally = time.monotonic() - t0
    events = store.read(work / "one-process")
    return {"precompute": precompute, "tally": tally, **verification(events)}


def verification(events: list[ev.Event]) -> dict[str, float]:
    """The verifier's check of the one-process record's precomputation and tally steps (all cores): what anyone
    who trusts the result must run once, and what the board and the next trustee each run over HTTP."""
    first = {e.type: e.index for e in reversed(events)}
    out = {}
    with Workers() as pool:
        for name, start, end in (
            ("verify_precompute", first[cev.PRECOMPUTE], first[cev.TALLY_START]),
            ("verify_tally", first[cev.TALLY_START], first[ev.TALLY] + 1),
        ):
            t0 = time.monotonic()
            walk = turns.walk(events[:end], start, pool=pool)
            out[name] = time.monotonic() - t0
            assert not walk.failures, walk.failures
    return out


class BoardClock:
    """Time the board spends in the trustee steps it accepts (it runs in this process): the whole check and append,
    and the verifier's walk with the candidate appended."""

    def __init__(self) -> None:
        self.spent = {"accept": 0.0, "check_candidate": 0.0}

    def __enter__(self) -> BoardClock:
        self.saved = cr_tally.accept_turn, turns.check_candidate
        cr_tally.accept_turn = self._timed("accept", cr_tally.accept_turn)  # type: ignore[method-assign]
        turns.check_candidate = self._timed("check_candidate", turns.check_candidate)  # type: ignore[method-assign]
        return self

    def __exit__(self, *_exc: object) -> None:
        cr_tally.accept_turn, turns.check_candidate = self.saved  # type: ignore[method-assign]

    def _timed(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[name] += time.monotonic() - t0

        return timed

    def take(self) -> dict[str, float]:
        out, self.spent = self.spent, dict.fromkeys(self.spent, 0.0)
        return out


def over_http(work: Path, voters: int, rows_ahead: bool = False) -> dict[str, Any]:
    """Trustees as separate processes with their own vaults (``board/demo_trustees.py``), the board here."""
    import nacl.signing

    manifest = coercion_manifest("bench-cr-http", extra_questions=False)
    trustees = TrusteeProcesses(3, work / "trustees")
    with trustees:
        keys = trustees.round("init")
        Conduct.create_record(work / "manifest", manifest, [bytes.fromhex(keys[i][0]) for i in (1, 2, 3)], 2)
        board_key = nacl.signing.SigningKey.generate()
        election = open_election(
            f"sqlite:///{work / 'board.db'}", board_key, work / "manifest", check_workers=2
        )
        try:
            with LoopbackServer(create_app(election, TOKEN), free_port()) as server, BoardClock() as clock:
                url = server.url
                for name in ("join", "deal", "receive", "answer", "finish"):
                    trustees.round(name, url)
                reg_home = work / "registrar"
                reg.deal(
                    TrusteeBoard(url, reg_home / "mirror"),
                    reg_home / "vault.json",
                    PW,
                    TOKEN,
                    lambda _m: None,
                )
                registrar = load_vault(reg_home / "vault.json", PW).registrar
                info = reg.election_info(TrusteeBoard(url, reg_home / "mirror").view())
                vks = [VoterKey.generate(manifest.election_id) for _ in range(voters)]
                creds = [
                    registrar.issue(k.request(info.ceremony), info.election_key, info.ceremony) for k in vks
                ]
                entries = [{"voter_key": c.voter_key.hex(), "credential": c.entry.to_json()} for c in creds]
                with httpx.Client(base_url=url, timeout=600) as client:
                    client.post(
                        "/api/admin/cr-roll", json={"entries": entries}, headers=ADMIN
                    ).raise_for_status()
                    client.post("/api/admin/open", headers=ADMIN).raise_for_status()
                    client.post(
                        "/api/admin/precompute", json={"trustees": [2, 3]}, headers=ADMIN
                    ).raise_for_status()
                    t0 = time.monotonic()
                    said = trustees.round("precompute", url, [2, 3])
                    precompute = time.monotonic() - t0
                    report(said)
                    board_precompute = clock.take()
                    ctx = election.conduct.context
                    fakes = [
                        creds[i].fake(vks[i], info.election_key, info.mac_key, info.ceremony)
                        for i in range(0, voters, 10)
                    ]
                    for ballot in ballots_for(ctx, creds, fakes):
                        client.post("/api/ballots", json=ballot).raise_for_status()
                    ahead = 0.0
                    cpu: dict[str, dict[int, float]] = {}
                    if (
                        rows_ahead
                    ):  # `plebiscite trustee ahead --once` in each trustee's process, before close
                        t0 = time.monotonic()
                        said, cpu["ahead"] = timed_round(trustees, "ahead", url, [2, 3])
                        ahead = time.monotonic() - t0
                        for i, lines in said.items():
                            print(f"  trustee {i}: {lines[-1]}", flush=True)
                    client.post("/api/admin/close", headers=ADMIN).raise_for_status()
                    client.post("/api/admin/tally", headers=ADMIN).raise_for_status()
                    t0 = time.monotonic()
                    said, cpu["tally"] = timed_round(trustees, "tally", url, [2, 3])
                    tally_said = said
                    tally = time.monotonic() - t0
                    report(said)
                assert election.state.phase == "tallied"
        finally:
            election.close()
    return {
        "precompute": precompute,
        "rows_ahead_during_voting": ahead,
        "tally": tally,
        "trustee_cpu": cpu,
        "trustee_lines": {f"tally/{i}": lines for i, lines in tally_said.items()},
        "board_precompute": board_precompute,
        "board_tally": clock.take(),
        "trustees": {f"{phase}/{i}": said_times[(phase, i)] for phase, i in said_times},
    }


said_times: dict[tuple[str, int], dict[str, float]] = {}


def report(said: dict[int, list[str]]) -> None:
    """Print each trustee's last line (where its time went) and keep its figures."""
    for i, lines in said.items():
        print(f"  trustee {i}: {lines[-1]}", flush=True)
        phase = lines[-1].split(":")[0]
        times = lines[-1].rsplit("; ", 1)[-1].rstrip(")")
        said_times[(phase, i)] = {
            k: float(v.split()[0]) for k, v in (t.split(" ", 1) for t in times.split(", "))
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument(
        "--rows-ahead",
        action="store_true",
        help="trustees compute their rows while voting runs (`trustee ahead`, once after the last ballot)",
    )
    parser.add_argument(
        "--http-only", action="store_true", help="skip the one-process election (for A/B of the HTTP tally)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "coercion_http.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="plebiscite-bench-cr-http-"))
    try:
        load_before = os.getloadavg()
        one = {} if args.http_only else in_process(work, args.voters)
        if one:
            print(
                f"one process: precompute {one['precompute']:.1f} s, tally {one['tally']:.1f} s; its "
                f"verification: precompute {one['verify_precompute']:.1f} s, tally {one['verify_tally']:.1f} s",
                flush=True,
            )
        http = over_http(work, args.voters, args.rows_ahead)
        print(f"over HTTP:   precompute {http['precompute']:.1f} s, tally {http['tally']:.1f} s", flush=True)
        print(f"  board: precompute {http['board_precompute']}, tally {http['board_tally']}")
        print(
            f"  trustees' CPU seconds: {http['trustee_cpu']}; rows ahead {http['rows_ahead_during_voting']:.1f} s"
        )
        ratio = {
            k: {
                "alone": round(http[k] / one[k], 2),
                "with_one_verification": round(http[k] / (one[k] + one[f"verify_{k}"]), 2),
                "with_two_verifications": round(http[k] / (one[k] + 2 * one[f"verify_{k}"]), 2),
            }
            for k in ("precompute", "tally")
            if one
        }
        print(f"ratio HTTP / one process: {ratio} (goal for the tally: ≤ 1.3)")
        report = {
            "benchmark": "bench/coercion_http.py",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": " ".join([".venv/bin/python", "bench/coercion_http.py", *sys.argv[1:]]),
            "voters": args.voters,
            "rows_ahead": args.rows_ahead,
            "ballots": args.voters + len(range(0, args.voters, 10)),
            "cpus": os.cpu_count(),
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "seconds": {"one_process": one, "over_http": http},
            "ratio_http_over_one_process": ratio,
            "note": (
                "over HTTP, every step is checked by the board on arrival and by the next trustee before use; "
                "with_one_verification divides by the one-process time plus one verification of its steps "
                "(turns.walk from the phase's first event), with_two_verifications by that plus two"
            ),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
