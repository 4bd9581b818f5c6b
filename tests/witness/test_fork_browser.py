"""The check page detects a split view in headless Chromium (fork_check_page.test.mjs), with witness.js: the
evidence file it offers names both heads and the witnesses' cosignatures, and convicts the board in Python."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from plebiscite.board.client import check_receipt
from plebiscite.board.witnessing import upgrade_receipt
from plebiscite.merkle.heads import ForkDetected, ForkEvidence, verify_heads_consistent
from tests.booth.conftest import browser, node, run_node
from tests.service.conftest import Setup

from .conftest import ADMIN, KEY, Witnesses, board, witness

__all__ = ["browser", "node"]
pytestmark = pytest.mark.timeout(180)


def test_the_check_page_reports_witnesses_and_catches_a_fork(
    tmp_path: Path, browser: str, witnesses_setup: Setup, witness_keys: Witnesses
) -> None:
    states = [witness_keys.fresh(i, tmp_path) for i in (0, 1)]
    ballots = witnesses_setup.ballots(3, seed=13)
    with board(tmp_path / "a.db", witnesses_setup) as a:
        a.ok("POST", "/api/admin/open", headers=ADMIN)
        common = a.ok("POST", "/api/ballots", json=ballots[0].json)
    for suffix in ("", "-wal", "-shm"):
        if (tmp_path / f"a.db{suffix}").exists():
            shutil.copy2(tmp_path / f"a.db{suffix}", tmp_path / f"b.db{suffix}")
    with board(tmp_path / "a.db", witnesses_setup) as a, board(tmp_path / "b.db", witnesses_setup) as b:
        ra = a.ok("POST", "/api/ballots", json=ballots[1].json)
        rb = b.ok("POST", "/api/ballots", json=ballots[2].json)
        for state in states:
            with witness(state, a.url) as w:
                assert w.step().status == "cosigned"
        v2 = upgrade_receipt(ra, check_receipt(ra, a.url)["witnessed_block"])
        common_v2 = upgrade_receipt(common, check_receipt(common, a.url)["witnessed_block"])
        for name, value in (("receipt-a", v2), ("receipt-b", rb), ("receipt-common-v2", common_v2)):
            (tmp_path / f"{name}.json").write_text(json.dumps(value))
        done = run_node(
            browser,
            ["--test", "--test-concurrency=1", "tests/witness/fork_check_page.test.mjs"],
            env={"A_URL": a.url, "B_URL": b.url, "OUT": str(tmp_path)},
            timeout=150,
        )
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0 and re.search(r"^# fail 0$", done.stdout, re.M), report
    evidence = json.loads((tmp_path / "evidence-fork.json").read_text())
    fork = ForkEvidence.model_validate(evidence)
    assert fork.cosignatures is not None
    assert sorted(len(fork.cosignatures[side]) for side in ("first", "second")) == [0, 2]
    with pytest.raises(ForkDetected):
        verify_heads_consistent(fork.first, fork.second, [bytes.fromhex(h) for h in fork.proof], KEY)
