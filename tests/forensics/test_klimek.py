"""Klimek et al. fingerprint model: recovery on its own simulations, its known bias, and Russia 2011/2012."""

from __future__ import annotations

import numpy as np
import pytest

from plebiscite.forensics.election import Election
from plebiscite.forensics.klimek import Draws, FairModel, estimate_fair_model, fit_klimek, simulate_model

FAIR = FairModel(turnout_peak=0.55, turnout_sd=0.08, share_peak=0.45, share_sd=0.08)
PUBLISHED = {2011: (0.64, 0.033), 2012: (0.39, 0.021)}


def _model_data(
    f_i: float, f_e: float, theta: float, alpha: float, n: int = 40_000
) -> tuple[np.ndarray, np.ndarray]:
    return simulate_model(FAIR, Draws.new(np.random.default_rng(7), n), f_i, f_e, theta, alpha)


def test_fair_model_estimate_on_clean_normal_data() -> None:
    rng = np.random.default_rng(0)
    t, v = rng.normal(0.6, 0.07, 100_000), rng.normal(0.4, 0.09, 100_000)
    fair = estimate_fair_model(t, v)
    assert fair.turnout_peak == pytest.approx(0.6, abs=0.01)
    assert fair.share_peak == pytest.approx(0.4, abs=0.01)
    assert fair.turnout_sd == pytest.approx(0.07, rel=0.1)
    assert fair.share_sd == pytest.approx(0.09, rel=0.1)


@pytest.mark.parametrize(("f_i", "f_e", "theta", "alpha"), [(0.3, 0.02, 0.3, 2.0), (0.6, 0.05, 0.4, 2.0)])
def test_recovers_fraud_parameters_given_the_fair_model(
    f_i: float, f_e: float, theta: float, alpha: float
) -> None:
    t, v = _model_data(f_i, f_e, theta, alpha)
    fit = fit_klimek(t, v, seed=3, bootstrap=8, fair=FAIR)
    assert fit.f_i == pytest.approx(f_i, abs=0.03)
    assert fit.f_e == pytest.approx(f_e, abs=0.005)
    assert (fit.theta, fit.alpha) == (theta, alpha)
    lo, hi = fit.interval("f_i") or (np.nan, np.nan)
    assert lo - 0.02 <= f_i <= hi + 0.02


def test_clean_model_data_gives_no_fraud() -> None:
    t, v = _model_data(0.0, 0.0, 0.3, 1.0)
    fit = fit_klimek(t, v, seed=1, bootstrap=0)
    assert fit.f_i <= 0.05
    assert fit.f_e <= 0.002


def test_estimated_fair_model_biases_f_i_low_when_fraud_is_common() -> None:
    """Documented limitation (docs/forensics.md): fraud shifts the peaks the fair model is read from."""
    t, v = _model_data(0.3, 0.02, 0.3, 2.0)
    fit = fit_klimek(t, v, seed=3, bootstrap=0)
    assert fit.fair.turnout_peak > FAIR.turnout_peak
    assert 0.1 < fit.f_i < 0.3
    assert fit.f_e == pytest.approx(0.02, abs=0.008)


def test_share_objective_variant_and_validation() -> None:
    t, v = _model_data(0.3, 0.02, 0.3, 2.0, n=20_000)
    fit = fit_klimek(t, v, seed=1, bootstrap=0, also=("share",), fair=FAIR)
    assert fit.variants["share"].objective == "share"
    assert fit.variants["share"].f_i == pytest.approx(0.3, abs=0.08)
    with pytest.raises(ValueError, match="objective"):
        fit_klimek(t, v, objective="kurtosis")


@pytest.mark.parametrize("year", [2011, 2012])
def test_russia_close_to_published(year: int, request: pytest.FixtureRequest) -> None:
    election: Election = request.getfixturevalue(f"russia_{year}")
    fit = fit_klimek(election.turnout, election.leader_share, seed=1, bootstrap=6)
    f_i, f_e = PUBLISHED[year]
    # f_i reproduces within 0.05; our f_e is higher than published (see docs: 0.047 vs 0.033, 0.030 vs 0.021)
    assert fit.f_i == pytest.approx(f_i, abs=0.05)
    assert f_e < fit.f_e < 2 * f_e
    assert fit.alpha == 2.0
    assert fit.model_turnout is not None and len(fit.model_turnout) == election.stations
