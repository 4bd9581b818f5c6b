"""Resampled-null spike test: natural fractions in small stations are not flagged, fabricated ones are."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from plebiscite.forensics.election import Election
from plebiscite.forensics.rozenas import CoarseLookup, beta_prior, coarse_fractions, spike_test
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

SMALL_STATIONS = SimulationSpec(stations=5000, size_median=25, size_sigma=0.8, min_size=3)


def test_coarse_fractions_are_interior_and_distinct() -> None:
    fr = coarse_fractions((2, 4, 10))
    assert fr[0] == Fraction(1, 10) and fr[-1] == Fraction(9, 10)
    assert len(fr) == len(set(fr)) == 11  # 1/2 and 2/4, 5/10 coincide; 1/4, 3/4 add two to 9 tenths


def test_lookup_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    total = rng.integers(1, 3000, 50_000)
    count = rng.binomial(total, rng.uniform(0, 1, total.size))
    fractions = coarse_fractions()
    values = np.array([float(f) for f in fractions])
    dist = np.abs(count[:, None] / total[:, None] - values[None, :]) * 100
    brute = np.where(dist.min(axis=1) <= 0.05 + 1e-9, dist.argmin(axis=1), -1)
    got = CoarseLookup(fractions)(count, total)
    np.testing.assert_array_equal(got, brute)
    assert (got >= 0).sum() > 1000


def test_beta_prior_removes_binomial_noise() -> None:
    rng = np.random.default_rng(1)
    true = rng.beta(20, 30, 20_000)  # mean 0.4, sd 0.069
    total = np.full(true.size, 50)
    a, b = beta_prior(rng.binomial(total, true), total)
    assert a / (a + b) == pytest.approx(0.4, abs=0.01)
    assert np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) == pytest.approx(0.069, rel=0.15)


def test_natural_fractions_in_small_stations_are_not_flagged() -> None:
    zs = []
    for seed in range(6):
        e, _ = simulate_election(SMALL_STATIONS, seed=seed)
        res = spike_test(e.leader, e.cast, e.region_codes, quantity="leader_share", runs=80, seed=seed)
        half = res.fractions.index("1/2")
        # The natural spike is large: ~9 % of these stations sit exactly on 1/2 ...
        assert res.observed_by_fraction[half] > 0.05 * res.stations
        # ... and the resampled null reproduces it.
        assert res.expected_by_fraction[half] == pytest.approx(res.observed_by_fraction[half], rel=0.15)
        zs.append(res.z)
    assert max(zs) < 3.0
    assert abs(float(np.mean(zs))) < 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_fabricated_round_shares_are_flagged(seed: int) -> None:
    fraud = FraudSpec(rounding_fraction=0.03, rounding_step=5, rounding_bump=5)
    e, truth = simulate_election(SimulationSpec(stations=5000), fraud, seed=seed)
    res = spike_test(e.leader, e.cast, e.region_codes, quantity="leader_share", runs=60, seed=seed)
    assert res.z > 4
    assert res.p_value < 0.02
    assert 0.3 * truth.rounded.sum() < res.excess < 1.2 * truth.rounded.sum()


def test_russia_2011_leader_share_spikes(russia_2011: Election) -> None:
    e = russia_2011
    res = spike_test(e.leader, e.cast, e.region_codes, quantity="leader_share", runs=50, seed=1)
    assert res.z > 3
    top = res.as_dict()["largest_excess_fractions"]
    assert {"19/20", "3/4", "4/5"} & {t["fraction"] for t in top[:4]}  # type: ignore[index]
