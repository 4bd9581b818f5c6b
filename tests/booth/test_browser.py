"""The booth in real headless Chromium against a live board on loopback (``live_server``).

The browser side is node:test files in tests/booth/browser/ driving Debian's Chromium through playwright-core;
this module runs them and checks, from Python, what they leave behind: the downloaded challenge files open to the
right choices under ``plebiscite check-challenge`` on the published record, the check page's evidence files convict
the board under ``verify_heads_consistent``, and the result counts the last ballot of every voter. Screenshots of
every page go to test-artifacts/booth/.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, ROOT, LiveServer, run_node

pytestmark = pytest.mark.timeout(240)


def run_browser(node: str, script: str, server: LiveServer, out: Path) -> None:
    env = {
        "BOOTH_URL": server.base_url,
        "BOOTH_CREDENTIALS": json.dumps([str(p) for p in server.credentials]),
        "BOOTH_OUT": str(out),
    }
    done = run_node(
        node, ["--test", "--test-concurrency=1", f"tests/booth/browser/{script}"], env=env, timeout=200
    )
    report = done.stdout[-8000:] + done.stderr[-4000:]
    (ARTIFACTS / f"{script}.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, report
    assert re.search(r"^# fail 0$", done.stdout, re.M), report
    assert not re.search(r"^# pass 0$", done.stdout, re.M), report


@pytest.fixture(scope="module")
def voting(browser: str, live_server: LiveServer) -> Path:
    """Runs the voting scenarios once; later tests read the files they downloaded."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "downloads"
    out.mkdir(exist_ok=True)
    for stale in out.glob("*.json"):
        stale.unlink()
    run_browser(browser, "voting.test.mjs", live_server, out)
    run_browser(browser, "keep.test.mjs", live_server, out)
    run_browser(browser, "a11y.test.mjs", live_server, out)
    run_browser(browser, "slow.test.mjs", live_server, out)
    return out


def test_voting_scenarios_in_chromium(voting: Path) -> None:
    """Cast, challenge then cast, revote, bad input, keyboard only, small screens (see voting.test.mjs)."""
    assert (voting / "final-choices.json").exists()
    assert len(json.loads((voting / "final-choices.json").read_text())) == 6


def _record(server: LiveServer, into: Path) -> Path:
    with urllib.request.urlopen(server.url("/api/record.zip"), timeout=60) as r:  # loopback only
        zipfile.ZipFile(io.BytesIO(r.read())).extractall(into)
    return into


def test_challenge_files_check_out_with_the_cli(
    voting: Path, live_server: LiveServer, tmp_path: Path
) -> None:
    record = _record(live_server, tmp_path / "record")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "plebiscite.cli.main",
            "check-challenge",
            str(record),
            str(voting / "challenge-ballot.json"),
            str(voting / "challenge-opening.json"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = json.loads((voting / "challenge-expected.json").read_text())
    answer = json.loads(done.stdout)
    assert answer["tracking_code"] == expected["tracking_code"]
    assert answer["choices"] == expected["choices"]


def _expected_counts(
    manifest: dict[str, Any], finals: dict[str, dict[str, list[str]]]
) -> list[dict[str, Any]]:
    out = []
    for q in manifest["questions"]:
        counts = {o["id"]: sum(o["id"] in v[q["id"]] for v in finals.values()) for o in q["options"]}
        entry: dict[str, Any] = {"id": q["id"], "counts": counts}
        if q["blank"]:
            entry["blank"] = sum(v[q["id"]] == ["blank"] for v in finals.values())
        out.append(entry)
    return out


def test_check_page_against_the_live_board(voting: Path, browser: str, live_server: LiveServer) -> None:
    """A receipt against a grown board, a lookup by code, and a lying board (see check.test.mjs); the evidence
    files the page offered must convict the board under the Python core's own check."""
    from plebiscite.merkle import ForkDetected, ForkEvidence, verify_heads_consistent

    for stale in voting.glob("evidence-*.json"):
        stale.unlink()
    run_browser(browser, "check.test.mjs", live_server, voting)
    key = bytes.fromhex(live_server.get_json("/api/board/key")["public_key"])
    for name in ("evidence-inconsistent.json", "evidence-shrank.json"):
        evidence = ForkEvidence.from_json((voting / name).read_text())
        with pytest.raises(ForkDetected):
            verify_heads_consistent(
                evidence.first, evidence.second, [bytes.fromhex(h) for h in evidence.proof], key
            )


def test_results_page_after_publication(voting: Path, browser: str, live_server: LiveServer) -> None:
    result = live_server.finish()
    finals = json.loads((voting / "final-choices.json").read_text())
    manifest = live_server.get_json("/api/election")["manifest"]["manifest"]
    assert result["ballots"] == len(finals)
    assert result["questions"] == _expected_counts(manifest, finals)
    run_browser(browser, "results.test.mjs", live_server, voting)
