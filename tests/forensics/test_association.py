"""Within-region turnout/share association and the exact upper-tail stuffing test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from plebiscite.forensics.association import (
    hypergeom_pmf,
    turnout_share_association,
    upper_tail_test,
    within_group_scores,
)


def _confounded(seed: int, n: int = 6000, groups: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regions differ in both turnout and share (correlated), stations inside a region are independent."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    level = rng.normal(0, 0.1, groups)
    turnout = 0.55 + level[g] + rng.normal(0, 0.05, n)
    share = 0.45 + 0.8 * level[g] + rng.normal(0, 0.05, n)
    return turnout, share, g


def test_hypergeometric_pmf_matches_scipy() -> None:
    k = np.arange(0, 40)
    np.testing.assert_allclose(hypergeom_pmf(k, 500, 30, 45), stats.hypergeom.pmf(k, 500, 30, 45), atol=1e-14)
    assert hypergeom_pmf(np.arange(0, 11), 10, 10, 10)[10] == pytest.approx(1.0)


def test_scores_are_centred_within_groups() -> None:
    t, _, g = _confounded(0)
    z = within_group_scores(t, g)
    for r in range(12):
        assert abs(z[g == r].mean()) < 1e-9


def test_between_region_confounding_is_not_flagged() -> None:
    t, s, g = _confounded(1)
    assert np.corrcoef(t, s)[0, 1] > 0.5  # pooled, it looks like stuffing
    assoc = turnout_share_association(t, s, g)
    tail = upper_tail_test(t, s, g)
    assert abs(assoc.z) < 3
    assert tail.p_value > 0.001


def test_null_p_values_are_calibrated() -> None:
    p_assoc, p_tail = [], []
    for seed in range(200):
        t, s, g = _confounded(seed, n=1500, groups=6)
        p_assoc.append(turnout_share_association(t, s, g).p_value)
        p_tail.append(upper_tail_test(t, s, g).p_value)
    assert np.mean(np.array(p_assoc) < 0.05) < 0.1
    assert np.mean(np.array(p_tail) < 0.05) < 0.1
    assert np.mean(np.array(p_tail) < 0.5) > 0.3  # not degenerate at 1


def test_joint_upper_right_outliers_are_detected() -> None:
    t, s, g = _confounded(3)
    rng = np.random.default_rng(3)
    stuffed = rng.choice(t.size, 120, replace=False)
    t[stuffed] += 0.15
    s[stuffed] += 0.12
    tail = upper_tail_test(t, s, g)
    assert tail.p_value < 1e-6
    assert tail.observed - tail.expected > 60
    assert turnout_share_association(t, s, g).z > 3


def test_tail_expected_count_is_quantile_squared() -> None:
    t, s, g = _confounded(4, n=10_000)
    tail = upper_tail_test(t, s, g, quantile=0.1)
    assert tail.expected == pytest.approx(0.01 * 10_000, rel=0.05)
