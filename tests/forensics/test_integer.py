"""Integer-percentage test: definitions, inclusion rules, the null against exact probabilities, and Russia."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from plebiscite.forensics.election import Election
from plebiscite.forensics.integer import (
    eligible_stations,
    exact_integer_probability,
    integer_test,
    is_integer_percent,
)
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

PUBLISHED = {2011: (1003, 8.9), 2012: (1160, 10.0)}


def test_integer_percent_definition() -> None:
    count = np.array([1, 105, 1001, 1003, 999, 2, 7])
    total = np.array([100, 1000, 2000, 2000, 2000, 3, 700])
    # 1 %, 10.5 %, 50.05 % (edge, included), 50.15 %, 49.95 % (edge), 66.67 %, exactly 1 %
    assert is_integer_percent(count, total).tolist() == [True, False, True, False, True, False, True]


def _tiny(registered: list[int], issued: list[int], cast: list[int], leader: list[int]) -> Election:
    e, _ = simulate_election(SimulationSpec(stations=len(registered), regions=1), seed=0)
    e.registered = np.array(registered)
    e.issued = np.array(issued)
    e.cast = np.array(cast)
    e.valid = np.array(cast)
    e.votes = np.column_stack([leader, np.array(cast) - np.array(leader), np.zeros((len(cast), 2), int)])
    return e


def test_inclusion_rules() -> None:
    e = _tiny(
        registered=[99, 100, 1000, 1000, 1000, 1000],
        issued=[50, 50, 995, 990, 500, 500],
        cast=[50, 50, 995, 990, 500, 500],
        leader=[20, 20, 500, 500, 496, 495],
    )
    # < 100 registered; ok; turnout 99.5 %; turnout exactly 99 % (kept); share 99.2 %; share exactly 99 % (kept)
    assert eligible_stations(e).tolist() == [False, True, False, True, False, True]


def test_exact_probability_matches_scipy_binomial() -> None:
    n, p = np.array([150, 1234, 777]), np.array([0.3, 0.61, 0.5])
    expected = []
    for total, rate in zip(n, p, strict=True):
        k = np.arange(total + 1)
        pct = 100 * k / total
        hit = np.abs(pct - np.rint(pct)) <= 0.05 + 1e-9
        expected.append(stats.binom.pmf(k[hit], total, rate).sum())
    np.testing.assert_allclose(exact_integer_probability(n, p), expected, rtol=1e-9, atol=1e-12)


def test_monte_carlo_null_agrees_with_exact_null() -> None:
    e, _ = simulate_election(SimulationSpec(stations=4000), seed=3)
    res = integer_test(e, runs=200, seed=5)
    m = eligible_stations(e)
    pt = exact_integer_probability(e.registered[m], e.turnout[m])
    ps = exact_integer_probability(e.cast[m], e.leader_share[m])
    p = 1 - (1 - pt) * (1 - ps)
    # MC error of the mean of 200 runs is sd/sqrt(200); allow 4 of them
    assert abs(res.expected - p.sum()) < 4 * res.sd_null / np.sqrt(200)
    assert res.sd_null == pytest.approx(np.sqrt(np.sum(p * (1 - p))), rel=0.05)


def test_deterministic_for_seed_and_independent_of_threads() -> None:
    e, _ = simulate_election(SimulationSpec(stations=2000), seed=1)
    a = integer_test(e, runs=40, seed=9, workers=1)
    b = integer_test(e, runs=40, seed=9, workers=3)
    c = integer_test(e, runs=40, seed=10, workers=1)
    assert a.expected == b.expected and a.sd_null == b.sd_null
    assert a.expected != c.expected


def test_regions_add_up_to_national() -> None:
    e, _ = simulate_election(SimulationSpec(stations=3000, regions=7), seed=2)
    res = integer_test(e, runs=30, seed=1)
    assert res.region_observed.sum() == res.observed
    assert res.region_expected.sum() == pytest.approx(res.expected)
    assert res.region_eligible.sum() == res.eligible


def test_clean_simulations_are_not_flagged_but_rounding_is() -> None:
    clean_z = [integer_test(simulate_election(seed=s)[0], runs=60, seed=s).z for s in range(6)]
    assert max(clean_z) < 2.6
    rounded, truth = simulate_election(fraud=FraudSpec(rounding_fraction=0.03), seed=0)
    res = integer_test(rounded, runs=60, seed=0)
    assert res.z > 3
    # the excess is in the right ballpark of the stations actually rewritten (not all land within 0.05 points)
    assert 0.3 * truth.rounded.sum() < res.excess < 1.3 * truth.rounded.sum()


@pytest.mark.parametrize("year", [2011, 2012])
def test_russia_matches_published_excess(year: int, request: pytest.FixtureRequest) -> None:
    election = request.getfixturevalue(f"russia_{year}")
    res = integer_test(election, runs=100, seed=1)
    excess, z = PUBLISHED[year]
    assert res.excess == pytest.approx(excess, rel=0.05)
    assert res.z == pytest.approx(z, rel=0.10)
    assert res.p_value < 1e-15
    assert res.eligible > 86_000
