"""`plebiscite demo --http`: the referendum through the voting service on loopback, in the shape of a real one.

Each trustee is its own process with its own home directory and vault (``board/demo_trustees.py``): it makes its
identity key, which the organiser puts in the manifest; the board (a fresh SQLite database, served in this process on
a free loopback port) starts from the manifest alone; the trustees run the key ceremony against it, round by round;
the registrar publishes the roll, which closes the ceremony; simulated voters fetch the election, encrypt on their
"devices", challenge or cast over HTTP concurrently and keep their receipts; the administrator opens, closes and
tallies over HTTP; all but one trustee verify the record and post their partial decryptions; a mirror copies the
board and the copy is verified — including the board's signed heads — and a sample of receipts is checked.
"""

from __future__ import annotations

import random
import secrets
import shutil
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import nacl.signing
import uvicorn

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.board.client import check_receipt, mirror
from plebiscite.board.demo_trustees import TrusteeProcesses
from plebiscite.board.httpserver import server_config
from plebiscite.board.operator_client import BoardSession, read_setup
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.conduct import Conduct
from plebiscite.demo import DemoOutcome, _silent, expected_counts, random_selection
from plebiscite.record import events as ev
from plebiscite.record.store import parse_event
from plebiscite.setup.credentials import Credential
from plebiscite.setup.samples import referendum


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """uvicorn in a background thread, stopped on exit."""

    def __init__(self, app: Any, port: int, config: uvicorn.Config | None = None) -> None:
        self.server = uvicorn.Server(config or server_config(app, "127.0.0.1", port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the board service did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:300]}"
        )
    return response.json()


def _events(client: httpx.Client) -> list[ev.Event]:
    out: list[ev.Event] = []
    while True:
        page = _ok(client.get("/api/board/entries", params={"start": len(out), "limit": 1000}))
        if not page:
            return out
        out += [parse_event(e["index"], e["leaf"].encode(), f"board entry {e['index']}") for e in page]


def run_http_demo(
    record: Path,
    voters: int = 100,
    trustees: int = 3,
    threshold: int = 2,
    seed: int | None = None,
    progress: Any = _silent,
    say: Any = lambda _m: None,
    concurrency: int = 16,
) -> DemoOutcome:
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    manifest = referendum()
    work = Path(tempfile.mkdtemp(prefix="plebiscite-demo-"))
    prep = work / "manifest-record"
    board_trustees = TrusteeProcesses(trustees, work)
    keys = board_trustees.round("init")
    say(f"{trustees} trustee processes made their keys, each in its own vault")
    Conduct.create_record(prep, manifest, [bytes.fromhex(keys[i][0]) for i in sorted(keys)], threshold)
    credentials = [Credential.generate(manifest.election_id) for _ in range(voters)]
    token = secrets.token_urlsafe(24)
    election = open_election(
        f"sqlite:///{work / 'board.db'}", nacl.signing.SigningKey.generate(), prep, check_workers=1
    )
    admin = {"Authorization": f"Bearer {token}"}
    try:
        with (
            board_trustees,
            LoopbackServer(create_app(election, token), free_port()) as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            say(f"board serving on {server.url} (SQLite at {work / 'board.db'}), holding the manifest")
            for step in ("join", "deal", "receive", "answer", "finish"):
                board_trustees.round(step, server.url)
            say(
                "key ceremony over the board: every trustee's share made and kept in its own process and vault"
            )
            roll = {"credentials": [c.public_key.hex() for c in credentials]}
            _ok(client.post("/api/admin/roll", json=roll, headers=admin))
            _ok(client.post("/api/admin/open", headers=admin))
            info = _ok(client.get("/api/election"))
            with BoardSession(server.url) as session:  # the voters' client: setup proved in the signed log
                ctx = read_setup(session).context
            assert ctx is not None and ctx.fingerprint.hex() == info["election"]["fingerprint"]
            challengers = set(rng.sample(range(voters), min(voters, max(1, voters // 50))))
            revoters = set(rng.sample(range(voters), min(voters, max(1, voters // 20))))
            plans = [
                (
                    v,
                    cred,
                    random_selection(manifest, rng),
                    random_selection(manifest, rng) if v in revoters else None,
                    random_selection(manifest, rng) if v in challengers else None,
                )
                for v, cred in enumerate(credentials)
            ]
            receipts: list[dict[str, Any]] = []
            lock = threading.Lock()

            def voter(plan: Any) -> dict[str, list[str]]:
                _, cred, first, second, audit = plan
                with httpx.Client(base_url=server.url, timeout=60) as own:
                    if audit is not None:
                        ballot, opening = encrypt_ballot(ctx, cred, audit)
                        shown = _ok(
                            own.post(
                                "/api/challenges",
                                json={"ballot": ballot.to_json(), "opening": opening.to_json()},
                            )
                        )
                        if {q: sorted(v) for q, v in shown["choices"].items()} != {
                            q: sorted(v) for q, v in audit.items()
                        }:
                            raise RuntimeError("the opened ballot does not show what the voter chose")
                    final = first
                    for choice in [first, *([second] if second else [])]:
                        ballot, _ = encrypt_ballot(ctx, cred, choice)
                        receipt = _ok(own.post("/api/ballots", json=ballot.to_json()))
                        assert receipt["tracking_code"] == ballot.tracking_code()
                        final = choice
                    with lock:
                        receipts.append(receipt)
                    return final

            finals: dict[int, dict[str, list[str]]] = {}
            with (
                progress("voters cast over HTTP", voters) as advance,
                ThreadPoolExecutor(concurrency) as pool,
            ):
                for plan, final in zip(plans, pool.map(voter, plans), strict=True):
                    finals[plan[0]] = final
                    advance(1)
            for receipt in rng.sample(receipts, min(10, len(receipts))):
                check_receipt(receipt, server.url)
            say(f"{len(receipts)} receipts issued; a sample re-checked against the board")
            _ok(client.post("/api/admin/close", headers=admin))
            _ok(client.post("/api/admin/tally", headers=admin))
            present = list(ctx.qualified)
            if len(present) > threshold:
                present = present[1:]  # one trustee does not show up
            board_trustees.round("decrypt", server.url, present)
            say(f"trustees {present} verified the record and posted their partial decryptions")
            result = _ok(client.post("/api/admin/result", headers=admin))
            mirrored = mirror(server.url, record)
            say(f"mirror copied {mirrored.copied} entries into {record}; signed head {mirrored.size}")
    finally:
        election.close()
        shutil.rmtree(work, ignore_errors=True)  # the board database and setup copy; the mirror is the record
    return DemoOutcome(
        expected=expected_counts(manifest, [finals[v] for v in range(voters)]),
        result=result["questions"],
        record=record,
        challenged=len(challengers),
        revotes=len(revoters),
        trustees_used=result["trustees"],
        extra={"receipts": len(receipts)},
    )
