"""Encrypting and proving a yes/no ballot in headless Chromium takes at most 50 ms (median), via bench/booth.mjs."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_node


def test_yes_no_ballot_within_50_ms_in_chromium(browser: str, tmp_path: Path) -> None:
    out = tmp_path / "booth.json"
    done = run_node(browser, ["bench/booth.mjs", "--runs", "40", "--out", str(out)], timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())["figures_ms"]
    assert figures["yesno"]["runs"] == 40
    assert 0 < figures["yesno"]["median_ms"] <= 50, figures["yesno"]
    assert figures["referendum"]["median_ms"] > figures["yesno"]["median_ms"], "more work must take longer"
