"""The HTML report: a plain-language summary first, in the language asked for, figures that need no network,
checked in headless Chromium with a screenshot in test-artifacts/forensics/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from plebiscite.forensics.analysis import Analysis, AnalysisOptions, analyse
from plebiscite.forensics.report import render_html, write_report
from plebiscite.forensics.report_summary import level
from plebiscite.forensics.report_text import _TEXT, LANGS, text
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts/forensics"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FIGURES = 7


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    election, _ = simulate_election(
        SimulationSpec(stations=3000, regions=8), FraudSpec(stuffing_fraction=0.03), seed=2
    )
    return analyse(election, AnalysisOptions(runs=20, klimek_bootstrap=2, shpilkin_bootstrap=5))


@pytest.mark.parametrize(
    ("lang", "heading", "found"),
    [
        ("en", "Summary", "What was found"),
        ("uk", "Коротко", "Що виявлено"),
        ("ru", "Коротко", "Что обнаружено"),
    ],
)
def test_report_language_and_summary_first(analysis: Analysis, lang: str, heading: str, found: str) -> None:
    page = render_html(analysis, lang=lang)
    assert f"<html lang='{lang}'>" in page
    summary = page.index("id='summary'")
    assert summary < page.index("<figure")  # the summary leads, before any figure or table
    assert summary < page.index("<table")
    assert heading in page and found in page
    assert page.count("data:image/png;base64,") == FIGURES
    assert "<script" not in page and "http://" not in page and "https://" not in page
    words = text(lang)
    for key in ("cap_fingerprint", "cap_integer_histograms", "cap_turnout_regions", "cap_region_anomalies"):
        assert words[key].replace("'", "&#x27;") in page


def test_summary_states_stuffing_found(analysis: Analysis) -> None:
    page = render_html(analysis, lang="en")
    head = page[page.index("id='summary'") : page.index("</section>")]
    assert "Ballot-stuffing signature" in head and "very unlikely under honest counting" in head
    assert "What this does not prove" in head
    assert "Fraud model (Mebane" in head


def test_every_language_has_every_sentence() -> None:
    for key, versions in _TEXT.items():
        assert set(versions) == set(LANGS), key
    with pytest.raises(KeyError):
        text("de")


def test_strength_words() -> None:
    words = text("en")
    assert level(1e-5, words) == words["level_strong"]
    assert level(0.01, words) == words["level_some"]
    assert level(0.3, words) == words["level_none"]
    assert level(None, words) == words["level_none"]


def _browser() -> str:
    node = shutil.which("node")
    if (
        node is None
        or not Path(CHROMIUM).exists()
        or not (ROOT / "booth/node_modules/playwright-core").is_dir()
    ):
        message = "node, Chromium or playwright-core missing (make test-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return node


def test_report_renders_offline_in_chromium(analysis: Analysis, tmp_path: Path) -> None:
    """Network cut off: no request leaves the page, every figure decodes, and the summary is on screen."""
    node = _browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = write_report(analysis, tmp_path / "report.html", lang="uk")
    shot = ARTIFACTS / "report-uk.png"
    done = subprocess.run(
        [node, str(ROOT / "tests/forensics/browser/report_check.mjs"), str(report), str(shot)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert facts["requests"] == [] and facts["problems"] == []
    assert facts["images"] == FIGURES and facts["broken"] == 0 and facts["scripts"] == 0
    assert facts["lang"] == "uk" and "Що виявлено" in facts["summary"]
    assert shot.stat().st_size > 10_000
    shutil.copy(report, ARTIFACTS / "report-uk.html")


def test_a_report_that_needs_the_network_is_caught(analysis: Analysis, tmp_path: Path) -> None:
    """The offline check can fail: an image loaded from the network is recorded as a request."""
    node = _browser()
    page = render_html(analysis, lang="en").replace(
        "</body>", "<img src='http://example.invalid/x.png'></body>"
    )
    report = tmp_path / "leaky.html"
    report.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [node, str(ROOT / "tests/forensics/browser/report_check.mjs"), str(report), str(tmp_path / "x.png")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    facts = json.loads(done.stdout)
    assert facts["requests"] == ["http://example.invalid/x.png"]
    assert facts["broken"] == 1
