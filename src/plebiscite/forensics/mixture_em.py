"""Likelihood and EM of the fraud mixture (mixture.py explains the model): cells, quadrature, E- and M-steps.

Split from mixture.py so that the numerical core -- which pairs of (cell, quadrature node) exist, their densities,
the closed-form and 1-D updates, the SQUAREM acceleration -- reads on its own, and the estimation interface
(intervals, test, reporting) on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

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
class Cells:
    """Occupied (turnout, share) cells: centres and station counts."""

    t: FloatArray
    v: FloatArray
    n: FloatArray
    index: NDArray[np.int64]  # cell of every station, for per-station posteriors

    @classmethod
    def from_stations(cls, turnout: FloatArray, share: FloatArray) -> Cells:
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


class Geometry:
    """For one alpha: every valid (cell, node) pair with the implied clean logits and the log Jacobians.

    Only pairs whose implied clean point lies inside (0, 1)^2 are kept (about a third of them), flattened and
    sorted by cell, so the E-step is a handful of vector operations and a bincount.
    """

    def __init__(self, cells: Cells, alpha: float) -> None:
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


def cell_loglik(geo: Geometry, p: MixtureParams) -> tuple[FloatArray, FloatArray]:
    """(log density of each cell, joint log density of each pair)."""
    joint = _bvn_logpdf(geo.lt, geo.lv, p) + geo.base + _log_prior(p)[geo.node]
    top = np.full(geo.n_cells, -np.inf)
    np.maximum.at(top, geo.cell, joint)
    total = np.bincount(geo.cell, weights=np.exp(joint - top[geo.cell]), minlength=geo.n_cells)
    return top + np.log(total), joint


def e_step(cells: Cells, geo: Geometry, p: MixtureParams) -> tuple[float, FloatArray]:
    """Log-likelihood and the expected number of stations in every pair."""
    per_cell, joint = cell_loglik(geo, p)
    resp = np.exp(joint - per_cell[geo.cell]) * cells.n[geo.cell]
    return float(cells.n @ per_cell), resp


def _q_alpha(cells: Cells, p: MixtureParams, resp: FloatArray, geo: Geometry, alpha: float) -> float:
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
    cells: Cells, geo: Geometry, p: MixtureParams, resp: FloatArray, free: tuple[str, ...]
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


def _update_alpha(cells: Cells, p: MixtureParams, resp: FloatArray, geo: Geometry) -> float:
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
    cells: Cells, geo: Geometry, p: MixtureParams, free: tuple[str, ...]
) -> tuple[MixtureParams, float]:
    """One EM update M(p) (alpha fixed) and the log-likelihood at p."""
    ll, resp = e_step(cells, geo, p)
    return _m_step(cells, geo, p, resp, free), ll


def run_em(
    cells: Cells,
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
    geo = Geometry(cells, p.alpha)
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
                ll_jump = e_step(cells, geo, stabilised)[0]
                ll_plain = e_step(cells, geo, p2)[0]
                if np.isfinite(ll_jump) and ll_jump >= ll_plain:
                    candidate = stabilised
        p = candidate
        ll, resp = e_step(cells, geo, p)
        if "alpha" in free and it % ALPHA_EVERY == 0 and p.f_i + p.f_e > 1e-6:
            alpha = _update_alpha(cells, p, resp, geo)
            if abs(alpha - p.alpha) > 1e-4:
                p = replace(p, alpha=alpha)
                geo = Geometry(cells, alpha)
                ll, resp = e_step(cells, geo, p)
        if abs(ll - ll_old) < tol * total and abs(ll - ll0) < tol * total:
            return p, ll, it
        ll_old = ll
    return p, ll_old, max_iter


def clean_only(cells: Cells, free: tuple[str, ...]) -> tuple[MixtureParams, float]:
    """Maximum likelihood with no fraud: the weighted bivariate normal of the logits (closed form)."""
    lt, lv = logit(cells.t), logit(cells.v)
    w = cells.n / cells.n.sum()
    tau, nu = float(w @ lt), float(w @ lv)
    s_t = float(np.sqrt(w @ (lt - tau) ** 2))
    s_v = float(np.sqrt(w @ (lv - nu) ** 2))
    rho = float(np.clip(w @ ((lt - tau) * (lv - nu)) / (s_t * s_v), -0.95, 0.95)) if "rho" in free else 0.0
    p = MixtureParams(0.0, 0.0, tau, s_t, nu, s_v, rho, 0.3, 2.0)
    return p, e_step(cells, Geometry(cells, p.alpha), p)[0]


def starts(cells: Cells, free: tuple[str, ...]) -> list[MixtureParams]:
    """Starting points: the clean part from the lower (less manipulable) half of the cells, two fraud levels."""
    clean, _ = clean_only(cells, free)
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
