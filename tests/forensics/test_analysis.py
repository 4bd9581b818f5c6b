"""The whole pipeline on a simulated election: JSON shape, region table consistency, determinism."""

from __future__ import annotations

import json

import pytest

from plebiscite.forensics.analysis import STAGES, AnalysisOptions, analyse
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

FAST = AnalysisOptions(runs=20, klimek_bootstrap=3, shpilkin_bootstrap=5, seed=3)


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    e, _ = simulate_election(
        SimulationSpec(stations=3000, regions=6), FraudSpec(stuffing_fraction=0.03), seed=2
    )
    stages: list[str] = []
    analysis = analyse(e, FAST, lambda name, fraction: stages.append(name))
    return analysis, stages


def test_json_has_documented_keys(result) -> None:  # type: ignore[no-untyped-def]
    analysis, _ = result
    data = json.loads(json.dumps(analysis.as_dict(), allow_nan=False))
    ip = data["integer_percentages"]
    for key in ("observed_stations", "expected_stations", "excess_stations", "z", "p_value"):
        assert key in ip
    for key in ("klimek", "shpilkin", "coarse_fraction_spikes", "stuffing_upper_tail", "regions", "summary"):
        assert key in data
    assert data["klimek"]["f_i_interval95"] is not None
    assert data["options"]["spike_runs"] == 50


def test_progress_reports_every_stage(result) -> None:  # type: ignore[no-untyped-def]
    _, stages = result
    assert list(dict.fromkeys(stages)) == list(STAGES)


def test_region_table_adds_up(result) -> None:  # type: ignore[no-untyped-def]
    analysis, _ = result
    rows = analysis.regions
    assert len(rows) == 6
    assert sum(r["stations"] for r in rows) == analysis.election.stations
    assert sum(r["integer_observed"] for r in rows) == analysis.integer.observed
    assert sum(r["integer_expected"] for r in rows) == pytest.approx(analysis.integer.expected, abs=0.1)
    total_reg = sum(r["registered"] for r in rows)
    assert total_reg == int(analysis.election.registered.sum())


def test_same_options_same_figures() -> None:
    e, _ = simulate_election(SimulationSpec(stations=1500, regions=4), seed=9)
    a = analyse(e, FAST).as_dict()
    b = analyse(e, FAST).as_dict()
    a.pop("timings_seconds")
    b.pop("timings_seconds")
    assert a == b
