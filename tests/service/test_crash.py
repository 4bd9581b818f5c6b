"""SIGKILL the real server while clients cast, restart it on the same database: every ballot that got a receipt
is in the log where the receipt says, the new head is consistent with every head issued before the crash, and a
mirror of the restarted board verifies (checks 1–12 and 18; the election is still open)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from plebiscite.board import Board
from plebiscite.board.client import check_receipt
from plebiscite.merkle import SignedTreeHead

from .conftest import ADMIN, Ballot, ServerProcess, Setup, check_consistent, verify_receipt_locally

CLIENTS = 16
RECEIPTS_BEFORE_KILL = 80
VERIFIED_CHECKS = [*range(1, 13), 18]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plebiscite.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Voters:
    """Client threads casting from a shared list until told to stop or the server is gone."""

    def __init__(self, url: str, ballots: list[Ballot]) -> None:
        self.url = url
        self.todo = list(reversed(ballots))
        self.lock = threading.Lock()
        self.receipts: dict[str, dict[str, Any]] = {}
        self.unanswered: list[Ballot] = []  # sent, but the connection died before an answer
        self.refused: list[tuple[int, str]] = []
        self.heads: list[SignedTreeHead] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.vote, daemon=True) for _ in range(CLIENTS)]
        self.threads.append(threading.Thread(target=self.watch_heads, daemon=True))

    def vote(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                with self.lock:
                    if not self.todo:
                        return
                    ballot = self.todo.pop()
                try:
                    r = client.post("/api/ballots", json=ballot.json)
                except httpx.HTTPError:
                    with self.lock:
                        self.unanswered.append(ballot)
                    return
                with self.lock:
                    if r.status_code == 200:
                        self.receipts[ballot.tracking_code] = r.json()
                    else:
                        self.refused.append((r.status_code, r.text))

    def watch_heads(self) -> None:
        """A mirror-like watcher collecting every head the board publishes."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    head = SignedTreeHead.from_dict(client.get("/api/board/head").json())
                except (httpx.HTTPError, ValueError):
                    return
                with self.lock:
                    self.heads.append(head)
                time.sleep(0.02)

    def __enter__(self) -> Voters:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def wait_for(self, receipts: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.receipts) >= receipts or not self.todo:
                    return
            time.sleep(0.005)
        raise AssertionError(f"only {len(self.receipts)} receipts after {timeout} s")


def test_sigkill_while_casting_then_restart(
    db_url: str, yesno_setup: Setup, yesno_ballots: list[Ballot], tmp_path: Path
) -> None:
    server = ServerProcess(db_url, yesno_setup.path, tmp_path / "server", check_workers=1)
    try:
        url = server.start()
        assert httpx.post(f"{url}/api/admin/open", headers=ADMIN, timeout=60).status_code == 200
        key = bytes.fromhex(httpx.get(f"{url}/api/board/key", timeout=30).json()["public_key"])
        with Voters(url, yesno_ballots[:300]) as voters:
            voters.wait_for(RECEIPTS_BEFORE_KILL)
            server.kill()  # SIGKILL mid-flight: server and check worker, no shutdown of any kind
        assert not voters.refused, voters.refused[:3]
        assert len(voters.receipts) >= RECEIPTS_BEFORE_KILL
        assert len(voters.receipts) < 300, "the kill came after every ballot was cast"
        issued = voters.heads + [SignedTreeHead.from_dict(r["tree_head"]) for r in voters.receipts.values()]
        heads = list({h.tree_size: h for h in issued}.values())
        assert len({(h.tree_size, h.root_hash) for h in issued}) == len(heads), "two roots for one size"
        for receipt in voters.receipts.values():
            verify_receipt_locally(receipt, key)

        url = server.start()
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.get("/api/board/key").json()["public_key"] == key.hex()
            assert client.get("/api/election").json()["phase"] == "voting"
            latest = SignedTreeHead.from_dict(client.get("/api/board/head").json())
            # every head issued before the crash is a prefix of the log after it
            for head in heads:
                check_consistent(client, key, head, latest)
            # every receipted ballot is in the log at its receipt's index
            entries = client.get("/api/board/entries", params={"start": 0, "limit": 1000}).json()
            assert [e["index"] for e in entries] == list(range(latest.tree_size))
            for code, receipt in voters.receipts.items():
                assert entries[receipt["index"]]["leaf"] == bytes.fromhex(receipt["leaf"]).decode()
                found = client.get("/api/board/inclusion", params={"tracking_code": code}).json()
                assert found["index"] == receipt["index"]
            for receipt in random.Random(1).sample(list(voters.receipts.values()), 25):
                assert check_receipt(receipt, url)["ok"] is True
            # a ballot whose answer was lost may or may not have landed; resending it is safe either way
            for ballot in voters.unanswered:
                before = client.get("/api/board/inclusion", params={"tracking_code": ballot.tracking_code})
                resent = client.post("/api/ballots", json=ballot.json)
                assert resent.status_code == 200, resent.text
                if before.status_code == 200:
                    assert resent.json()["index"] == before.json()["index"]
                else:
                    assert before.status_code == 404
            # and the restarted board keeps serving
            for ballot in yesno_ballots[300:320]:
                verify_receipt_locally(client.post("/api/ballots", json=ballot.json).json(), key)
            final = SignedTreeHead.from_dict(client.get("/api/board/head").json())
            check_consistent(client, key, latest, final)

        receipt_file = tmp_path / "receipt.json"
        receipt_file.write_text(json.dumps(next(iter(voters.receipts.values()))))
        checked = cli("check-receipt", str(receipt_file), "--board", url, "--json")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert json.loads(checked.stdout)["ok"] is True

        copy = tmp_path / "mirror"
        mirrored = cli("mirror", url, str(copy))
        assert mirrored.returncode == 0, mirrored.stdout + mirrored.stderr
        verified = cli("verify", str(copy), "--json", "--workers", "1")
        report = json.loads(verified.stdout)
        checks = {c["id"]: c for c in report["checks"]}
        passed = [i for i in VERIFIED_CHECKS if checks[i]["ran"] and checks[i]["failure_count"] == 0]
        assert passed == VERIFIED_CHECKS, [checks[i] for i in VERIFIED_CHECKS if i not in passed]
        assert checks[18]["items"] > 0
        assert report["ok"] is False and verified.returncode == 1  # no result: the election is still open
    finally:
        server.stop()
    with Board.open(db_url, None) as board:
        assert board.check_integrity() == []


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_sigkill_repeatedly(
    db_url: str, yesno_setup: Setup, yesno_ballots: list[Ballot], tmp_path: Path, round_: int
) -> None:
    """Three kills in a row at different moments, one database: receipts from every life survive."""
    server = ServerProcess(db_url, yesno_setup.path, tmp_path / "server", check_workers=1)
    all_receipts: dict[str, dict[str, Any]] = {}
    try:
        url = server.start()
        assert httpx.post(f"{url}/api/admin/open", headers=ADMIN, timeout=60).status_code == 200
        for life in range(3):
            chunk = yesno_ballots[life * 120 : (life + 1) * 120]
            with Voters(url, chunk) as voters:
                voters.wait_for(20 + 30 * ((life + round_) % 3))
                server.kill()
            all_receipts.update(voters.receipts)
            url = server.start()
            for receipt in all_receipts.values():
                assert check_receipt(receipt, url)["ok"] is True
    finally:
        server.stop()
