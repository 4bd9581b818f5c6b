"""``POST /api/board/cosignatures`` refuses, with a named 4xx, everything but a valid cosignature by a named witness
on a head this board signed; an election without witnesses refuses them all (409)."""

from __future__ import annotations

from pathlib import Path

import nacl.signing

from plebiscite.merkle.cosign import sign_cosignature
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.witness.state import load_key
from tests.service.conftest import Setup

from .conftest import ADMIN, Witnesses, board


def test_the_board_accepts_only_valid_cosignatures_by_named_witnesses(
    tmp_path: Path, witnesses_setup: Setup, witness_keys: Witnesses
) -> None:
    w1 = load_key(witness_keys.dirs[0])
    with board(tmp_path / "b.db", witnesses_setup) as b:
        b.ok("POST", "/api/admin/open", headers=ADMIN)
        head = SignedTreeHead.from_dict(b.ok("GET", "/api/board/checkpoint"))
        good = sign_cosignature(w1, head, 1).model_dump()

        def post(body: object) -> tuple[int, str]:
            r = b.client.post("/api/board/cosignatures", json=body)
            return r.status_code, r.json()["detail"] if r.status_code != 200 else ""

        assert post({"tree_size": head.tree_size}) == (
            400,
            "body: expected an object with keys tree_size and cosignature",
        )
        assert post({"tree_size": "1", "cosignature": good})[0] == 400
        assert post({"tree_size": head.tree_size, "cosignature": {**good, "extra": 1}})[0] == 422
        stranger = sign_cosignature(nacl.signing.SigningKey(b"\x07" * 32), head, 1).model_dump()
        assert post({"tree_size": head.tree_size, "cosignature": stranger}) == (
            403,
            "cosignature.witness: not a witness named in the manifest",
        )
        code, detail = post({"tree_size": head.tree_size + 5, "cosignature": good})
        assert code == 404 and detail.startswith("tree_size: this board signed no head")
        forged = {**good, "signature": "00" * 64}
        code, detail = post({"tree_size": head.tree_size, "cosignature": forged})
        assert code == 422 and detail.startswith("cosignature.signature:")
        assert b.client.get("/api/board/witnessed").status_code == 404
        answer = b.ok(
            "POST", "/api/board/cosignatures", json={"tree_size": head.tree_size, "cosignature": good}
        )
        assert answer == {
            "tree_size": head.tree_size,
            "witness": good["witness"],
            "stored": True,
            "cosignatures": 1,
        }
        again = b.ok(
            "POST", "/api/board/cosignatures", json={"tree_size": head.tree_size, "cosignature": good}
        )
        assert again["stored"] is False
        served = b.ok("GET", "/api/board/heads", params={"min_size": head.tree_size})
        assert served[0]["cosignatures"] == [good]
        assert b.client.get("/api/board/witnessed").status_code == 404  # 1 of 2 is not enough


def test_an_election_without_witnesses_refuses_cosignatures(
    tmp_path: Path, plain_setup: Setup, witness_keys: Witnesses
) -> None:
    with board(tmp_path / "b.db", plain_setup) as b:
        head = SignedTreeHead.from_dict(b.ok("GET", "/api/board/head"))
        cosig = sign_cosignature(load_key(witness_keys.dirs[0]), head, 1).model_dump()
        r = b.client.post("/api/board/cosignatures", json={"tree_size": head.tree_size, "cosignature": cosig})
        assert r.status_code == 409 and r.json()["detail"].startswith("witnesses:")
        none = b.client.get("/api/board/witnessed")
        assert none.status_code == 404 and none.json()["detail"].startswith("witnesses:")
        assert "cosignatures" not in b.ok("GET", "/api/board/head")
