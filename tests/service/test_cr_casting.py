"""Casting ``cr-ballot``s through the live service (issue 11, item 1): a board opened on a coercion-resistant
record checks them with the mode's own check (in its check workers), answers the same receipts, is idempotent,
refuses a replayed credential ciphertext with other content (across batches, within one, after a restart), never
posts a standard tally or a challenge in that mode, and its record up to ``close`` mirrors and verifies."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from plebiscite.board.checkers import check_value
from plebiscite.board.client import BoardClientError, check_receipt, mirror
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.election import BoardElection, Receipt
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.coercion.ballot import REPLAY, CrBallot, encrypt_ballot
from plebiscite.coercion.credentials import Credential
from plebiscite.coercion.demo import coercer_choice
from plebiscite.demo import random_selection
from plebiscite.hazmat import group as G
from plebiscite.merkle import SignedTreeHead, leaf_hash, verify_inclusion, verify_tree_head
from plebiscite.record import store
from plebiscite.record.state import ElectionState
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest
from plebiscite.verify.runner import verify_record
from tests.coercion.conftest import prepare_election

from .conftest import ADMIN, BOARD_KEY, TOKEN, Ballot, ServerProcess, context_on_opening
from .test_crash import Voters

VOTERS = 6
# What a coercion-resistant record up to close must pass, by name (numbers shift when checks are added); the
# tally's and the result's checks cannot run yet.
CHECKS_UP_TO_CLOSE = (
    "record format", "parameters", "manifest", "trustee keys and proofs", "election key", "roll", "fingerprint",
    "board heads", "cr: registrar MAC key", "cr: encrypted roll", "cr: ballot format", "cr: credential proofs",
    "cr: vote proofs", "cr: unique ballots",
)  # fmt: skip


@dataclass
class CrSetup:
    """A prepared coercion-resistant record (ceremony, MAC key, encrypted roll) and the voters' credentials."""

    path: Path
    manifest: Manifest
    ctx: ElectionContext
    credentials: list[Credential]
    fakes: list[Credential]  # one fake credential per voter, as handed to a coercer

    def ballot(self, credential: Credential, rng: random.Random, t1: int | None = None) -> CrBallot:
        """A ballot with a random choice; ``t1`` fixes the credential ciphertext's randomness (for replays)."""
        selection = random_selection(self.manifest, rng)
        if t1 is None:
            return encrypt_ballot(self.ctx, credential, selection)[0]
        draws = iter([t1])  # encrypt_ballot draws t1 first
        real = G.random_scalar
        with mock.patch.object(G, "random_scalar", lambda: next(draws, None) or real()):
            ballot = encrypt_ballot(self.ctx, credential, selection)[0]
        return ballot

    def replay_of(self, ballot: CrBallot, credential: Credential, t1: int, rng: random.Random) -> CrBallot:
        """A valid ballot with ``ballot``'s credential ciphertext and other content."""
        twin = self.ballot(credential, rng, t1)
        assert twin.credential == ballot.credential and twin.tracking_code() != ballot.tracking_code()
        return twin


def build_cr_setup(path: Path, election_id: str, voters: int) -> CrSetup:
    p = prepare_election(path, election_id, voters, extra_questions=False)
    key, cfp = p.cc.election_key, p.cc.ceremony_fingerprint
    fakes = [c.fake(vk, key, p.mac.public, cfp) for c, vk in zip(p.credentials, p.voter_keys, strict=True)]
    return CrSetup(path, p.manifest, context_on_opening(path), p.credentials, fakes)


@pytest.fixture(scope="module")
def cr_setup(tmp_path_factory: pytest.TempPathFactory) -> CrSetup:
    return build_cr_setup(tmp_path_factory.mktemp("cr-svc") / "prepared", "service-cr", VOTERS)


@dataclass
class CrService:
    url: str
    election: BoardElection

    def size(self) -> int:
        return self.election.board.size()


@pytest.fixture
def cr_service(cr_setup: CrSetup, tmp_path: Path) -> Iterator[CrService]:
    """A board holding the prepared coercion-resistant record, one check worker, served on loopback."""
    election = open_election(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY, cr_setup.path, check_workers=1)
    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            yield CrService(server.url, election)
    finally:
        election.close()


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "plebiscite.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def check_locally(
    receipt: dict[str, Any], ballot: CrBallot, key: bytes = BOARD_KEY.verify_key.encode()
) -> None:
    """Signed head (by ``key``), inclusion proof, and the leaf is this ballot's ``cr-ballot`` event."""
    head = SignedTreeHead.from_dict(receipt["tree_head"])
    verify_tree_head(head, key)
    leaf = bytes.fromhex(receipt["leaf"])
    proof = [bytes.fromhex(h) for h in receipt["inclusion_proof"]]
    verify_inclusion(leaf_hash(leaf), receipt["index"], head.tree_size, proof, head.root)
    assert json.loads(leaf) == {"type": "cr-ballot", "payload": ballot.to_json()}
    assert receipt["tracking_code"] == ballot.tracking_code()


def refused(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail), response.text


def verify_up_to_close(url: str, target: Path, command_line: bool = True) -> dict[str, dict[str, Any]]:
    """Mirror the board and verify the copy (with the ``plebiscite`` commands, or the functions behind them): every
    check of the record up to close passes, none fails, and the verdict is "not verified" only because there is
    no result yet."""
    if command_line:
        mirrored = cli("mirror", url, str(target))
        assert mirrored.returncode == 0, mirrored.stdout + mirrored.stderr
        verified = cli("verify", str(target), "--json", "--workers", "1")
        report = json.loads(verified.stdout)
        assert verified.returncode == 1
    else:
        mirror(url, target)
        report = verify_record(target, 1).to_json()
    checks = {c["name"]: c for c in report["checks"]}
    failed = [c for c in report["checks"] if c["failure_count"]]
    assert not failed, failed
    assert all(checks[n]["ran"] for n in CHECKS_UP_TO_CLOSE), [checks[n] for n in CHECKS_UP_TO_CLOSE]
    assert not checks["result"]["ran"] and report["ok"] is False
    return checks


# ----------------------------------------------------------------------------------------------- the tests


def test_cast_cr_ballots_receipts_replays_and_the_record(
    cr_setup: CrSetup, cr_service: CrService, tmp_path: Path
) -> None:
    rng = random.Random(11)
    s, url = cr_setup, cr_service.url
    other = build_cr_setup(tmp_path / "other", "service-cr-other", 1)
    real = [s.ballot(c, rng) for c in s.credentials]
    coerced = [
        encrypt_ballot(s.ctx, fake, coercer_choice(s.manifest))[0] for fake in s.fakes[:3]
    ]  # the official votes with the fakes
    t1 = G.random_scalar()
    first = s.ballot(s.credentials[0], rng, t1)
    with httpx.Client(base_url=url, timeout=60) as client:
        # voting not open: a named 409, nothing written
        before = cr_service.size()
        refused(client.post("/api/ballots", json=real[0].to_json()), 409, "not allowed now")
        assert cr_service.size() == before
        opened = client.post("/api/admin/open", headers=ADMIN)
        assert opened.status_code == 200 and opened.json()["fingerprint"] == s.ctx.fingerprint.hex()

        # real and fake credentials alike: accepted, same receipt shape, receipts check
        receipts: dict[str, dict[str, Any]] = {}
        for ballot in [*coerced, *real, first]:
            r = client.post("/api/ballots", json=ballot.to_json())
            assert r.status_code == 200, r.text
            check_locally(r.json(), ballot)
            receipts[ballot.tracking_code()] = r.json()
        shapes = {(tuple(r), len(r["leaf"])) for r in receipts.values()}
        assert len(shapes) == 1, "a fake credential's receipt differs in shape from a real one's"
        for receipt in list(receipts.values())[:: len(receipts) // 3]:
            assert check_receipt(receipt, url)["ok"] is True
        found = client.get("/api/board/inclusion", params={"tracking_code": real[1].tracking_code()})
        assert (
            found.status_code == 200 and found.json()["index"] == receipts[real[1].tracking_code()]["index"]
        )

        # the same ballot again: the same receipt, nothing appended
        size = cr_service.size()
        again = client.post("/api/ballots", json=real[2].to_json())
        assert (
            again.status_code == 200 and again.json()["index"] == receipts[real[2].tracking_code()]["index"]
        )
        # a replay of a credential ciphertext with other content: refused, never another ballot's receipt
        replay = s.replay_of(first, s.credentials[0], t1, rng)
        refused(client.post("/api/ballots", json=replay.to_json()), 422, REPLAY)
        # a standard ballot, a malformed one, one for another election: named refusals
        standard = {
            "election": s.ctx.fingerprint.hex(),
            "credential": "00" * 32,
            "answers": [],
            "signature": "",
        }
        refused(client.post("/api/ballots", json=standard), 422, "ballot: expected exactly the fields")
        refused(client.post("/api/ballots", content=b"{not json"), 400, "body: not valid JSON")
        bad_proof = dict(real[3].to_json(), proof=["00" * 32] * 4)
        refused(client.post("/api/ballots", json=bad_proof), 422, "ballot.proof: ")
        foreign = encrypt_ballot(other.ctx, other.credentials[0], coercer_choice(other.manifest))[0]
        refused(client.post("/api/ballots", json=foreign.to_json()), 422, "ballot.election: made for another")
        # no Benaloh challenge in this mode
        challenge = client.post("/api/challenges", json={"ballot": real[4].to_json(), "opening": {}})
        refused(challenge, 409, "challenges: a coercion-resistant election has no Benaloh challenges")
        assert cr_service.size() == size

        # concurrent replays of one C1 (some land in one batch): exactly one is accepted
        t1b = G.random_scalar()
        twins = [s.ballot(s.fakes[4], rng, t1b) for _ in range(6)]
        answers: list[httpx.Response] = []
        threads = [
            threading.Thread(
                target=lambda b=b: answers.append(httpx.post(f"{url}/api/ballots", json=b.to_json()))
            )
            for b in twins
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status_code for r in answers) == [200, 422, 422, 422, 422, 422]
        assert cr_service.size() == size + 1

        # close posts the number of cr-ballots; the standard tally is refused, not posted
        assert client.post("/api/admin/close", headers=ADMIN).status_code == 200
        closes = [e for e in cr_service.election.events() if e.type == "close"]
        cast = [e for e in cr_service.election.events() if e.type == "cr-ballot"]
        assert closes[0].payload == {"ballots": len(cast)} and len(cast) == len(receipts) + 1
        before = cr_service.size()
        refused(
            client.post("/api/admin/tally", headers=ADMIN), 409, "tally: the coercion-resistant tally is run"
        )
        refused(client.post("/api/ballots", json=twins[0].to_json()), 409, "not allowed now")
        assert cr_service.size() == before

    checks = verify_up_to_close(url, tmp_path / "mirror")
    assert checks["board heads"]["items"] > 0 and checks["cr: credential proofs"]["items"] == len(cast)

    # a receipt whose tracking code is another ballot's does not check; the CLI checks a cr receipt
    codes = list(receipts)
    forged = dict(receipts[codes[0]], tracking_code=codes[1])
    with pytest.raises(BoardClientError, match="not that of the ballot it proves"):
        check_receipt(forged, url)
    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_text(json.dumps(receipts[codes[0]]))
    checked = cli("check-receipt", str(receipt_file), "--board", url, "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["tracking_code"] == codes[0]


def test_replay_within_one_batch_is_refused(cr_setup: CrSetup, cr_service: CrService) -> None:
    """Two ballots sharing ``C1`` in one commit: the first is appended, the second refused; the same ballot
    twice in one commit gets one entry and the same receipt."""
    rng = random.Random(12)
    s, election = cr_setup, cr_service.election
    assert httpx.post(f"{cr_service.url}/api/admin/open", headers=ADMIN, timeout=60).status_code == 200
    t1 = G.random_scalar()
    first = s.ballot(s.credentials[1], rng, t1)
    replay = s.replay_of(first, s.credentials[1], t1, rng)
    lone = s.ballot(s.fakes[1], rng)
    size = cr_service.size()
    results = election.commit_ballots([check_value(b.to_json(), s.ctx) for b in (first, replay, lone, lone)])
    assert isinstance(results[0], Receipt) and results[0].tracking_code == first.tracking_code()
    assert isinstance(results[1], ValueError) and str(results[1]) == REPLAY
    assert isinstance(results[2], Receipt) and isinstance(results[3], Receipt)
    assert results[2].index == results[3].index
    assert cr_service.size() == size + 2
    assert [e.type for e in election.events()[size:]] == ["cr-ballot", "cr-ballot"]


def test_sigkill_while_casting_loses_no_receipt_and_keeps_refusing_replays(
    cr_setup: CrSetup, tmp_path: Path
) -> None:
    rng = random.Random(13)
    s = cr_setup
    t1s = [G.random_scalar() for _ in range(120)]
    voters = [s.credentials[i % VOTERS] if i % 2 else s.fakes[i % VOTERS] for i in range(120)]
    ballots = [s.ballot(c, rng, t1) for c, t1 in zip(voters, t1s, strict=True)]
    server = ServerProcess(f"sqlite:///{tmp_path / 'board.db'}", s.path, tmp_path / "server", check_workers=1)
    try:
        url = server.start()
        assert httpx.post(f"{url}/api/admin/open", headers=ADMIN, timeout=60).status_code == 200
        wrapped = [Ballot(b.to_json(), {}, {}, b.tracking_code(), i) for i, b in enumerate(ballots)]
        with Voters(url, wrapped) as casting:  # 16 client threads (test_crash.py)
            casting.wait_for(25)
            server.kill()  # SIGKILL mid-flight: server and check worker
        assert not casting.refused, casting.refused[:3]
        assert 25 <= len(casting.receipts) < len(ballots), "the kill came after every ballot was cast"
        by_code = {b.tracking_code(): (b, c, t1) for b, c, t1 in zip(ballots, voters, t1s, strict=True)}

        url = server.start()
        with httpx.Client(base_url=url, timeout=60) as client:
            key = bytes.fromhex(client.get("/api/board/key").json()["public_key"])
            size = int(client.get("/healthz").json()["size"])
            assert size >= len(casting.receipts) + 8  # setup events and every receipted ballot
            for code, receipt in casting.receipts.items():
                check_locally(receipt, by_code[code][0], key)
                assert check_receipt(receipt, url)["ok"] is True
            # the seen-C1 set was rebuilt from the record: a replay of a ballot cast before the crash is refused
            receipted = list(casting.receipts)
            for code in receipted[:5]:
                ballot, credential, t1 = by_code[code]
                replay = s.replay_of(ballot, credential, t1, rng)
                refused(client.post("/api/ballots", json=replay.to_json()), 422, REPLAY)
            assert int(client.get("/healthz").json()["size"]) == size
            # ... and the same ballot again is idempotent
            for code in receipted[:3]:
                again = client.post("/api/ballots", json=by_code[code][0].to_json())
                assert again.status_code == 200 and again.json()["index"] == casting.receipts[code]["index"]
            # the ballots without a receipt (some landed unanswered): cast again; the board ends with each once
            for ballot in ballots:
                if ballot.tracking_code() not in casting.receipts:
                    assert client.post("/api/ballots", json=ballot.to_json()).status_code == 200
            assert client.post("/api/admin/close", headers=ADMIN).status_code == 200
        verify_up_to_close(url, tmp_path / "mirror", command_line=False)  # the other test runs the commands
    finally:
        server.stop()
    # the close event posted after the restart counts every cr-ballot, those cast before the crash included
    events = store.read(tmp_path / "mirror")
    assert [e.payload for e in events if e.type == "close"] == [{"ballots": len(ballots)}]
    state = ElectionState.from_events(events)
    assert len(state.ballots) == len(state.cast_credentials) == len(ballots)
