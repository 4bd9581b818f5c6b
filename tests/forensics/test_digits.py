"""Digit tests: exact nulls (checked against brute force), calibration on clean simulations, power on invented
digits, and the per-region p-values pointing at the region where digits were invented."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from plebiscite.forensics.digits import (
    benford_second_digit,
    last_digit_null,
    last_digit_test,
    second_digit,
    second_digit_test,
)
from plebiscite.forensics.election import Election
from plebiscite.forensics.simulate import SimulationSpec, simulate_election


@pytest.mark.parametrize(("n", "k"), [(10, 7), (50, 3), (1000, 500), (40, 20), (300, 12), (5, 0), (8, 8)])
def test_last_digit_null_is_exact(n: int, k: int) -> None:
    brute = np.zeros(10)
    for j in range(n + 1):
        brute[j % 10] += binom.pmf(j, n, k / n)
    np.testing.assert_allclose(last_digit_null(np.array([k]), np.array([n]))[0], brute, atol=1e-12)


def test_second_digit_and_benford() -> None:
    values = np.array([5, 10, 19, 99, 100, 109, 999, 1000, 1234, 99999, 100000, 123456])
    np.testing.assert_array_equal(second_digit(values), [-1, 0, 9, 9, 0, 0, 9, 0, 2, 9, 0, 2])
    benford = benford_second_digit()
    assert benford.sum() == pytest.approx(1.0)
    assert np.arange(10) @ benford == pytest.approx(4.187, abs=1e-3)  # Mebane's 2BL mean


def _invent_digits(election: Election, fraction: float, seed: int, region: int | None = None) -> Election:
    """Rewrite the leader's count at some stations as a human would: ending in 0 or 5."""
    rng = np.random.default_rng(seed)
    pool = (
        np.flatnonzero(election.region_codes == region)
        if region is not None
        else np.arange(election.stations)
    )
    pick = rng.choice(pool, size=int(fraction * len(pool)), replace=False)
    votes = election.votes.copy()
    lead = votes[pick, 0]
    rounded = 5 * np.rint(lead / 5).astype(np.int64)
    room = election.valid[pick] - votes[pick, 1:].sum(axis=1)
    votes[pick, 0] = np.minimum(rounded, room)
    return Election(
        registered=election.registered,
        issued=election.issued,
        cast=election.cast,
        valid=votes.sum(axis=1),
        votes=votes,
        option_names=election.option_names,
        leader_index=0,
        region_codes=election.region_codes,
        region_names=election.region_names,
        units=election.units,
        lines=election.lines,
        log=election.log,
    )


def test_false_alarms_on_clean_elections() -> None:
    """Clean simulations: p < 0.01 at most once in 20 for each test (nominal rate 1 %)."""
    spec = SimulationSpec(stations=3000, regions=10)
    low_last = low_second = 0
    for seed in range(20):
        election, _ = simulate_election(spec, seed=seed)
        low_last += last_digit_test(election).p_value < 0.01
        low_second += second_digit_test(election, seed=seed).p_value < 0.01
    assert low_last <= 1
    assert low_second <= 1


def test_last_digit_detects_invented_counts() -> None:
    """Leader's counts ending in 0/5 at 20 % of stations: detected at alpha 0.01 every time."""
    spec = SimulationSpec(stations=3000, regions=10)
    for seed in range(5):
        election, _ = simulate_election(spec, seed=seed)
        assert last_digit_test(_invent_digits(election, 0.20, seed)).p_value < 0.01


def test_per_region_p_values_point_at_the_region() -> None:
    election, _ = simulate_election(SimulationSpec(stations=4000, regions=8), seed=3)
    result = last_digit_test(_invent_digits(election, 0.5, 3, region=5))
    _, p, n = result.region_stats()
    assert int(np.nanargmin(p)) == 5
    assert p[5] < 1e-4
    others = np.delete(p, 5)
    assert np.all(others[np.isfinite(others)] > 1e-3)
    assert n.sum() == result.counts_used


def test_small_counts_do_not_raise_false_alarms() -> None:
    """A minor option with 1-3 votes per station: honest counts whose plug-in null would be biased toward 0 are
    left out by the expected-sd rule, so a clean election stays clean (it fails without that rule)."""
    rng = np.random.default_rng(11)
    n = 4000
    cast = rng.integers(300, 900, n)
    minor = rng.binomial(cast, 0.004)
    leader = rng.binomial(cast - minor, 0.55)
    votes = np.column_stack([leader, cast - minor - leader, minor]).astype(np.int64)
    election, _ = simulate_election(SimulationSpec(stations=n, regions=4), seed=1)
    clean = Election(
        registered=cast * 2,
        issued=cast,
        cast=cast,
        valid=cast,
        votes=votes,
        option_names=["leader", "other", "minor"],
        leader_index=0,
        region_codes=election.region_codes,
        region_names=election.region_names,
        units=election.units,
        lines=election.lines,
        log=election.log,
    )
    assert last_digit_test(clean).p_value > 0.01
