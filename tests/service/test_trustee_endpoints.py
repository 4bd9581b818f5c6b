"""Every trustee endpoint of the key ceremony refuses a wrong signature, another trustee's key, a replay, an
out-of-order step and a wrong proof with its named 4xx, and changes nothing (board/trustee_steps.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.board.trustee_client import TrusteeBoard, TrusteeBoardError
from plebiscite.conduct import Conduct
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import remote, trustee_vault
from plebiscite.keyceremony.trustee import Trustee, decode_all
from plebiscite.record.signing import sign
from plebiscite.setup.samples import referendum

from .conftest import ADMIN, BOARD_KEY, TOKEN


@dataclass
class Ceremony:
    url: str
    client: httpx.Client
    trustees: list[Trustee]
    fp: bytes

    def size(self) -> int:
        return len(self.client.get("/api/board/entries", params={"limit": 1000}).json())

    def post(self, step: str, payload: Any) -> httpx.Response:
        return self.client.post(f"/api/trustee/{step}", json=payload)

    def accept(self, step: str, payload: Any) -> None:
        response = self.post(step, payload)
        assert response.status_code == 200, response.text

    def refuse(self, step: str, payload: Any, status: int, reason: str) -> str:
        """Post; assert the status and the named reason, and that nothing was written."""
        before = self.size()
        response = self.post(step, payload)
        assert response.status_code == status, response.text
        detail: str = response.json()["detail"]
        assert reason in detail, detail
        assert self.size() == before
        return detail

    def announce_all(self) -> None:
        for t in self.trustees:
            self.accept("trustee", t.announce(self.fp))

    def announced(self) -> dict[int, Any]:
        state = self.client.get("/api/board/entries", params={"limit": 1000}).json()
        import json

        payloads = [json.loads(e["leaf"])["payload"] for e in state if e["type"] == "trustee"]
        return decode_all(payloads, 2, self.fp, [t.identity.hex() for t in self.trustees])


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Ceremony]:
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(
        tmp_path / "rec", referendum("endpoints"), [t.identity for t in trustees], 2
    )
    fp = conduct.ceremony_fingerprint
    election = open_election(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY, tmp_path / "rec")
    try:
        with (
            LoopbackServer(create_app(election, TOKEN), free_port()) as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            yield Ceremony(server.url, client, trustees, fp)
    finally:
        election.close()


def resign(payload: dict[str, Any], kind: str, by: Trustee, **changes: Any) -> dict[str, Any]:
    body = {k: v for k, v in payload.items() if k != "signature"} | changes
    return sign(kind, body, by.signing_key)


def test_announcements_are_authenticated_checked_and_accepted_once(board: Ceremony) -> None:
    t1, t2, _ = board.trustees
    good = t1.announce(board.fp)
    board.refuse(
        "trustee", resign(good, "trustee", t2), 403, "not-this-trustees-key"
    )  # another trustee's key
    board.refuse("trustee", {**good, "signature": "00" * 64}, 403, "not-this-trustees-key")
    board.refuse("trustee", {k: v for k, v in good.items() if k != "signature"}, 403, "signature")
    board.refuse("trustee", resign(good, "trustee", t1, index=7), 403, "not-this-trustees-key")
    stranger = Trustee.new(1, 3, 2)
    board.refuse("trustee", stranger.announce(board.fp), 403, "not-this-trustees-key")
    forged = resign(good, "trustee", t1, commitments=[G.mul_base(5).hex(), good["commitments"][1]])
    board.refuse("trustee", forged, 422, "proofs[0]")  # a commitment its proof does not cover
    board.refuse("trustee", t1.announce(b"\x01" * 32), 422, "proofs[0]")  # proofs of another ceremony
    board.refuse("trustee", resign(good, "trustee", t1, note="x"), 422, "fields must be exactly")
    board.accept("trustee", good)
    board.refuse("trustee", good, 409, "step-already-done")  # replay
    board.refuse("trustee", t1.announce(board.fp), 409, "step-already-done")  # a second polynomial


def test_dealing_rules(board: Ceremony) -> None:
    t1, t2, t3 = board.trustees
    for t in (t1, t2):
        board.accept("trustee", t.announce(board.fp))
    early = t3.deal(board.announced(), board.fp)
    board.refuse("shares", early, 409, "out-of-order: trustee 3 must announce before dealing")
    board.accept("trustee", t3.announce(board.fp))
    announced = board.announced()
    good = t1.deal(announced, board.fp)
    board.refuse("shares", resign(good, "shares", t2), 403, "not-this-trustees-key")
    board.refuse("shares", t1.deal(announced, b"\x02" * 32), 422, "shares.ceremony")  # another ceremony's
    board.refuse("shares", resign(good, "shares", t1, shares=good["shares"][:1]), 422, "one share to each")
    bad_box = [{**good["shares"][0], "box": "00"}, good["shares"][1]]
    board.refuse("shares", resign(good, "shares", t1, shares=bad_box), 422, "box")
    board.accept("shares", good)
    board.refuse("shares", good, 409, "step-already-done")
    board.refuse("trustee", Trustee.new(3, 3, 2).announce(board.fp), 403, "not-this-trustees-key")
    late = resign(t3.announce(board.fp), "trustee", t3)
    board.refuse("trustee", late, 409, "step-already-done")


def test_complaints_and_answers(board: Ceremony) -> None:
    t1, t2, t3 = board.trustees
    board.announce_all()
    announced = board.announced()
    early = sign("complaint", {"by": 2, "against": 1, "ceremony": board.fp.hex()}, t2.signing_key)
    board.refuse("complaint", early, 409, "has dealt no shares")
    for t in board.trustees:
        board.accept("shares", t.deal(announced, board.fp))
    board.refuse("complaint", resign(early, "complaint", t3), 403, "not-this-trustees-key")
    board.refuse("complaint", resign(early, "complaint", t2, ceremony="00" * 32), 422, "complaint.ceremony")
    answer = t1.answer(early, board.fp)
    board.refuse("share-reveal", answer, 409, "has not complained")  # no complaint yet
    board.accept("complaint", early)
    board.refuse("complaint", early, 409, "step-already-done")
    wrong = resign(answer, "share-reveal", t1, share=G.scalar_to_bytes(5).hex())
    board.refuse("share-reveal", wrong, 422, "does not match the dealer's commitments")
    board.refuse("share-reveal", resign(answer, "share-reveal", t3), 403, "not-this-trustees-key")
    board.accept("share-reveal", answer)
    board.refuse("share-reveal", answer, 409, "step-already-done")
    state = board.client.get("/api/trustee/state").json()
    assert state["ceremony_round"] == "deal"
    assert state["trustees"][0]["complaints_against"] == [2] and state["trustees"][0]["answered"] == [2]
    # the roll closes the ceremony: no step after it
    roll = {"credentials": [G.mul_base(3).hex()]}
    assert board.client.post("/api/admin/roll", json=roll, headers=ADMIN).status_code == 200
    assert board.client.get("/api/trustee/state").json()["ceremony_round"] == "closed"
    late = sign("complaint", {"by": 3, "against": 1, "ceremony": board.fp.hex()}, t3.signing_key)
    board.refuse("complaint", late, 409, "the key ceremony is over")
    board.refuse("partial-decryption", {"trustee": 1}, 403, "signature")
    assert board.client.post("/api/trustee/other", json={}).status_code == 404


def test_the_roll_needs_the_administrator_and_a_finished_ceremony(board: Ceremony) -> None:
    roll = {"credentials": [G.mul_base(3).hex()]}
    assert board.client.post("/api/admin/roll", json=roll).status_code == 401
    response = board.client.post("/api/admin/roll", json=roll, headers=ADMIN)
    assert response.status_code == 400 and "key ceremony failed" in response.json()["detail"]
    bad = board.client.post("/api/admin/roll", json={"credentials": ["zz"]}, headers=ADMIN)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("credentials[0]")


def test_a_trustee_who_never_deals_is_left_out_when_the_others_proceed(tmp_path: Path) -> None:
    """The trustee tools' waiting rules: receive stops while a dealer is missing, names it, and goes on only when
    told to (after the agreed deadline); the silent dealer is disqualified and the others finish."""
    homes = [tmp_path / f"t{i}" for i in (1, 2, 3)]
    vaults = [trustee_vault.create(h / "vault.json", "pw") for h in homes]
    Conduct.create_record(tmp_path / "rec", referendum("silent"), [v.signing_key for v in vaults], 2)
    election = open_election(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY, tmp_path / "rec")
    said: list[str] = []

    def step(i: int, url: str) -> remote.Step:
        board = TrusteeBoard(url, homes[i - 1] / "mirror", BOARD_KEY.verify_key.encode().hex())
        return remote.Step(board, homes[i - 1] / "vault.json", "pw", said.append)

    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            url = server.url
            for i in (1, 2, 3):
                remote.join(step(i, url))
            with pytest.raises(TrusteeBoardError, match="the manifest says threshold 2"):
                remote.join(step(1, url), expect_threshold=3)
            for i in (1, 2):
                remote.deal(step(i, url))
            with pytest.raises(TrusteeBoardError, match=r"still waiting for trustee\(s\) \[3\] to deal"):
                remote.receive(step(1, url), wait=0.5)
            for i in (1, 2):
                remote.receive(step(i, url), proceed_without_missing=True)
            outcomes = [remote.finish(step(i, url)) for i in (1, 2)]
            assert [o.qualified for o in outcomes] == [[1, 2], [1, 2]]
            assert any("did not deal" in p for p in outcomes[0].problems)
            with pytest.raises(TrusteeBoardError, match="trustee 3 is not qualified"):
                remote.finish(step(3, url))
            with pytest.raises(TrusteeBoardError, match="signs with key"):
                remote.Step(
                    TrusteeBoard(url, homes[0] / "m2", "00" * 32), homes[0] / "vault.json", "pw", said.append
                )
    finally:
        election.close()


def test_indices_must_be_integers_not_booleans(board: Ceremony) -> None:
    t1, t2, _ = board.trustees
    board.announce_all()
    announced = board.announced()
    for t in board.trustees:
        board.accept("shares", t.deal(announced, board.fp))
    sneaky = sign("complaint", {"by": 2, "against": True, "ceremony": board.fp.hex()}, t2.signing_key)
    board.refuse("complaint", sneaky, 422, "complaint.against")
    board.accept(
        "complaint", sign("complaint", {"by": 2, "against": 1, "ceremony": board.fp.hex()}, t2.signing_key)
    )
    reveal = t1.answer({"by": 2}, board.fp)
    board.refuse("share-reveal", resign(reveal, "share-reveal", t1, to=True), 422, "share-reveal.to")
