"""Finite-mixture model of incremental and extreme fraud, fitted by maximum likelihood (Mebane's eforensics family).

Why: Klimek et al. (2012) fit their fraud model by matching histograms, which gives no likelihood, no standard
errors and estimates that move with the binning. Mebane and coauthors (Mebane 2016; Ferrari, McAlister & Mebane
2018, "Developments in positive empirical models of election frauds") recast it as a finite mixture and estimate
it by likelihood, which is the version observers quote (e.g. Mebane & Kalinin for Russia 2011: f_i 0.121,
f_e 0.0032). This module estimates that mixture with EM and scipy, no MCMC:

* a station is clean with probability 1 - f_i - f_e, incrementally falsified with probability f_i, extremely
  falsified with probability f_e;
* clean turnout t and leader's share v: (logit t, logit v) ~ bivariate normal (centres tau, nu, widths
  sigma_tau, sigma_nu, correlation rho). Klimek and Mebane-Kalinin use independent normals on the proportion
  scale; the logit scale respects the (0, 1) bounds and rho lets loyal places vote more without that being
  counted as fraud (rho = 0 is their model);
* fraud of magnitude x moves a share x of the non-voters' ballots to the leader and a share x**alpha of the
  opponents' votes: t' = t + x (1 - t), v' t' = v t + x (1 - t) + x**alpha t (1 - v). Incremental: x ~ |N(0,
  theta)| truncated to (0, 1); extreme: 1 - x ~ |N(0, 0.075)| (Klimek's value, fixed).

Likelihood. For a given x the map (t, v) -> (t', v') is invertible with Jacobian t' / ((1 - x)(1 - x**alpha) t),
so the density of an observed station is the clean density at the inverted point times the Jacobian, integrated
over x by quadrature (40 equally spaced nodes for incremental fraud, 30 log-spaced values of 1 - x down to
0.0005 for extreme fraud). Stations are grouped into cells 0.2 wide on the logit scales of turnout and share
(about 5 points near 50 %, 0.2 points near 99 %, where extreme fraud piles up), each evaluated at the mean of
its stations; this makes each EM step independent of the number of stations. EM treats the component and the
quadrature node as missing data: weights, the clean bivariate normal and theta have closed-form or 1-D updates,
accelerated by SQUAREM; alpha maximises the expected complete-data log-likelihood (1-D search) every third round.

Regions: when the file has regions, each region's logits are first shifted so its lower quartiles match the
national ones (region_centred), so regional differences are not read as fraud.

Intervals: Wald, from the outer product of per-station scores (by default), or percentile bootstrap (stations
resampled, i.e. multinomial cell counts; each replicate warm-started from the estimate). Test of "no fraud":
likelihood ratio of f_i = f_e = 0 against the full model, referred to chi-square with 2 degrees of freedom --
an approximation (the fraud magnitudes are not identified under the null), whose false-alarm rate is measured
in the calibration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit
from scipy.stats import chi2

from plebiscite.forensics.mixture_em import (
    ALPHA_BOUNDS,
    EXTREME_SD,
    FREE,
    MAX_ITER,
    MIN_STATIONS,
    THETA_BOUNDS,
    Cells,
    FloatArray,
    Geometry,
    MixtureParams,
    cell_loglik,
    clean_only,
    e_step,
    run_em,
    starts,
)
from plebiscite.forensics.montecarlo import STREAM_MIXTURE

__all__ = ["MixtureFit", "MixtureParams", "at_bounds", "fit_mixture", "region_centred", "simulate_mixture"]


@dataclass
class MixtureFit:
    """Estimates, bootstrap intervals, the no-fraud likelihood ratio test and implied fraudulent votes."""

    params: MixtureParams
    loglik: float
    loglik_clean: float
    iterations: int
    stations: int
    fraud_votes: float
    leader_votes: float
    station_posterior: FloatArray  # P(incremental or extreme | data) per station
    bootstrap: list[dict[str, float]] = field(default_factory=list)
    free: tuple[str, ...] = FREE
    wald: dict[str, list[float] | None] = field(default_factory=dict)
    region_centred: bool = False
    converged: bool = True

    @property
    def lr(self) -> float:
        if not np.isfinite(self.loglik - self.loglik_clean):
            return float("nan")
        return max(0.0, 2 * (self.loglik - self.loglik_clean))

    @property
    def p_value(self) -> float:
        return float(chi2.sf(self.lr, 2))

    def interval(self, name: str) -> list[float] | None:
        """Bootstrap percentile interval when replicates exist, else the Wald (outer-product) interval."""
        values = [b[name] for b in self.bootstrap if np.isfinite(b[name])]
        if len(values) >= 2:
            return [float(q) for q in np.percentile(values, [2.5, 97.5])]
        return self.wald.get(name)

    def reported(self) -> dict[str, float]:
        """Parameters on the scales observers quote (tau, nu as proportions, as in Mebane-Kalinin)."""
        return _reported(self.params, self.fraud_votes)

    def as_dict(self) -> dict[str, object]:
        values = self.reported()
        return {
            "parameters": {k: round(v, 5) for k, v in values.items()},
            "intervals95": {k: _round_pair(self.interval(k)) for k in values},
            "interval_method": "percentile bootstrap"
            if len(self.bootstrap) >= 2
            else "Wald, outer product of scores",
            "bootstrap_replicates": len(self.bootstrap),
            "region_centred": self.region_centred,
            "parameters_at_search_bounds": at_bounds(self.params) if self.stations >= MIN_STATIONS else [],
            "stations": self.stations,
            "expected_fraudulent_stations": round((self.params.f_i + self.params.f_e) * self.stations, 1),
            "stations_posterior_fraud_over_half": int(np.sum(self.station_posterior > 0.5)),
            "fraudulent_votes_for_leader": round(self.fraud_votes) if np.isfinite(self.fraud_votes) else None,
            "fraudulent_share_of_leader_votes": round(self.fraud_votes / self.leader_votes, 4)
            if self.leader_votes
            else None,
            "loglik": round(self.loglik, 2),
            "loglik_no_fraud": round(self.loglik_clean, 2),
            "lr_statistic": round(self.lr, 3),
            "p_value_no_fraud": self.p_value,
            "em_rounds": self.iterations,
            "converged": self.converged,
            "model": "clean (logit t, logit v) bivariate normal; incremental x ~ |N(0, theta)|, extreme "
            "1 - x ~ |N(0, 0.075)|; x of non-voters and x**alpha of opponents' votes go to the leader",
            "free_parameters": list(self.free),
        }


def _round_pair(pair: list[float] | None) -> list[float] | None:
    return [round(v, 5) for v in pair] if pair else None


def _reported(p: MixtureParams, fraud_votes: float) -> dict[str, float]:
    return asdict(p) | {
        "tau": float(expit(p.tau)),
        "nu": float(expit(p.nu)),
        "fraudulent_votes": fraud_votes,
    }


def _fraud_votes(cells: Cells, p: MixtureParams, registered: NDArray[np.float64]) -> tuple[float, FloatArray]:
    """Expected leader votes added by fraud (sum over stations) and each station's fraud probability."""
    geo = Geometry(cells, p.alpha)
    _, resp = e_step(cells, geo, p)
    post = resp / cells.n[geo.cell]
    per_cell_share = np.bincount(geo.cell, weights=post * geo.added, minlength=len(cells.n))
    clean_post = np.bincount(geo.cell, weights=np.where(geo.node == 0, post, 0.0), minlength=len(cells.n))
    return float(per_cell_share[cells.index] @ registered), np.asarray(
        1 - clean_post[cells.index], dtype=np.float64
    )


def region_centred(
    turnout: FloatArray, share: FloatArray, regions: NDArray[np.int64], min_group: int = 30, q: float = 25
) -> tuple[FloatArray, FloatArray]:
    """Shift each region's logits so its lower quartiles match the national ones (regional fixed effects).

    Lower quartiles, because fraud pushes turnout and share up and the lower part of a region's distribution is
    the least affected (the same reasoning as Klimek's left-side widths). Regions under `min_group` stations
    are not shifted.
    """
    lt = logit(np.clip(turnout, 0.005, 0.995))
    lv = logit(np.clip(share, 0.005, 0.995))
    nat_t, nat_v = np.percentile(lt, q), np.percentile(lv, q)
    out_t, out_v = lt.copy(), lv.copy()
    for r in np.unique(regions):
        sel = regions == r
        if sel.sum() >= min_group:
            out_t[sel] += nat_t - np.percentile(lt[sel], q)
            out_v[sel] += nat_v - np.percentile(lv[sel], q)
    return expit(out_t), expit(out_v)


_STEPS = {"f_i": 1e-4, "f_e": 1e-5, "tau": 1e-4, "sigma_tau": 1e-4, "nu": 1e-4, "sigma_nu": 1e-4, "rho": 1e-4,
          "theta": 1e-4, "alpha": 1e-3}  # fmt: skip


def at_bounds(p: MixtureParams) -> list[str]:
    """Shape parameters that ended on the edge of their search range (their estimate is only a limit)."""
    out = []
    if not THETA_BOUNDS[0] * 1.001 < p.theta < THETA_BOUNDS[1] * 0.999:
        out.append("theta")
    if not ALPHA_BOUNDS[0] * 1.001 < p.alpha < ALPHA_BOUNDS[1] * 0.999:
        out.append("alpha")
    return out


def _opg_intervals(cells: Cells, p: MixtureParams, free: tuple[str, ...]) -> dict[str, list[float] | None]:
    """Wald intervals from the outer product of per-station scores (finite differences of per-cell
    log-densities). f_i, f_e, theta and the widths use the log scale, so their intervals stay positive."""
    names = [n for n in ("f_i", "f_e", "tau", "sigma_tau", "nu", "sigma_nu", "rho", "theta", "alpha")
             if n in free or n in ("tau", "sigma_tau", "nu", "sigma_nu")]  # fmt: skip
    # parameters on the boundary (a fraud type estimated absent) have no Wald interval; the LR test covers them
    if p.f_i < 1e-6:
        names = [n for n in names if n not in ("f_i", "theta")]
    if p.f_e < 1e-6:
        names = [n for n in names if n != "f_e"]
    if p.f_i + p.f_e < 1e-6:
        names = [n for n in names if n != "alpha"]
    names = [n for n in names if n not in at_bounds(p)]  # a Wald interval means nothing at a search bound
    log_scale = {"f_i", "f_e", "theta", "sigma_tau", "sigma_nu", "alpha"}
    scores = []
    for name in names:
        value = getattr(p, name)
        h = _STEPS[name]
        if name in log_scale:
            up, down = value * np.exp(h), value * np.exp(-h)
        else:
            up, down = value + h, value - h
        ll_up = cell_loglik(Geometry(cells, up if name == "alpha" else p.alpha), replace(p, **{name: up}))[0]
        ll_dn = cell_loglik(
            Geometry(cells, down if name == "alpha" else p.alpha), replace(p, **{name: down})
        )[0]
        scores.append((ll_up - ll_dn) / (2 * h))
    out: dict[str, list[float] | None] = {}
    if not names:
        return out
    s = np.array(scores)  # [param, cell]
    info = (s * cells.n) @ s.T
    cov = np.linalg.pinv(info)
    for k, name in enumerate(names):
        se = float(np.sqrt(max(cov[k, k], 0.0)))
        value = getattr(p, name)
        if name in log_scale:
            lo, hi = value * np.exp(-1.959964 * min(se, 50.0)), value * np.exp(1.959964 * min(se, 50.0))
        else:
            lo, hi = value - 1.959964 * se, value + 1.959964 * se
        if name in ("tau", "nu"):
            lo, hi = float(expit(lo)), float(expit(hi))
        out[name] = [float(lo), float(hi)]
    return out


def fit_mixture(
    turnout: FloatArray,
    share: FloatArray,
    registered: NDArray[np.int64] | FloatArray,
    regions: NDArray[np.int64] | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 1,
    free: tuple[str, ...] = FREE,
    max_rounds: int = MAX_ITER,
    progress: Callable[[float], None] | None = None,
) -> MixtureFit:
    """Maximum-likelihood fit (best of two starts), LR test against no fraud, intervals.

    Intervals: Wald from the outer product of scores (always), and percentile bootstrap when `bootstrap` > 0
    (stations resampled; each replicate warm-started from the estimate). With `regions`, stations are first
    centred by region (region_centred).
    """
    turnout = np.clip(np.asarray(turnout, dtype=np.float64), 0, 1)
    share = np.clip(np.asarray(share, dtype=np.float64), 0, 1)
    registered = np.asarray(registered, dtype=np.float64)
    if len(turnout) < MIN_STATIONS:  # a mixture of three kinds needs more stations than this to say anything
        nan = float("nan")
        empty = MixtureParams(nan, nan, nan, nan, nan, nan, nan, nan, nan)
        out = MixtureFit(empty, nan, nan, 0, len(turnout), nan, nan, np.full(len(turnout), np.nan))
        out.converged = False
        return out
    if regions is not None:
        turnout, share = region_centred(turnout, share, regions)
    cells = Cells.from_stations(turnout, share)
    # every start runs 6 rounds; only the best continues to convergence (the likelihood ranks them early)
    trials = [run_em(cells, start, free=free, max_iter=6) for start in starts(cells, free)]
    lead = max(trials, key=lambda trial: trial[1])
    params, loglik, more = run_em(cells, lead[0], free=free, max_iter=max_rounds, tol=1e-8)
    iterations = lead[2] + more
    if progress:
        progress(0.5)
    _, loglik_clean = clean_only(cells, free)
    votes, posterior = _fraud_votes(cells, params, registered)
    leader_votes = float(np.sum(turnout * share * registered))
    result = MixtureFit(
        params, loglik, loglik_clean, iterations, len(turnout), votes, leader_votes, posterior
    )
    result.free = free
    result.wald = _opg_intervals(cells, params, free)
    result.region_centred = regions is not None
    result.converged = more < max_rounds
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_MIXTURE]))
    mean_reg = np.bincount(cells.index, weights=registered, minlength=len(cells.n)) / cells.n
    for b in range(bootstrap):
        counts = rng.multinomial(int(cells.n.sum()), cells.n / cells.n.sum()).astype(np.float64)
        keep = counts > 0
        rep = Cells(cells.t[keep], cells.v[keep], counts[keep], np.zeros(0, dtype=np.int64))
        rep_params, _, _ = run_em(rep, params, free=free, max_iter=30, tol=1e-6)
        geo = Geometry(rep, rep_params.alpha)
        _, resp = e_step(rep, geo, rep_params)
        rep_votes = float(
            np.bincount(geo.cell, weights=resp * geo.added, minlength=len(rep.n)) @ mean_reg[keep]
        )
        result.bootstrap.append(_reported(rep_params, rep_votes))
        if progress:
            progress(0.5 + 0.5 * (b + 1) / bootstrap)
    return result


def simulate_mixture(
    params: MixtureParams, stations: int, seed: int = 0
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Draw (turnout, share, kind) from the model itself (kind 0 clean, 1 incremental, 2 extreme): the known
    answer the estimator is tested against."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_MIXTURE, 1]))
    cov = [
        [params.sigma_tau**2, params.rho * params.sigma_tau * params.sigma_nu],
        [params.rho * params.sigma_tau * params.sigma_nu, params.sigma_nu**2],
    ]
    z = rng.multivariate_normal([params.tau, params.nu], cov, size=stations)
    t, v = expit(z[:, 0]), expit(z[:, 1])
    u = rng.random(stations)
    kind = np.where(u < params.f_e, 2, np.where(u < params.f_e + params.f_i, 1, 0))
    x = np.zeros(stations)
    inc = kind == 1
    while True:  # |N(0, theta)| truncated to (0, 1) by rejection
        draw = np.abs(rng.normal(0, params.theta, inc.sum()))
        x[inc] = draw
        inc = inc & (x >= 1)
        if not inc.any():
            break
    ext = kind == 2
    x[ext] = 1 - np.minimum(np.abs(rng.normal(0, EXTREME_SD, ext.sum())), 0.3)
    xa = x**params.alpha
    t_new = t + x * (1 - t)
    share = (v * t + x * (1 - t) + xa * t * (1 - v)) / t_new
    return t_new, share, kind
