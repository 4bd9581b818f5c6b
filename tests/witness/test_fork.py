"""A split view: two boards served from divergent copies of one database, with the same key.

With two witnesses and threshold 2, at most one view gets its heads cosigned: a witness that cosigned one view and
is then shown the other (restarted, from its state) refuses it and keeps the evidence. Mirrors and check-receipt
detect the fork and save evidence naming both heads and the witnesses' cosignatures on each.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plebiscite.board.client import check_receipt, mirror
from plebiscite.board.witnessing import ForkWithCosignatures, upgrade_receipt
from plebiscite.cli.main import app
from plebiscite.merkle.heads import ForkEvidence, SignedTreeHead
from tests.service.conftest import Setup

from .conftest import ADMIN, KEY, Witnesses, board, witness

RUN = CliRunner()


def _evidence(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("fork-evidence-*.json"))]


def _cli(*args: str) -> Any:
    return RUN.invoke(app, list(args), catch_exceptions=False)


def test_two_views_of_one_board_at_most_one_witnessed_and_the_fork_is_caught(
    tmp_path: Path, witnesses_setup: Setup, witness_keys: Witnesses
) -> None:
    states = [witness_keys.fresh(i, tmp_path) for i in (0, 1)]
    ballots = witnesses_setup.ballots(4, seed=11)
    with board(tmp_path / "a.db", witnesses_setup) as a:  # the common past, witnessed
        a.ok("POST", "/api/admin/open", headers=ADMIN)
        a.ok("POST", "/api/ballots", json=ballots[0].json)
        for state in states:
            with witness(state, a.url) as w:
                assert w.step().status == "cosigned"
    for suffix in ("", "-wal", "-shm"):  # the operator copies the database...
        if (tmp_path / f"a.db{suffix}").exists():
            shutil.copy2(tmp_path / f"a.db{suffix}", tmp_path / f"b.db{suffix}")
    with board(tmp_path / "a.db", witnesses_setup) as a, board(tmp_path / "b.db", witnesses_setup) as b:
        ra = a.ok("POST", "/api/ballots", json=ballots[1].json)  # ...and the two copies diverge
        rb = b.ok("POST", "/api/ballots", json=ballots[2].json)
        head_a, head_b = (SignedTreeHead.from_dict(r["tree_head"]) for r in (ra, rb))
        assert head_a.tree_size == head_b.tree_size and head_a.root_hash != head_b.root_hash

        # Mirror M follows view A, a voter and mirror N follow view B, before any witness saw the split.
        mirror(a.url, tmp_path / "mirror-a")
        n = mirror(b.url, tmp_path / "mirror-b")
        assert not n.witnessed.final

        # The witnesses see view A first and cosign it; restarted with their state, they refuse view B.
        for state in states:
            with witness(state, a.url) as w:
                assert w.step().status == "cosigned"
        for state in states:
            with witness(state, b.url) as w:
                outcome = w.step()
            assert outcome.status == "refused" and outcome.evidence is not None
            saved = _evidence(state)
            assert len(saved) == 1
            fork = ForkEvidence.model_validate(
                {k: saved[0][k] for k in ("first", "second", "proof", "reason")}
            )
            assert {fork.first.root_hash, fork.second.root_hash} == {head_a.root_hash, head_b.root_hash}
            assert saved[0]["witness"]["last_cosigned"]["tree_head"]["root_hash"] == head_a.root_hash
        result = _cli(
            "witness", "run", "--state", str(states[0]), "--board", b.url, "--board-key", KEY.hex(), "--once"
        )
        assert result.exit_code == 3 and "REFUSED" in result.output
        assert len(_evidence(states[0])) == 1  # the same fork again: the same evidence, no second file

        # At most one view carries the witnesses' cosignatures.
        served_a = a.ok("GET", "/api/board/head")
        served_b = b.ok("GET", "/api/board/head")
        assert len(served_a.get("cosignatures", [])) == 2 and "cosignatures" not in served_b
        assert a.ok("GET", "/api/board/witnessed")["root_hash"] == head_a.root_hash
        assert b.ok("GET", "/api/board/witnessed")["tree_size"] < head_b.tree_size  # only the common past

        # Receipts: A's is witnessed; B's never gets there; B's checked against A is a fork, evidence saved.
        assert check_receipt(ra, a.url)["witnessed"]["status"] == "witnessed"
        assert check_receipt(rb, b.url)["witnessed"]["status"] == "not yet witnessed"
        (tmp_path / "rb.json").write_text(json.dumps(rb))
        result = _cli("check-receipt", str(tmp_path / "rb.json"), "--board", b.url, "--require-witnessed")
        assert result.exit_code == 4 and "not yet witnessed" in result.output
        result = _cli("check-receipt", str(tmp_path / "rb.json"), "--board", a.url)
        assert result.exit_code == 3 and "FORK" in result.output
        [receipt_fork] = _evidence(tmp_path)
        assert receipt_fork["cosignatures"]["first"] == [] or receipt_fork["cosignatures"]["second"] == []
        on_a = [c for side in ("first", "second") for c in receipt_fork["cosignatures"][side]]
        assert len(on_a) == 2  # A's head, as A serves it, with both witnesses' cosignatures
        # A voter whose witnessed (v2) receipt is from A, shown view B, catches it too.
        v2 = upgrade_receipt(ra, check_receipt(ra, a.url)["witnessed_block"])
        with pytest.raises(ForkWithCosignatures):
            check_receipt(v2, b.url)

        # Mirrors: N (view B) is told it is not witnessed; M (view A) then shown view B saves evidence with the
        # witnesses' cosignatures on A's head.
        result = _cli("mirror", b.url, str(tmp_path / "mirror-b"), "--require-witnessed")
        assert result.exit_code == 4 and "NOT WITNESSED YET" in result.output
        assert _cli("mirror", a.url, str(tmp_path / "mirror-a"), "--require-witnessed").exit_code == 0
        result = _cli("mirror", b.url, str(tmp_path / "mirror-a"))
        assert result.exit_code == 3 and "FORK" in result.output
        [mirror_fork] = _evidence(tmp_path / "mirror-a")
        assert len(mirror_fork["cosignatures"]["first"]) == 2 and mirror_fork["cosignatures"]["second"] == []
        assert mirror_fork["first"]["root_hash"] == head_a.root_hash != mirror_fork["second"]["root_hash"]
