"""Turnout x vote-share fingerprint and the fraud model of Klimek, Yegorov, Hanel & Thurner (PNAS 2012).

Why: ballot stuffing raises turnout and the leader's share together, so a stuffed station moves up and to the
right of the main cloud; "extreme" fabrication parks stations near 100 % / 100 %. The model makes that concrete:

* fair part: turnout ~ N(t0, s_t), leader share ~ N(v0, s_v), independent, truncated to (0, 1); t0, v0 are the
  modes of the observed distributions, s_t, s_v the half-normal widths of their left (less manipulable) sides;
* incremental fraud, with probability f_i per station: a fraction x ~ |N(0, theta)| of non-voters' ballots is
  added for the leader and a fraction x**alpha of opponents' votes is moved to the leader;
* extreme fraud, with probability f_e: the same with x = 1 - |N(0, 0.075)| (nearly everything).

f_i and f_e are fitted by simulating every station's clean, incremental and extreme versions and minimising a
chi-square distance between the observed 2-D fingerprint (50 x 50 bins of 2 %) and the expected model
fingerprint, which is linear in (f_i, f_e). theta and alpha are chosen on a small grid; bootstrap intervals
resample stations and redraw the simulation with theta and alpha held at their full-data values (so the
intervals are conditional on them). The authors' own fit used the 1-D histogram of the leader's share with the
criterion sum(((sim - obs) / (obs + 1))**2); `objective="share"` reproduces that variant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from plebiscite.forensics.montecarlo import STREAM_KLIMEK, chunked_runs

FloatArray = NDArray[np.float64]
EXTREME_SD = 0.075
THETA_GRID = (0.2, 0.3, 0.4, 0.5, 0.6)
ALPHA_GRID = (1.0, 2.0)
FE_MAX = 0.2
FINGERPRINT_BINS = 50


@dataclass(frozen=True)
class FairModel:
    turnout_peak: float
    turnout_sd: float
    share_peak: float
    share_sd: float


def smoothed_mode(x: FloatArray, upper: float = 0.95, step: float = 0.005, bandwidth: float = 0.01) -> float:
    """Mode of a Gaussian-smoothed histogram, ignoring values above `upper` (the 100 % pile-up)."""
    edges = np.arange(0.0, upper + step / 2, step)
    counts, _ = np.histogram(x[x < upper], bins=edges)
    offsets = np.arange(-4 * bandwidth, 4 * bandwidth + step / 2, step)
    kernel = np.exp(-0.5 * (offsets / bandwidth) ** 2)
    smooth = np.convolve(counts, kernel / kernel.sum(), mode="same")
    return float(edges[np.argmax(smooth)] + step / 2)


def _left_width(x: FloatArray, peak: float) -> float:
    left = x[x < peak]
    return float(np.sqrt(np.mean((left - peak) ** 2))) if left.size > 1 else float(np.std(x) or 0.05)


def estimate_fair_model(turnout: FloatArray, share: FloatArray) -> FairModel:
    """Peaks and left-side widths: the left sides are least affected by fraud, which only pushes values up."""
    t0 = smoothed_mode(turnout)
    v0 = smoothed_mode(share)
    return FairModel(t0, max(_left_width(turnout, t0), 1e-3), v0, max(_left_width(share, v0), 1e-3))


@dataclass
class Draws:
    """Uniform random numbers reused for every parameter value (common random numbers)."""

    u_turnout: FloatArray
    u_share: FloatArray
    u_incremental: FloatArray
    u_extreme: FloatArray
    u_assign: FloatArray

    @classmethod
    def new(cls, rng: np.random.Generator, n: int) -> Draws:
        u = rng.random((5, n))
        return cls(u[0], u[1], u[2], u[3], u[4])


def _truncated_normal(u: FloatArray, mu: float, sd: float) -> FloatArray:
    a, b = ndtr((0.0 - mu) / sd), ndtr((1.0 - mu) / sd)
    return np.clip(mu + sd * ndtri(a + u * (b - a)), 1e-9, 1 - 1e-9)


def _half_normal_below_one(u: FloatArray, sd: float) -> FloatArray:
    return np.clip(sd * ndtri(0.5 + u * (ndtr(1.0 / sd) - 0.5)), 0.0, 1 - 1e-9)


def _apply_fraud(t: FloatArray, v: FloatArray, x: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    t_new = t + x * (1 - t)
    leader = t * v + x * (1 - t) + x**alpha * t * (1 - v)
    return t_new, leader / t_new


class ModelVersions:
    """(turnout, share) of every station if it were clean, incrementally or extremely falsified.

    The clean values and the extreme magnitudes do not depend on theta, and the incremental magnitudes not on
    alpha, so they are computed once per set of draws and reused across the (theta, alpha) grid.
    """

    def __init__(self, fair: FairModel, draws: Draws) -> None:
        self.draws = draws
        self.t = _truncated_normal(draws.u_turnout, fair.turnout_peak, fair.turnout_sd)
        self.v = _truncated_normal(draws.u_share, fair.share_peak, fair.share_sd)
        self.x_ext = 1 - _half_normal_below_one(draws.u_extreme, EXTREME_SD)
        self._x_inc: dict[float, FloatArray] = {}

    def get(self, theta: float, alpha: float) -> dict[str, tuple[FloatArray, FloatArray]]:
        if theta not in self._x_inc:
            self._x_inc[theta] = _half_normal_below_one(self.draws.u_incremental, theta)
        return {
            "clean": (self.t, self.v),
            "incremental": _apply_fraud(self.t, self.v, self._x_inc[theta], alpha),
            "extreme": _apply_fraud(self.t, self.v, self.x_ext, alpha),
        }


def simulate_model(
    fair: FairModel, draws: Draws, f_i: float, f_e: float, theta: float, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """One realisation of the model: extreme if u < f_e, incremental if u < f_e + f_i, otherwise clean."""
    versions = ModelVersions(fair, draws).get(theta, alpha)
    kind = np.where(draws.u_assign < f_e, 2, np.where(draws.u_assign < f_e + f_i, 1, 0))
    t = np.choose(kind, [versions[k][0] for k in ("clean", "incremental", "extreme")])
    v = np.choose(kind, [versions[k][1] for k in ("clean", "incremental", "extreme")])
    return t, v


def fingerprint_index(
    turnout: FloatArray, share: FloatArray, bins: int = FINGERPRINT_BINS
) -> NDArray[np.int64]:
    ti = np.clip((turnout * bins).astype(np.int64), 0, bins - 1)
    si = np.clip((share * bins).astype(np.int64), 0, bins - 1)
    return ti * bins + si


def _share_index(share: FloatArray) -> NDArray[np.int64]:
    return np.clip((share * 100).astype(np.int64), 0, 99)


class _MixtureFitter:
    """Loss of every (f_i, f_e) from the expected simulated histogram.

    Which stations are falsified is independent of their clean values, so the expected model histogram is the
    mixture (1 - f_i - f_e) * H_clean + f_i * H_incremental + f_e * H_extreme, where each H is the histogram of
    all stations' clean / incremental / extreme versions. Using the expectation removes the noise of a random
    assignment (which matters for the rare extreme stations) and makes a grid over (f_i, f_e) cheap.
    """

    def __init__(self, observed_idx: NDArray[np.int64], objective: str) -> None:
        self.objective = objective
        self.nb = FINGERPRINT_BINS**2 if objective == "fingerprint" else 100
        self.observed = np.bincount(observed_idx, minlength=self.nb).astype(np.float64)

    def set_versions(self, versions: dict[str, tuple[FloatArray, FloatArray]], replicas: int) -> None:
        hist = {}
        for name, (t, v) in versions.items():
            idx = fingerprint_index(t, v) if self.objective == "fingerprint" else _share_index(v)
            hist[name] = np.bincount(idx, minlength=self.nb) / replicas
        used = (self.observed > 0) | (hist["clean"] > 0) | (hist["incremental"] > 0) | (hist["extreme"] > 0)
        self.obs = self.observed[used]
        self.base = hist["clean"][used]
        self.d_inc = hist["incremental"][used] - self.base
        self.d_ext = hist["extreme"][used] - self.base

    def losses(self, f_i: FloatArray, f_e: FloatArray) -> FloatArray:
        sim = self.base[None, :] + f_i[:, None] * self.d_inc[None, :] + f_e[:, None] * self.d_ext[None, :]
        if self.objective == "fingerprint":  # chi-square with both counts' variance in the denominator
            return np.sum((self.obs - sim) ** 2 / (self.obs + sim + 1.0), axis=1)
        return np.sum(((sim - self.obs) / (self.obs + 1.0)) ** 2, axis=1)  # the authors' 1-D criterion

    def best(self) -> tuple[float, float, float]:
        """Coarse grid (f_i step 0.05, f_e step 0.01), then a 0.01 x 0.001 grid around the coarse optimum."""
        fi, fe = np.meshgrid(np.arange(0, 1.0001, 0.05), np.arange(0, FE_MAX + 1e-9, 0.01), indexing="ij")
        keep = (fi + fe <= 1 + 1e-9).ravel()
        fi, fe = fi.ravel()[keep], fe.ravel()[keep]
        k = int(np.argmin(self.losses(fi, fe)))
        fi2, fe2 = np.meshgrid(
            np.unique(np.clip(np.round(fi[k] + np.arange(-0.05, 0.0501, 0.01), 3), 0, 1)),
            np.unique(np.clip(np.round(fe[k] + np.arange(-0.01, 0.01001, 0.001), 4), 0, FE_MAX)),
            indexing="ij",
        )
        keep2 = (fi2 + fe2 <= 1 + 1e-9).ravel()
        fi2, fe2 = fi2.ravel()[keep2], fe2.ravel()[keep2]
        loss2 = self.losses(fi2, fe2)
        j = int(np.argmin(loss2))
        return float(loss2[j]), float(fi2[j]), float(fe2[j])


@dataclass
class KlimekFit:
    f_i: float
    f_e: float
    theta: float
    alpha: float
    loss: float
    objective: str
    fair: FairModel
    bootstrap: list[tuple[float, float]] = field(default_factory=list)
    model_turnout: FloatArray | None = None
    model_share: FloatArray | None = None
    variants: dict[str, KlimekFit] = field(default_factory=dict)

    def interval(self, which: str) -> list[float] | None:
        if len(self.bootstrap) < 2:
            return None
        values = np.array([b[0] if which == "f_i" else b[1] for b in self.bootstrap])
        return [round(float(q), 4) for q in np.percentile(values, [2.5, 97.5])]

    def as_dict(self) -> dict[str, object]:
        return {
            "f_i": round(self.f_i, 4),
            "f_e": round(self.f_e, 4),
            "f_i_interval95": self.interval("f_i"),
            "f_e_interval95": self.interval("f_e"),
            "bootstrap_replicates": len(self.bootstrap),
            "theta": self.theta,
            "alpha": self.alpha,
            "objective": self.objective,
            "loss": round(self.loss, 2),
            "fair_model": {k: round(v, 4) for k, v in self.fair.__dict__.items()},
        }


def _fit_once(
    turnout: FloatArray,
    share: FloatArray,
    rng: np.random.Generator,
    objectives: tuple[str, ...],
    thetas: tuple[float, ...],
    alphas: tuple[float, ...],
    replicas: int,
    keep_points: bool = False,
    fair: FairModel | None = None,
) -> dict[str, KlimekFit]:
    """Best fit per objective; all objectives share one set of draws and model versions."""
    fair = fair or estimate_fair_model(turnout, share)
    draws = Draws.new(rng, len(turnout) * replicas)
    versions = ModelVersions(fair, draws)
    fitters = {
        obj: _MixtureFitter(
            fingerprint_index(turnout, share) if obj == "fingerprint" else _share_index(share), obj
        )
        for obj in objectives
    }
    best: dict[str, KlimekFit] = {}
    for alpha in alphas:
        for theta in thetas:
            model = versions.get(theta, alpha)
            for obj, fitter in fitters.items():
                fitter.set_versions(model, replicas)
                loss, f_i, f_e = fitter.best()
                if obj not in best or loss < best[obj].loss:
                    best[obj] = KlimekFit(f_i, f_e, theta, alpha, loss, obj, fair)
    if keep_points:  # one realisation of the best model, the size of the data, for the report's figure
        first = best[objectives[0]]
        chosen = versions.get(first.theta, first.alpha)
        n = len(turnout)
        u = draws.u_assign[:n]
        kind = np.where(u < first.f_e, 2, np.where(u < first.f_e + first.f_i, 1, 0))
        names = ("clean", "incremental", "extreme")
        first.model_turnout = np.choose(kind, [chosen[k][0][:n] for k in names])
        first.model_share = np.choose(kind, [chosen[k][1][:n] for k in names])
    return best


def fit_klimek(
    turnout: FloatArray,
    share: FloatArray,
    *,
    seed: int = 1,
    bootstrap: int = 40,
    objective: str = "fingerprint",
    also: tuple[str, ...] = (),
    thetas: tuple[float, ...] = THETA_GRID,
    alphas: tuple[float, ...] = ALPHA_GRID,
    replicas: int = 1,
    fair: FairModel | None = None,
    workers: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> KlimekFit:
    """Fit f_i, f_e (plus theta, alpha on a grid); bootstrap percentile intervals for f_i, f_e.

    Each fit simulates `replicas` model stations per real station; bootstrap replicates use the same estimator
    (fresh draws), so their spread includes simulation noise as well as sampling noise. Objectives listed in
    `also` are fitted on the same draws (no bootstrap) and attached as `fit.variants`. A known `fair` model
    (e.g. measured in a region trusted to be clean) replaces the estimate from the data's peaks.
    """
    for obj in (objective, *also):
        if obj not in ("fingerprint", "share"):
            raise ValueError("objective must be 'fingerprint' or 'share'")
    turnout = np.clip(np.asarray(turnout, dtype=np.float64), 0, 1)
    share = np.clip(np.asarray(share, dtype=np.float64), 0, 1)
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_KLIMEK, 0]))
    fits = _fit_once(
        turnout, share, rng, (objective, *also), thetas, alphas, replicas, keep_points=True, fair=fair
    )
    fit = fits[objective]
    fit.variants = {obj: fits[obj] for obj in also}
    if bootstrap < 1:
        return fit
    n = len(turnout)

    def replicate(rng: np.random.Generator, size: int) -> list[tuple[float, float]]:
        out = []
        for _ in range(size):
            pick = rng.integers(0, n, n)
            rep = _fit_once(
                turnout[pick], share[pick], rng, (objective,), (fit.theta,), (fit.alpha,), replicas, fair=fair
            )
            out.append((rep[objective].f_i, rep[objective].f_e))
        return out

    parts = chunked_runs(
        seed, STREAM_KLIMEK, bootstrap, replicate, chunk=1, workers=workers, progress=progress
    )
    fit.bootstrap = [pair for part in parts for pair in part]
    return fit
