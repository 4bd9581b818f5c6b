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
0.0005 for extreme fraud). Stations are grouped into cells 0.1 wide on the logit scales of turnout and share
(about 2 points near 50 %, 0.01 points near 100 %, where extreme fraud piles up), each evaluated at the mean of
its stations; this makes each EM step independent of the number of stations. EM treats the component and the
quadrature node as missing data: weights, the clean bivariate normal and theta have closed-form or 1-D updates,
accelerated by SQUAREM; alpha maximises the expected complete-data log-likelihood (1-D search) every third round.

Intervals: percentile bootstrap (stations resampled, i.e. multinomial cell counts; each replicate warm-started
from the estimate). Test of "no fraud": likelihood ratio of f_i = f_e = 0 against the full model, referred to
chi-square with 2 degrees of freedom -- an approximation (the fraud magnitudes are not identified under the
null), whose false-alarm rate is measured in the calibration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit
from scipy.stats import chi2

from plebiscite.forensics.montecarlo import STREAM_MIXTURE

FloatArray = NDArray[np.float64]
EXTREME_SD = 0.075
LOGIT_CELL = 0.2  # cell width on the logit scale of turnout and share
LOGIT_MAX = 7.6  # proportions are clipped to (0.0005, 0.9995)
_INC_NODES = (np.arange(40) + 0.5) / 40  # x in (0, 1), equal spacing
_EXT_U = np.geomspace(5e-4, 0.3, 30)  # 1 - x, log spacing: extreme fraud piles up just below 100 %
_EPS = 1e-9
ALPHA_BOUNDS = (0.5, 6.0)
THETA_BOUNDS = (0.01, 2.0)


@dataclass(frozen=True)
class MixtureParams:
    f_i: float
    f_e: float
    tau: float  # clean turnout centre, logit scale
    sigma_tau: float
    nu: float  # clean leader-share centre, logit scale
    sigma_nu: float
    rho: float
    theta: float
    alpha: float


@dataclass
class _Cells:
    """Occupied (turnout, share) cells: centres and station counts."""

    t: FloatArray
    v: FloatArray
    n: FloatArray
    index: NDArray[np.int64]  # cell of every station, for per-station posteriors

    @classmethod
    def from_stations(cls, turnout: FloatArray, share: FloatArray) -> _Cells:
        """Cells of equal width on the logit scale (fine near 0 % and 100 %, where fraud piles up), each
        evaluated at the mean of its stations."""
        lim = expit(LOGIT_MAX)
        t = np.clip(turnout, 1 - lim, lim)
        v = np.clip(share, 1 - lim, lim)
        per_axis = int(np.ceil(2 * LOGIT_MAX / LOGIT_CELL)) + 1
        ti = np.floor((logit(t) + LOGIT_MAX) / LOGIT_CELL).astype(np.int64)
        si = np.floor((logit(v) + LOGIT_MAX) / LOGIT_CELL).astype(np.int64)
        _, index, counts = np.unique(ti * per_axis + si, return_inverse=True, return_counts=True)
        index = index.astype(np.int64)
        n = counts.astype(np.float64)
        return cls(
            t=np.bincount(index, weights=t) / n,
            v=np.bincount(index, weights=v) / n,
            n=n,
            index=index,
        )


def _half_normal_weights(values: FloatArray, sd: float) -> FloatArray:
    w = np.exp(-0.5 * (values / sd) ** 2)
    return w / w.sum()


_EXT_WEIGHTS = _half_normal_weights(_EXT_U, EXTREME_SD) * _EXT_U  # du is proportional to u on a log grid
_EXT_WEIGHTS /= _EXT_WEIGHTS.sum()
_X = np.concatenate([_INC_NODES, 1 - _EXT_U])  # fraud magnitudes of all fraud nodes


class _Geometry:
    """For one alpha: every valid (cell, node) pair with the implied clean logits and the log Jacobians.

    Only pairs whose implied clean point lies inside (0, 1)^2 are kept (about a third of them), flattened and
    sorted by cell, so the E-step is a handful of vector operations and a bincount.
    """

    def __init__(self, cells: _Cells, alpha: float) -> None:
        self.alpha = alpha
        t1, v1 = cells.t[:, None], cells.v[:, None]
        x = _X[None, :]
        xa = x**alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (t1 - x) / (1 - x)
            v = (v1 * t1 - x * (1 - t) - xa * t) / (t * (1 - xa))
        ok = (t > _EPS) & (t < 1 - _EPS) & (v > _EPS) & (v < 1 - _EPS)
        cell, node = np.nonzero(ok)
        t, v = t[cell, node], v[cell, node]
        xs, xas, tc = _X[node], _X[node] ** alpha, cells.t[cell]
        # clean cells are node 0; fraud nodes are 1..len(_X)
        self.cell = np.concatenate([np.arange(len(cells.t)), cell])
        self.node = np.concatenate([np.zeros(len(cells.t), dtype=np.int64), node + 1])
        t_all = np.concatenate([cells.t, t])
        v_all = np.concatenate([cells.v, v])
        self.lt, self.lv = logit(t_all), logit(v_all)
        fraud_jac = np.log(tc) - np.log1p(-xs) - np.log1p(-xas) - np.log(t)
        self.base = -np.log(t_all * (1 - t_all)) - np.log(v_all * (1 - v_all))
        self.base[len(cells.t) :] += fraud_jac
        self.added = np.concatenate([np.zeros(len(cells.t)), cells.t[cell] * cells.v[cell] - t * v])
        self.n_cells = len(cells.t)


def _bvn_logpdf(a: FloatArray, b: FloatArray, p: MixtureParams) -> FloatArray:
    za = (a - p.tau) / p.sigma_tau
    zb = (b - p.nu) / p.sigma_nu
    one = 1 - p.rho**2
    return -np.log(2 * np.pi * p.sigma_tau * p.sigma_nu * np.sqrt(one)) - (
        za * za - 2 * p.rho * za * zb + zb * zb
    ) / (2 * one)


def _log_prior(p: MixtureParams) -> FloatArray:
    inc = _half_normal_weights(_INC_NODES, p.theta)
    f0 = max(1 - p.f_i - p.f_e, 1e-300)
    with np.errstate(divide="ignore"):  # nodes a narrow theta gives no weight: log 0 = -inf, probability 0
        return np.log(np.concatenate([[f0], max(p.f_i, 1e-300) * inc, max(p.f_e, 1e-300) * _EXT_WEIGHTS]))


def _cell_loglik(geo: _Geometry, p: MixtureParams) -> tuple[FloatArray, FloatArray]:
    """(log density of each cell, joint log density of each pair)."""
    joint = _bvn_logpdf(geo.lt, geo.lv, p) + geo.base + _log_prior(p)[geo.node]
    top = np.full(geo.n_cells, -np.inf)
    np.maximum.at(top, geo.cell, joint)
    total = np.bincount(geo.cell, weights=np.exp(joint - top[geo.cell]), minlength=geo.n_cells)
    return top + np.log(total), joint


def _e_step(cells: _Cells, geo: _Geometry, p: MixtureParams) -> tuple[float, FloatArray]:
    """Log-likelihood and the expected number of stations in every pair."""
    per_cell, joint = _cell_loglik(geo, p)
    resp = np.exp(joint - per_cell[geo.cell]) * cells.n[geo.cell]
    return float(cells.n @ per_cell), resp


def _q_alpha(cells: _Cells, p: MixtureParams, resp: FloatArray, geo: _Geometry, alpha: float) -> float:
    """Expected complete-data log-likelihood of the fraud pairs as a function of alpha (others fixed).

    Only pairs with posterior mass count; the implied clean turnout does not depend on alpha, so only the
    implied share and the Jacobian are recomputed. A pair with mass that becomes impossible gives minus infinity.
    """
    sel = (geo.node > 0) & (resp > 1e-5)  # pairs holding less than 1e-5 of a station do not move alpha
    cell, x = geo.cell[sel], _X[geo.node[sel] - 1]
    t1, v1 = cells.t[cell], cells.v[cell]
    t = expit(geo.lt[sel])
    xa = x**alpha
    v = (v1 * t1 - x * (1 - t) - xa * t) / (t * (1 - xa))
    bad = (v <= _EPS) | (v >= 1 - _EPS)
    if resp[sel][bad].sum() > 1e-6 * resp[sel].sum():
        return -np.inf
    sel[np.flatnonzero(sel)[bad]] = False
    cell, x, t, xa, v = cell[~bad], x[~bad], t[~bad], xa[~bad], v[~bad]
    lv = logit(v)
    dens = (
        _bvn_logpdf(geo.lt[sel], lv, p)
        - np.log(v * (1 - v))
        - np.log1p(-xa)  # the alpha-dependent part of the Jacobian; the rest is constant in alpha
    )
    return float(resp[sel] @ dens)


def _m_step(
    cells: _Cells, geo: _Geometry, p: MixtureParams, resp: FloatArray, free: tuple[str, ...]
) -> MixtureParams:
    total = resp.sum()
    node_mass = np.bincount(geo.node, weights=resp, minlength=len(_X) + 1)
    n_inc = len(_INC_NODES)
    r_inc, r_ext = node_mass[1 : 1 + n_inc].sum(), node_mass[1 + n_inc :].sum()
    f_i = r_inc / total if "f_i" in free else p.f_i
    f_e = r_ext / total if "f_e" in free else p.f_e
    if "f_i" not in free and "f_e" in free:
        f_e = (1 - p.f_i) * r_ext / max(total - r_inc, _EPS)
    if "f_e" not in free and "f_i" in free:
        f_i = (1 - p.f_e) * r_inc / max(total - r_ext, _EPS)
    tau = float(resp @ geo.lt / total)
    nu = float(resp @ geo.lv / total)
    dt, dv = geo.lt - tau, geo.lv - nu
    s_t = float(np.sqrt(resp @ (dt * dt) / total))
    s_v = float(np.sqrt(resp @ (dv * dv) / total))
    rho = float(np.clip(resp @ (dt * dv) / total / (s_t * s_v), -0.95, 0.95)) if "rho" in free else 0.0
    theta = p.theta
    inc_mass = node_mass[1 : 1 + n_inc]
    if "theta" in free and inc_mass.sum() > 1e-6 * total:
        res = minimize_scalar(
            lambda th: -float(inc_mass @ np.log(_half_normal_weights(_INC_NODES, th) + 1e-300)),
            bounds=THETA_BOUNDS,
            method="bounded",
            options={"xatol": 1e-4},
        )
        theta = float(res.x)
    return MixtureParams(f_i, f_e, tau, max(s_t, 1e-3), nu, max(s_v, 1e-3), rho, theta, p.alpha)


def _update_alpha(cells: _Cells, p: MixtureParams, resp: FloatArray, geo: _Geometry) -> float:
    """Maximise Q(alpha) (bounded 1-D search); Q only touches the pairs holding posterior mass, so it is cheap."""
    res = minimize_scalar(
        lambda a: (
            -_q_alpha(cells, p, resp, geo, a) if np.isfinite(_q_alpha(cells, p, resp, geo, a)) else 1e300
        ),
        bounds=ALPHA_BOUNDS,
        method="bounded",
        options={"xatol": 1e-2},
    )
    q_new, q_old = _q_alpha(cells, p, resp, geo, float(res.x)), _q_alpha(cells, p, resp, geo, p.alpha)
    return float(res.x) if q_new >= q_old else p.alpha


FREE = ("f_i", "f_e", "rho", "theta", "alpha")
ALPHA_EVERY = 3
MIN_STATIONS = 50
MAX_ITER = 25  # SQUAREM rounds in the report: a time budget; `converged` says whether it sufficed


def _to_vector(p: MixtureParams) -> FloatArray:
    """Unconstrained coordinates of everything but alpha (log-ratios, logs, atanh), for extrapolation."""
    f0 = max(1 - p.f_i - p.f_e, 1e-12)
    return np.array([
        np.log(max(p.f_i, 1e-12) / f0), np.log(max(p.f_e, 1e-12) / f0), p.tau, np.log(p.sigma_tau),
        p.nu, np.log(p.sigma_nu), np.arctanh(p.rho), np.log(p.theta),
    ])  # fmt: skip


def _from_vector(x: FloatArray, alpha: float) -> MixtureParams:
    x = np.clip(x, -40, 40)
    denom = 1 + np.exp(x[0]) + np.exp(x[1])
    theta = float(np.clip(np.exp(x[7]), *THETA_BOUNDS))
    return MixtureParams(
        float(np.exp(x[0]) / denom), float(np.exp(x[1]) / denom), float(x[2]), float(np.exp(x[3])),
        float(x[4]), float(np.exp(x[5])), float(np.tanh(x[6])), theta, alpha,
    )  # fmt: skip


def _em_map(
    cells: _Cells, geo: _Geometry, p: MixtureParams, free: tuple[str, ...]
) -> tuple[MixtureParams, float]:
    """One EM update M(p) (alpha fixed) and the log-likelihood at p."""
    ll, resp = _e_step(cells, geo, p)
    return _m_step(cells, geo, p, resp, free), ll


def _em(
    cells: _Cells,
    start: MixtureParams,
    *,
    free: tuple[str, ...] = FREE,
    max_iter: int = 500,
    tol: float = 1e-7,
) -> tuple[MixtureParams, float, int]:
    """EM accelerated by SQUAREM (Varadhan & Roland 2008) on everything but alpha; alpha maximises the expected
    complete-data log-likelihood every ALPHA_EVERY rounds. A round costs three E-steps; an extrapolated
    point is kept only if it does not lower the likelihood, so the sequence stays monotone like plain EM."""
    p = start
    geo = _Geometry(cells, p.alpha)
    total = cells.n.sum()
    ll_old = -np.inf
    for it in range(1, max_iter + 1):
        p1, ll0 = _em_map(cells, geo, p, free)
        p2, _ = _em_map(cells, geo, p1, free)
        x0, x1, x2 = _to_vector(p), _to_vector(p1), _to_vector(p2)
        r, v = x1 - x0, x2 - 2 * x1 + x0
        candidate = p2
        if np.linalg.norm(v) > 0:
            a = -np.linalg.norm(r) / np.linalg.norm(v)
            if a < -1:
                jump = _from_vector(x0 - 2 * a * r + a * a * v, p.alpha)
                stabilised, _ = _em_map(cells, geo, jump, free)
                ll_jump = _e_step(cells, geo, stabilised)[0]
                ll_plain = _e_step(cells, geo, p2)[0]
                if np.isfinite(ll_jump) and ll_jump >= ll_plain:
                    candidate = stabilised
        p = candidate
        ll, resp = _e_step(cells, geo, p)
        if "alpha" in free and it % ALPHA_EVERY == 0 and p.f_i + p.f_e > 1e-6:
            alpha = _update_alpha(cells, p, resp, geo)
            if abs(alpha - p.alpha) > 1e-4:
                p = replace(p, alpha=alpha)
                geo = _Geometry(cells, alpha)
                ll, resp = _e_step(cells, geo, p)
        if abs(ll - ll_old) < tol * total and abs(ll - ll0) < tol * total:
            return p, ll, it
        ll_old = ll
    return p, ll_old, max_iter


def _clean_only(cells: _Cells, free: tuple[str, ...]) -> tuple[MixtureParams, float]:
    """Maximum likelihood with no fraud: the weighted bivariate normal of the logits (closed form)."""
    lt, lv = logit(cells.t), logit(cells.v)
    w = cells.n / cells.n.sum()
    tau, nu = float(w @ lt), float(w @ lv)
    s_t = float(np.sqrt(w @ (lt - tau) ** 2))
    s_v = float(np.sqrt(w @ (lv - nu) ** 2))
    rho = float(np.clip(w @ ((lt - tau) * (lv - nu)) / (s_t * s_v), -0.95, 0.95)) if "rho" in free else 0.0
    p = MixtureParams(0.0, 0.0, tau, s_t, nu, s_v, rho, 0.3, 2.0)
    return p, _e_step(cells, _Geometry(cells, p.alpha), p)[0]


def _starts(cells: _Cells, free: tuple[str, ...]) -> list[MixtureParams]:
    """Starting points: the clean part from the lower (less manipulable) half of the cells, two fraud levels."""
    clean, _ = _clean_only(cells, free)
    lt, lv = logit(cells.t), logit(cells.v)
    w = cells.n
    med_t = float(np.average(lt, weights=w))
    med_v = float(np.average(lv, weights=w))
    low_t, low_v = lt <= med_t, lv <= med_v
    s_t = float(np.sqrt(np.average((lt[low_t] - med_t) ** 2, weights=w[low_t]))) if low_t.any() else 0.5
    s_v = float(np.sqrt(np.average((lv[low_v] - med_v) ** 2, weights=w[low_v]))) if low_v.any() else 0.5
    base = replace(clean, sigma_tau=max(s_t, 0.05), sigma_nu=max(s_v, 0.05), theta=0.3, alpha=2.0)
    return [
        replace(base, f_i=f_i, f_e=f_e, alpha=a) for f_i, f_e, a in ((0.05, 0.005, 2.0), (0.3, 0.02, 5.0))
    ]


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


def _fraud_votes(
    cells: _Cells, p: MixtureParams, registered: NDArray[np.float64]
) -> tuple[float, FloatArray]:
    """Expected leader votes added by fraud (sum over stations) and each station's fraud probability."""
    geo = _Geometry(cells, p.alpha)
    _, resp = _e_step(cells, geo, p)
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


def _opg_intervals(cells: _Cells, p: MixtureParams, free: tuple[str, ...]) -> dict[str, list[float] | None]:
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
        ll_up = _cell_loglik(_Geometry(cells, up if name == "alpha" else p.alpha), replace(p, **{name: up}))[
            0
        ]
        ll_dn = _cell_loglik(
            _Geometry(cells, down if name == "alpha" else p.alpha), replace(p, **{name: down})
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
    cells = _Cells.from_stations(turnout, share)
    # every start runs 6 rounds; only the best continues to convergence (the likelihood ranks them early)
    trials = [_em(cells, start, free=free, max_iter=6) for start in _starts(cells, free)]
    lead = max(trials, key=lambda trial: trial[1])
    params, loglik, more = _em(cells, lead[0], free=free, max_iter=max_rounds, tol=1e-8)
    iterations = lead[2] + more
    if progress:
        progress(0.5)
    _, loglik_clean = _clean_only(cells, free)
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
        rep = _Cells(cells.t[keep], cells.v[keep], counts[keep], np.zeros(0, dtype=np.int64))
        rep_params, _, _ = _em(rep, params, free=free, max_iter=30, tol=1e-6)
        geo = _Geometry(rep, rep_params.alpha)
        _, resp = _e_step(rep, geo, rep_params)
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
