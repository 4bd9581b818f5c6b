"""Resampled-null spike test for coarse fractions, after Rozenas (2017, Political Analysis 25(1):41-56).

Why: invented results cluster at 'coarse' fractions (1/2, 2/3, 3/4, 60 %, ...). But small stations produce
such fractions honestly: with 4 voters a share of exactly 1/2 is common. A fair test must compare the observed
frequency of coarse fractions with what the same stations, with the same sizes, would produce without fraud.

Method (a simplified resampled-kernel-density test). Rozenas fits a smooth beta-binomial mixture and resamples
counts from it. Here each region gets a beta prior for the true rate, fitted by the method of moments with the
binomial variance removed; every station's true rate is redrawn from its posterior Beta(a + k, b + n - k) and a
count k* ~ Binomial(n, rate). Drawing from the posterior predictive reproduces the marginal distribution of the
counts, including the natural fractions of small n, while smoothing over any spike narrower than the binomial
spread of large stations. A station is 'coarse' when its rate is within 0.05 points of j/d, 0 < j < d, for
d = 2..10 or d = 20 (multiples of 5 %). 0 % and 100 % are left out: special stations (hospitals, ships, remote
units) legitimately pile up there and a smooth null cannot represent a point mass, so the boundary would
dominate the count. The test compares the observed number of coarse stations with the resampled ones.

All stations are used (including small ones: that is the point of the null), for both the leader's share
(k = leader votes, n = ballots cast) and turnout (k = ballots issued, n = registered voters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from plebiscite.forensics.montecarlo import STREAM_ROZENAS, chunked_runs

DENOMINATORS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 20)
TOLERANCE_PP = 0.05
EXACT_BELOW = 200
_EPS = 1e-9


def coarse_fractions(denominators: tuple[int, ...] = DENOMINATORS) -> list[Fraction]:
    """Distinct interior fractions 0 < j/d < 1 for the given denominators, ascending."""
    return sorted({Fraction(j, d) for d in denominators for j in range(1, d)})


class CoarseLookup:
    """Which coarse fraction, if any, a rate lies on -- by table lookup, since this runs millions of times.

    The rate axis is cut into cells of width 2 * tolerance; a fraction's window [f - tol, f + tol] touches at
    most two cells, and windows are far apart (the closest fractions differ by 1/90), so each cell has at most
    one candidate fraction; one comparison then decides.
    """

    def __init__(self, fractions: list[Fraction], tol_pp: float = TOLERANCE_PP) -> None:
        self.values = np.array([float(f) for f in fractions])
        self.tol = tol_pp / 100 + _EPS
        self.width = 2 * tol_pp / 100
        cells = int(np.ceil(1 / self.width)) + 2
        self.table = np.full(cells, -1, dtype=np.int64)
        for i, v in enumerate(self.values):
            lo, hi = int((v - self.tol) // self.width), int((v + self.tol) // self.width)
            self.table[max(lo, 0) : min(hi, cells - 1) + 1] = i

    def __call__(self, count: NDArray, total: NDArray) -> NDArray[np.int64]:
        rate = count / total
        cand = self.table[np.minimum((rate / self.width).astype(np.int64), len(self.table) - 1)]
        hit = (cand >= 0) & (np.abs(rate - self.values[cand]) <= self.tol)
        return np.where(hit, cand, -1)


def nearest_coarse(
    count: NDArray, total: NDArray, fractions: list[Fraction], tol_pp: float = TOLERANCE_PP
) -> NDArray[np.int64]:
    """Index into `fractions` of the coarse fraction each rate lies on, or -1 when it is on none."""
    return CoarseLookup(fractions, tol_pp)(count, total)


def beta_prior(count: NDArray, total: NDArray) -> tuple[float, float]:
    """Method-of-moments beta for the true rates, with the average binomial variance removed."""
    rate = count / total
    mean = float(np.clip(rate.mean(), 1e-3, 1 - 1e-3))
    var_true = float(rate.var() - np.mean(mean * (1 - mean) / total))
    var_true = min(max(var_true, 1e-5), mean * (1 - mean) * 0.99)
    concentration = min(max(mean * (1 - mean) / var_true - 1, 0.5), 1e4)
    return mean * concentration, (1 - mean) * concentration


@dataclass
class SpikeResult:
    quantity: str
    stations: int
    observed: int
    expected: float
    sd: float
    p_value: float
    runs: int
    fractions: list[str]
    observed_by_fraction: NDArray[np.int64]
    expected_by_fraction: NDArray[np.float64]

    @property
    def excess(self) -> float:
        return self.observed - self.expected

    @property
    def z(self) -> float:
        return self.excess / self.sd if self.sd > 0 else float("nan")

    def as_dict(self) -> dict[str, object]:
        order = np.argsort(-(self.observed_by_fraction - self.expected_by_fraction))
        top = [
            {
                "fraction": self.fractions[i],
                "observed": int(self.observed_by_fraction[i]),
                "expected": round(float(self.expected_by_fraction[i]), 2),
            }
            for i in order[:8]
        ]
        half = 1.959964 * self.sd
        return {
            "quantity": self.quantity,
            "stations": self.stations,
            "observed_coarse_stations": self.observed,
            "expected_coarse_stations": round(self.expected, 2),
            "excess_stations": round(self.excess, 2),
            "excess_interval95": [round(self.excess - half, 1), round(self.excess + half, 1)],
            "excess_share_of_stations": round(self.excess / self.stations, 5),
            "z": round(self.z, 3),
            "p_value_mc": self.p_value,
            "runs": self.runs,
            "largest_excess_fractions": top,
        }


def spike_test(
    count: NDArray,
    total: NDArray,
    groups: NDArray[np.int64],
    *,
    quantity: str,
    runs: int = 200,
    seed: int = 1,
    denominators: tuple[int, ...] = DENOMINATORS,
    min_group: int = 30,
    workers: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> SpikeResult:
    """Observed vs posterior-predictive number of stations at coarse fractions (p-value one-sided, MC)."""
    count = np.asarray(count, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    keep = total > 0
    count, total, groups = count[keep], total[keep], np.asarray(groups)[keep]
    fractions = coarse_fractions(denominators)
    overall = beta_prior(count, total)
    a = np.full(len(count), overall[0])
    b = np.full(len(count), overall[1])
    for g in np.unique(groups):
        sel = groups == g
        if sel.sum() >= min_group:
            a[sel], b[sel] = beta_prior(count[sel], total[sel])
    post_a, post_b = a + count, b + (total - count)
    # Large stations: the posterior predictive beta-binomial is drawn from its normal approximation (same mean
    # and variance, rounded to whole votes), which is accurate once its sd spans several votes and is ~10x
    # cheaper than a beta and a binomial draw. Small stations, where fractions like 1/2 arise naturally and
    # the lattice matters, are drawn exactly.
    small = total < EXACT_BELOW
    big_a, big_b, big_n = post_a[~small], post_b[~small], total[~small]
    m = big_a / (big_a + big_b)
    pp_mean = big_n * m
    pp_sd = np.sqrt(big_n * m * (1 - m) * (big_a + big_b + big_n) / (big_a + big_b + 1))
    nf = len(fractions)
    lookup = CoarseLookup(fractions)
    obs_idx = lookup(count, total)
    observed_by = np.bincount(obs_idx[obs_idx >= 0], minlength=nf)

    def work(rng: np.random.Generator, size: int) -> tuple[NDArray, NDArray, NDArray]:
        totals = np.empty(size)
        by_fraction = np.zeros(nf)
        station = np.zeros(len(count), dtype=np.int32)
        for k in range(size):
            sim = np.empty_like(total)
            sim[small] = rng.binomial(total[small], rng.beta(post_a[small], post_b[small]))
            draw = pp_mean + pp_sd * rng.standard_normal(pp_mean.size)
            sim[~small] = np.clip(np.rint(draw), 0, total[~small])
            idx = lookup(sim, total)
            hit = idx >= 0
            totals[k] = hit.sum()
            station += hit
            by_fraction += np.bincount(idx[hit], minlength=nf)
        return totals, by_fraction, station

    stream = STREAM_ROZENAS * 10 + (1 if quantity == "turnout" else 0)
    parts = chunked_runs(seed, stream, runs, work, workers=workers, progress=progress)
    totals = np.concatenate([p[0] for p in parts])
    expected_by = np.sum([p[1] for p in parts], axis=0) / runs
    # Stations are resampled independently, so the null variance is the sum of per-station Bernoulli
    # variances -- far more stable than the spread of a few dozen run totals.
    p_hat = np.sum([p[2] for p in parts], axis=0) / runs
    var = float(np.sum(p_hat * (1 - p_hat)) * (runs / (runs - 1))) if runs > 1 else float("nan")
    n_obs = int(observed_by.sum())
    return SpikeResult(
        quantity=quantity,
        stations=len(count),
        observed=n_obs,
        expected=float(totals.mean()),
        sd=float(np.sqrt(var)),
        p_value=float((1 + np.sum(totals >= n_obs)) / (runs + 1)),
        runs=runs,
        fractions=[f"{f.numerator}/{f.denominator}" for f in fractions],
        observed_by_fraction=observed_by.astype(np.int64),
        expected_by_fraction=expected_by,
    )
