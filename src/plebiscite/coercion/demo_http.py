"""`plebiscite demo --coercion --http`: the door-to-door scenario through the real service on loopback.

Everyone is where a real election puts them: each trustee is its own process with its own vault
(``board/demo_trustees.py``) and runs the key ceremony, the roll precomputation and the tally against the board in
its turns; the registrar deals its MAC key through the board and serves registration; every voter's device makes
its key, registers with a one-time code and checks its credential's proof; coerced voters hand a fake credential to
the official at the door, who votes with it; every voter later casts the real vote from their own device; the
administrator only opens, names the tally set, closes and starts the tally. The mirrored record is then verified.
"""

from __future__ import annotations

import random
import secrets
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import nacl.signing

from plebiscite.board.client import check_receipt, mirror
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.demo_trustees import TrusteeProcesses
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.coercion import registration as reg
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.demo import coercer_choice, coercion_manifest
from plebiscite.coercion.registrar_service import Enrolment, load_vault, registrar_app
from plebiscite.conduct import Conduct
from plebiscite.demo import DemoOutcome, _silent, expected_counts, random_selection


def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url.path}: {response.status_code} {response.text[:300]}")
    return response.json()


def run_coercion_http_demo(
    record: Path,
    voters: int = 20,
    coerced: int = 3,
    trustees: int = 3,
    threshold: int = 2,
    seed: int | None = None,
    progress: Any = _silent,
    say: Any = lambda _m: None,
    concurrency: int = 8,
) -> DemoOutcome:
    if voters < 2 or not 0 <= coerced <= voters:
        raise ValueError("voters: at least 2; coerced: between 0 and the number of voters")
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    manifest = coercion_manifest()
    work = Path(tempfile.mkdtemp(prefix="plebiscite-cr-demo-"))
    token = secrets.token_urlsafe(24)
    admin = {"Authorization": f"Bearer {token}"}
    board_trustees = TrusteeProcesses(trustees, work)
    try:
        keys = board_trustees.round("init")
        Conduct.create_record(
            work / "manifest", manifest, [bytes.fromhex(keys[i][0]) for i in sorted(keys)], threshold
        )
        election = open_election(
            f"sqlite:///{work / 'board.db'}",
            nacl.signing.SigningKey.generate(),
            work / "manifest",
            check_workers=1,
        )
        closing = election
        with (
            board_trustees,
            LoopbackServer(create_app(election, token), free_port()) as server,
            httpx.Client(base_url=server.url, timeout=600) as client,
        ):
            url = server.url
            say(f"board on {url}; {trustees} trustee processes, each with its own vault")
            for step in ("join", "deal", "receive", "answer", "finish"):
                board_trustees.round(step, url)
            say("key ceremony over the board done")

            # registration: the registrar's own machine, the voters' own devices
            reg_home, passphrase = work / "registrar", secrets.token_urlsafe(16)
            reg.deal(TrusteeBoard(url, reg_home / "mirror"), reg_home / "vault.json", passphrase, token, say)
            enrolment = Enrolment(reg_home / "enrolment.db")
            codes = enrolment.add_codes(voters)
            info = reg.election_info(TrusteeBoard(url, reg_home / "mirror").view())
            vault = load_vault(reg_home / "vault.json", passphrase)
            with LoopbackServer(registrar_app(vault, enrolment, info), free_port()) as registrar:

                def register(v: int) -> reg.DeviceCredential:
                    home = work / "voters" / f"v{v}"
                    return reg.register_device(
                        registrar.url,
                        TrusteeBoard(url, home / "mirror"),
                        codes[v],
                        home / "credential.json",
                        lambda _m: None,
                    )

                with (
                    progress("voters' devices register", voters) as advance,
                    ThreadPoolExecutor(concurrency) as pool,
                ):
                    devices = []
                    for device in pool.map(register, range(voters)):
                        devices.append(device)
                        advance(1)
                reg.publish(url, enrolment, token, say)
            enrolment.close()
            _ok(client.post("/api/admin/open", headers=admin))
            ctx = election.conduct.context
            present = list(ctx.qualified)[1:] if len(ctx.qualified) > threshold else list(ctx.qualified)
            _ok(client.post("/api/admin/precompute", json={"trustees": present}, headers=admin))
            precompute = board_trustees.start("precompute", url, present)  # runs while voting does
            say(f"voting open; trustees {present} precompute the roll meanwhile")

            demand = coercer_choice(manifest)
            visited = sorted(rng.sample(range(voters), coerced))
            fakes = {v: devices[v].fake() for v in visited}
            for fake in fakes.values():
                fake.check()  # all the official can check: it passes
            receipts: list[dict[str, Any]] = []

            def cast(device: reg.DeviceCredential, choice: dict[str, list[str]]) -> None:
                ballot = encrypt_ballot(ctx, device.credential, choice)[0]
                receipts.append(_ok(httpx.post(f"{url}/api/ballots", json=ballot.to_json(), timeout=120)))

            for v in visited:  # at the door, watched: the official votes with the fake it was handed
                cast(fakes[v], demand)
            say(f"{coerced} voter(s) coerced at the door: fake credentials accepted, ballots cast with them")
            final: list[dict[str, list[str]]] = []
            for v in range(voters):
                choice = random_selection(manifest, rng)
                if v in fakes:
                    choice = {**choice, manifest.questions[0].id: [manifest.questions[0].options[-1].id]}
                final.append(choice)
            with (
                progress("voters cast their real vote", voters) as advance,
                ThreadPoolExecutor(concurrency) as pool,
            ):
                for _ in pool.map(lambda v: cast(devices[v], final[v]), range(voters)):
                    advance(1)
            for v in visited[::2]:  # the official votes with some fakes again, after the real votes
                cast(fakes[v], demand)
            for receipt in rng.sample(receipts, min(5, len(receipts))):
                check_receipt(receipt, url)
            for future in precompute.values():
                future.result()
            _ok(client.post("/api/admin/close", headers=admin))
            _ok(client.post("/api/admin/tally", headers=admin))
            board_trustees.round("tally", url, present)
            say("tally by the trustees, step by step, each checked by the board on arrival")
            board_trustees.round("decrypt", url, present)
            result = _ok(client.post("/api/admin/result", headers=admin))
            mirrored = mirror(url, record)
            say(f"mirror copied {mirrored.copied} entries into {record}")
            tally = election.state.tally
            assert tally is not None
    finally:
        if "closing" in locals():
            closing.close()
        shutil.rmtree(work, ignore_errors=True)
    obeyed = [demand if v in fakes else final[v] for v in range(voters)]
    return DemoOutcome(
        expected=expected_counts(manifest, final),
        result=result["questions"],
        record=record,
        challenged=0,
        revotes=0,
        trustees_used=result["trustees"],
        extra={
            "coercion": {
                "voters": voters,
                "coerced": coerced,
                "coercer_demanded": demand,
                "fake_credentials_passed_coercer_checks": len(fakes),
                "ballots_cast": len(receipts),
                "fake_ballots": len(fakes) + len(visited[::2]),
                "revotes": 0,
                "ballots_counted": len(tally["counted"]),
                "if_coercion_had_worked": {q["id"]: q for q in expected_counts(manifest, obeyed)},
                "http": True,
            }
        },
    )
