"""SIGKILL of the board during the coercion-resistant tally loses nothing that was accepted (issue 11).

A trustee posts its first tally pass; the board (server and check workers) is killed with SIGKILL while that
trustee waits for the next one; the board restarts on the same database. Every trustee's own mirror then checks,
by a consistency proof from the last head it verified, that the restarted board still holds everything it had
accepted — a lost or altered step would be a fork and stop the trustee — and the tally resumes without posting
anything twice, ends in the right result, and the mirrored record verifies.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from plebiscite.board.client import mirror
from plebiscite.board.trustee_client import TrusteeBoard, TrusteeBoardError
from plebiscite.coercion import remote as cr_remote
from plebiscite.coercion import turns
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.decrypt.remote import decrypt
from plebiscite.keyceremony import remote
from plebiscite.record import store
from plebiscite.verify.runner import verify_record

from .conftest import ADMIN, ServerProcess
from .test_cr_casting import build_cr_setup, precompute
from .test_cr_tally_http import in_turns


def _steps(url: str, work: Path) -> list[remote.Step]:
    """Trustees 2 and 3 with the vaults ``precompute`` made, each with its own mirror (kept across restarts)."""
    return [
        remote.Step(
            TrusteeBoard(url, work / f"trustee-{i}" / "mirror"),
            work / f"trustee-{i}" / "vault.json",
            "pw",
            lambda _m: None,
        )
        for i in (2, 3)
    ]


def _size(url: str) -> int:
    return int(httpx.get(f"{url}/healthz", timeout=10).json()["size"])


@pytest.mark.timeout(600)
def test_sigkill_during_the_tally_loses_no_accepted_step(tmp_path: Path) -> None:
    s = build_cr_setup(tmp_path / "prepared", "cr-tally-crash", 4)
    rng = random.Random(5)
    work = tmp_path / "trustees"
    server = ServerProcess(f"sqlite:///{tmp_path / 'board.db'}", s.path, tmp_path / "server", check_workers=1)
    q = s.manifest.questions[0].id
    try:
        url = server.start()
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.post("/api/admin/open", headers=ADMIN).status_code == 200
            for fake in s.fakes[:2]:  # two voters obey a coercer with fake credentials ...
                assert client.post("/api/ballots", json=s.ballot(fake, rng).to_json()).status_code == 200
            for n, credential in enumerate(s.credentials):  # ... and everyone votes for real: 3 × no, 1 × yes
                ballot = encrypt_ballot(s.ctx, credential, {q: ["no" if n < 3 else "yes"]})[0]
                assert client.post("/api/ballots", json=ballot.to_json()).status_code == 200
            precompute(url, s, work)
            assert client.post("/api/admin/close", headers=ADMIN).status_code == 200
            assert client.post("/api/admin/tally", headers=ADMIN).status_code == 200
        before = _size(url)

        # trustee 2 posts its first pass, then waits for trustee 3, who is not running: kill the board then
        first, _ = _steps(url, work)
        errors: list[BaseException] = []

        def trustee_2() -> None:
            try:
                cr_remote.run_steps(first, "tally", wait=10, workers=1, poll=0.2)
            except BaseException as exc:  # the board vanishes under it
                errors.append(exc)

        thread = threading.Thread(target=trustee_2)
        thread.start()
        deadline = time.monotonic() + 300
        while _size(url) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        accepted = _size(url)
        assert accepted > before, "trustee 2 posted nothing"
        server.kill()
        thread.join(300)
        assert errors and isinstance(errors[0], TrusteeBoardError), errors

        url = server.start()
        # nothing accepted was lost (the trustees' mirrors check it by consistency proofs)
        assert _size(url) >= accepted
        in_turns(_steps(url, work), "tally")
        for step in _steps(url, work):
            decrypt(step, workers=1)
        with httpx.Client(base_url=url, timeout=60) as client:
            result = client.post("/api/admin/result", headers=ADMIN).json()
        assert result["questions"][0]["counts"] == {"yes": 1, "no": 3}  # the coerced ballots did not count
        mirror(url, tmp_path / "observer")
    finally:
        server.stop()
    events = store.read(tmp_path / "observer")
    passes = [(e.type, e.payload.get("trustee")) for e in events if e.type in turns.TRUSTEE_KINDS]
    assert len(passes) == len(set(passes)), "a step was posted twice after the restart"
    report = verify_record(tmp_path / "observer", workers=1)
    assert report.ok, report.failed()
