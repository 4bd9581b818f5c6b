"""Within-region association of turnout and the leader's share: the detection statistic for ballot stuffing.

Why: a stuffed ballot raises turnout and the leader's share at the same station, so stuffing makes the two
rise together. Regions differ in both for legitimate reasons (a loyal region may also vote more), so the test
only compares stations with others in the same region: inside each region turnout and share are turned into
normal scores of their ranks, and the statistic is the sum over stations of the products of the two scores.
Under the null hypothesis that, within a region, turnout carries no information about the leader's share, every
within-region permutation is equally likely; the permutation mean is 0 and the variance is
sum_r SS_turnout,r * SS_share,r / (n_r - 1), so Z = S / sqrt(var) is close to standard normal. One-sided: only
positive association is the stuffing signature.

What it does not show: genuine mobilisation that differs between the leader's and others' voters within a
region produces the same association. A positive finding means "turnout and support move together inside
regions", which stuffing produces and honest elections usually (not always) do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import gammaln, ndtr, ndtri

FloatArray = NDArray[np.float64]
MIN_GROUP = 3


def within_group_scores(values: FloatArray, groups: NDArray[np.int64]) -> FloatArray:
    """Centred normal scores of ranks within each group (0 for groups too small to rank)."""
    frame = pd.DataFrame({"v": values, "g": groups})
    by_group = frame.groupby("g")["v"]
    rank = by_group.rank(method="average").to_numpy()
    size = by_group.transform("count").to_numpy()
    scores = ndtri((rank - 0.5) / size)
    scores = scores - pd.Series(scores).groupby(groups).transform("mean").to_numpy()
    return np.where(size >= MIN_GROUP, scores, 0.0)


@dataclass
class AssociationResult:
    stations: int
    statistic: float
    z: float
    p_value: float
    rank_correlation: float
    group_z: FloatArray

    def as_dict(self) -> dict[str, object]:
        return {
            "stations": self.stations,
            "z": round(self.z, 3),
            "p_value": self.p_value,
            "pooled_within_region_rank_correlation": round(self.rank_correlation, 4),
            "null": "within-region permutation of turnout (normal approximation), one-sided",
        }


def turnout_share_association(
    turnout: FloatArray, share: FloatArray, groups: NDArray[np.int64], n_groups: int | None = None
) -> AssociationResult:
    """Z statistic of the within-group normal-score association between turnout and share."""
    groups = np.asarray(groups, dtype=np.int64)
    n_groups = int(n_groups if n_groups is not None else groups.max() + 1)
    zt = within_group_scores(np.asarray(turnout, dtype=np.float64), groups)
    zs = within_group_scores(np.asarray(share, dtype=np.float64), groups)
    size = np.bincount(groups, minlength=n_groups).astype(np.float64)
    prod = np.bincount(groups, weights=zt * zs, minlength=n_groups)
    ss_t = np.bincount(groups, weights=zt * zt, minlength=n_groups)
    ss_s = np.bincount(groups, weights=zs * zs, minlength=n_groups)
    usable = size >= MIN_GROUP
    var = np.where(usable, ss_t * ss_s / np.maximum(size - 1, 1), 0.0)
    total_var = float(var.sum())
    statistic = float(prod.sum())
    z = statistic / np.sqrt(total_var) if total_var > 0 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        group_z = np.where(var > 0, prod / np.sqrt(var), np.nan)
    denom = np.sqrt(ss_t.sum() * ss_s.sum())
    return AssociationResult(
        stations=int(usable[groups].sum()),
        statistic=statistic,
        z=float(z),
        p_value=float(ndtr(-z)) if np.isfinite(z) else float("nan"),
        rank_correlation=float(statistic / denom) if denom > 0 else float("nan"),
        group_z=group_z,
    )


def _log_choose(n: NDArray | int, k: NDArray | int) -> NDArray:
    return (
        gammaln(np.asarray(n) + 1.0)
        - gammaln(np.asarray(k) + 1.0)
        - gammaln(np.asarray(n) - np.asarray(k) + 1.0)
    )


def hypergeom_pmf(k: NDArray[np.int64], population: int, successes: int, draws: int) -> FloatArray:
    """P(k successes in `draws` draws without replacement), via log-gamma (no scipy.stats import needed)."""
    ok = (k >= max(0, draws + successes - population)) & (k <= min(successes, draws))
    kk = np.where(ok, k, 0)
    log_p = _log_choose(successes, kk) + _log_choose(population - successes, draws - kk)
    return np.where(ok, np.exp(log_p - _log_choose(population, draws)), 0.0)


@dataclass
class TailResult:
    """Stations in the top `quantile` of both turnout and leader share within their region."""

    quantile: float
    stations: int
    observed: int
    expected: float
    sd: float
    p_value: float

    @property
    def z(self) -> float:
        return (self.observed - self.expected) / self.sd if self.sd > 0 else float("nan")

    def as_dict(self) -> dict[str, object]:
        return {
            "top_quantile": self.quantile,
            "stations": self.stations,
            "observed_stations_in_both_tails": self.observed,
            "expected_stations_in_both_tails": round(self.expected, 2),
            "excess_stations": round(self.observed - self.expected, 2),
            "z": round(self.z, 3),
            "p_value": self.p_value,
            "null": "exact: sum over regions of hypergeometric overlaps (within-region permutation)",
        }


def upper_tail_test(
    turnout: FloatArray, share: FloatArray, groups: NDArray[np.int64], quantile: float = 0.05
) -> TailResult:
    """Exact test that too many stations sit in the upper-right corner of their region's fingerprint.

    This is the calibrated stuffing detector: stuffing moves a station up in turnout and in share at once, so
    it lands in both upper tails; honest stations do that with probability ~quantile**2 when turnout and
    support are independent within a region. For fixed tail sets T and S in a region of n stations, a random
    within-region permutation makes |T & S| hypergeometric(n, |S|, |T|); regions are independent, so the null
    distribution of the total is the convolution of the regional ones, computed exactly.
    """
    frame = pd.DataFrame({"t": turnout, "s": share, "g": np.asarray(groups, dtype=np.int64)})
    size = frame.groupby("g")["t"].transform("count").to_numpy()
    top_t = frame.groupby("g")["t"].rank(method="average").to_numpy() > size * (1 - quantile)
    top_s = frame.groupby("g")["s"].rank(method="average").to_numpy() > size * (1 - quantile)
    usable = size >= MIN_GROUP
    both = top_t & top_s & usable
    codes = frame["g"].to_numpy()
    n_r = np.bincount(codes[usable])
    kt_r = np.bincount(codes[usable & top_t], minlength=len(n_r))
    ks_r = np.bincount(codes[usable & top_s], minlength=len(n_r))
    pmf = np.array([1.0])
    for n, kt, ks in zip(n_r, kt_r, ks_r, strict=True):
        if n == 0 or kt == 0 or ks == 0:
            continue
        support = np.arange(0, min(kt, ks) + 1)
        pmf = np.convolve(pmf, hypergeom_pmf(support, int(n), int(ks), int(kt)))
    values = np.arange(len(pmf))
    mean = float(np.sum(values * pmf))
    sd = float(np.sqrt(max(np.sum((values - mean) ** 2 * pmf), 0.0)))
    observed = int(both.sum())
    tail = float(pmf[observed:].sum()) if observed < len(pmf) else 0.0
    if tail <= 0.0 and sd > 0:  # beyond double precision in the exact tail: report the normal bound
        tail = float(ndtr(-(observed - mean) / sd))
    return TailResult(quantile, int(usable.sum()), observed, mean, sd, min(max(tail, 0.0), 1.0))
