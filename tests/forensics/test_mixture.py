"""The finite-mixture fraud model: recovers known parameters from its own simulations, its intervals cover the
truth, its no-fraud test stays quiet on clean elections and fires on stuffing, and the region centring keeps
regional differences from being read as fraud."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logit

from plebiscite.forensics.mixture import MixtureParams, fit_mixture, region_centred, simulate_mixture
from plebiscite.forensics.simulate import FraudSpec, SimulationSpec, simulate_election

TRUTH = MixtureParams(
    f_i=0.10, f_e=0.01, tau=float(logit(0.6)), sigma_tau=0.5, nu=float(logit(0.5)), sigma_nu=0.5, rho=0.0,
    theta=0.3, alpha=2.0,
)  # fmt: skip


@pytest.fixture(scope="module")
def known_fit():  # type: ignore[no-untyped-def]
    turnout, share, kind = simulate_mixture(TRUTH, 20_000, seed=3)
    return fit_mixture(turnout, share, np.full(len(turnout), 1000.0), max_rounds=150), kind


def test_recovers_known_parameters(known_fit) -> None:  # type: ignore[no-untyped-def]
    fit, kind = known_fit
    est = fit.reported()
    assert est["f_e"] == pytest.approx(0.01, abs=0.003)
    assert est["f_i"] == pytest.approx(0.10, abs=0.04)  # weakly identified: small-x fraud looks clean
    assert est["theta"] == pytest.approx(0.3, abs=0.06)
    assert est["alpha"] == pytest.approx(2.0, abs=0.3)
    assert est["tau"] == pytest.approx(0.6, abs=0.01)
    assert est["nu"] == pytest.approx(0.5, abs=0.01)
    assert abs(est["rho"]) < 0.05
    assert fit.converged
    # every station the simulator made extreme sits at turnout > 0.7 and is flagged as probably fraudulent
    assert np.mean(fit.station_posterior[kind == 2] > 0.5) > 0.9


def test_intervals_cover_the_truth(known_fit) -> None:  # type: ignore[no-untyped-def]
    fit, _ = known_fit
    for name, true in (("f_i", 0.10), ("f_e", 0.01), ("theta", 0.3), ("alpha", 2.0), ("tau", 0.6)):
        low, high = fit.interval(name)
        assert low <= true <= high, (name, low, high)
        assert high - low < (0.1 if name in ("f_i", "theta", "tau") else 0.5)


def test_likelihood_ratio_and_json(known_fit) -> None:  # type: ignore[no-untyped-def]
    fit, _ = known_fit
    out = fit.as_dict()
    assert out["loglik"] > out["loglik_no_fraud"]
    assert out["p_value_no_fraud"] < 1e-10
    assert out["interval_method"].startswith("Wald")
    assert set(out["parameters"]) >= {"f_i", "f_e", "tau", "nu", "sigma_tau", "sigma_nu", "theta", "alpha"}


def test_no_fraud_in_the_model_gives_no_fraud() -> None:
    clean = MixtureParams(0.0, 0.0, TRUTH.tau, 0.5, TRUTH.nu, 0.5, 0.2, 0.3, 2.0)
    turnout, share, _ = simulate_mixture(clean, 10_000, seed=5)
    fit = fit_mixture(turnout, share, np.full(len(turnout), 1000.0))
    assert fit.p_value > 0.01
    assert fit.params.f_e < 0.002
    assert fit.params.rho == pytest.approx(0.2, abs=0.05)  # correlated clean data is not read as fraud


def test_calibration_clean_and_stuffed_elections() -> None:
    """No-fraud LR test at alpha 0.01 on 5,000-station simulations (regional confounding included): quiet on
    clean elections, fires on stuffing at 2 % of stations. bench/forensics.py measures the rates over 100."""
    false_alarms = power = 0
    for seed in range(8):
        clean, _ = simulate_election(SimulationSpec(), seed=seed)
        stuffed, truth = simulate_election(SimulationSpec(), FraudSpec(stuffing_fraction=0.02), seed=seed)
        false_alarms += (
            fit_mixture(clean.turnout, clean.leader_share, clean.registered, clean.region_codes).p_value
            < 0.01
        )
        fit = fit_mixture(stuffed.turnout, stuffed.leader_share, stuffed.registered, stuffed.region_codes)
        power += fit.p_value < 0.01
        # the flagged stations are the stuffed ones far more often than chance
        flagged = fit.station_posterior > 0.5
        assert flagged[truth.stuffed].mean() > 5 * max(flagged[~truth.stuffed].mean(), 1e-3)
    assert false_alarms <= 1
    assert power == 8


def test_region_centring_aligns_lower_quartiles() -> None:
    rng = np.random.default_rng(0)
    regions = np.repeat(np.arange(3), 400)
    turnout = 1 / (1 + np.exp(-(rng.normal(0, 0.4, 1200) + np.array([-1.0, 0.0, 1.0])[regions])))
    share = np.full(1200, 0.5)
    t, _ = region_centred(turnout, share, regions)
    q = [np.percentile(logit(t[regions == r]), 25) for r in range(3)]
    assert max(q) - min(q) < 1e-9
    assert np.array_equal(
        region_centred(turnout, share, np.zeros(1200, dtype=np.int64))[0].round(9), turnout.round(9)
    )


def test_bootstrap_intervals() -> None:
    turnout, share, _ = simulate_mixture(TRUTH, 4000, seed=8)
    fit = fit_mixture(turnout, share, np.full(len(turnout), 800.0), bootstrap=4, seed=2)
    assert len(fit.bootstrap) == 4
    assert fit.as_dict()["interval_method"] == "percentile bootstrap"
    low, high = fit.interval("fraudulent_votes")
    assert 0 < low <= high
