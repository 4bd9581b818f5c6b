"""The simulator produces valid protocols, and each kind of fraud does what it says."""

from __future__ import annotations

import numpy as np
import pytest

from plebiscite.forensics.integer import is_integer_percent
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

FRAUDS = [
    FraudSpec(),
    FraudSpec(stuffing_fraction=0.05),
    FraudSpec(transfer_fraction=0.05),
    FraudSpec(rounding_fraction=0.05),
    FraudSpec(rounding_fraction=0.05, rounding_step=5, rounding_bump=5),
]


@pytest.mark.parametrize("fraud", FRAUDS)
def test_protocols_are_valid(fraud: FraudSpec) -> None:
    e, _ = simulate_election(SimulationSpec(stations=3000), fraud, seed=4)
    assert (e.votes >= 0).all()
    assert (e.issued <= e.registered).all()
    assert (e.cast <= e.issued).all()
    assert (e.valid <= e.cast).all()
    np.testing.assert_array_equal(e.votes.sum(axis=1), e.valid)
    assert e.leader_name == "leader"


def test_same_seed_same_election_and_different_seed_differs() -> None:
    a, _ = simulate_election(seed=1)
    b, _ = simulate_election(seed=1)
    c, _ = simulate_election(seed=2)
    np.testing.assert_array_equal(a.votes, b.votes)
    assert not np.array_equal(a.votes, c.votes)


def test_stuffing_raises_turnout_and_share_at_stuffed_stations() -> None:
    e, truth = simulate_election(fraud=FraudSpec(stuffing_fraction=0.04), seed=5)
    assert truth.stuffed.sum() == 200
    assert truth.stuffed_ballots > 0
    s = truth.stuffed
    assert np.median(e.turnout[s]) > np.median(e.turnout[~s]) + 0.1
    assert np.median(e.leader_share[s]) > np.median(e.leader_share[~s]) + 0.05


def test_transfer_keeps_turnout_and_moves_votes() -> None:
    e, truth = simulate_election(fraud=FraudSpec(transfer_fraction=0.1), seed=6)
    clean, _ = simulate_election(seed=6)
    assert truth.transferred_votes > 0
    assert np.median(e.leader_share[truth.transferred]) > np.median(e.leader_share[~truth.transferred]) + 0.05
    assert abs(np.median(e.turnout) - np.median(clean.turnout)) < 0.01


def test_rounding_produces_whole_percentages() -> None:
    e, truth = simulate_election(fraud=FraudSpec(rounding_fraction=0.05), seed=7)
    r = truth.rounded
    both = is_integer_percent(e.issued[r], e.registered[r]) & is_integer_percent(e.leader[r], e.cast[r])
    assert both.mean() > 0.5  # small stations cannot always hit a whole percent within 0.05 points
    assert (e.registered[r] >= 100).all()
