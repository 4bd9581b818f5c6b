"""Shpilkin-style excess votes: unbiased where its assumption holds, biased where it fails, Russia figures."""

from __future__ import annotations

import numpy as np
import pytest

from plebiscite.forensics.election import Election
from plebiscite.forensics.shpilkin import excess_votes, others_peak, shpilkin
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

# The method's assumption: support for the leader does not depend on turnout. No regional support effects.
ASSUMPTION_HOLDS = SimulationSpec(stations=20_000, leader_region_sd=0.0, region_correlation=0.0)


def test_excess_is_leader_minus_ratio_times_others() -> None:
    turnout = np.array([0.405, 0.415, 0.805, 0.815])
    leader = np.array([100.0, 100.0, 300.0, 300.0])
    others = np.array([200.0, 200.0, 200.0, 200.0])
    value, curve = excess_votes(turnout, leader, others, reference_upper=0.5, width=0.01)
    assert curve.ratio == pytest.approx(0.5)
    assert value == pytest.approx(800 - 0.5 * 800)


def test_peak_of_others() -> None:
    rng = np.random.default_rng(0)
    t = np.clip(rng.normal(0.47, 0.05, 50_000), 0, 1)
    assert others_peak(t, np.full(t.size, 100.0)) == pytest.approx(0.47, abs=0.015)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_election_gives_no_excess_when_assumption_holds(seed: int) -> None:
    e, _ = simulate_election(ASSUMPTION_HOLDS, seed=seed)
    res = shpilkin(e.turnout, e.leader, e.others, bootstrap=0)
    assert abs(res.central) < 0.01 * e.leader.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heavy_stuffing_is_recovered(seed: int) -> None:
    fraud = FraudSpec(stuffing_fraction=0.10, stuffing_intensity=(0.3, 0.8))
    e, truth = simulate_election(ASSUMPTION_HOLDS, fraud, seed=seed)
    res = shpilkin(e.turnout, e.leader, e.others, bootstrap=20, seed=seed)
    assert 0.8 * truth.stuffed_ballots < res.central < 1.05 * truth.stuffed_ballots
    assert res.low <= res.central <= res.high
    assert res.interval95 is not None and res.interval95[0] <= res.central <= res.interval95[1]


def test_mild_stuffing_is_underestimated() -> None:
    """Stuffed stations that stay inside the reference range raise the reference ratio: a conservative bias."""
    e, truth = simulate_election(ASSUMPTION_HOLDS, FraudSpec(stuffing_fraction=0.05), seed=0)
    res = shpilkin(e.turnout, e.leader, e.others, bootstrap=0)
    assert 0.3 * truth.stuffed_ballots < res.central < 0.95 * truth.stuffed_ballots


def test_regional_confounding_breaks_the_assumption() -> None:
    """Documented limitation: where loyal regions also vote more, a clean election shows 'excess' votes."""
    e, _ = simulate_election(SimulationSpec(stations=20_000, region_correlation=0.5), seed=1)
    res = shpilkin(e.turnout, e.leader, e.others, bootstrap=0)
    assert res.central > 0.05 * e.leader.sum()


@pytest.mark.parametrize(("year", "low", "high"), [(2011, 14.0e6, 16.0e6), (2012, 9.0e6, 12.0e6)])
def test_russia(year: int, low: float, high: float, request: pytest.FixtureRequest) -> None:
    election: Election = request.getfixturevalue(f"russia_{year}")
    res = shpilkin(election.turnout, election.leader, election.others, bootstrap=10)
    assert low < res.central < high
    assert low < res.low <= res.high < high
    d = res.as_dict()
    assert d["leader_share_of_valid_in_reference"] < d["leader_share_of_valid_reported"]
