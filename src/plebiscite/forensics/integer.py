"""Integer-percentage test (Kobak, Shpilkin & Pshenichnikov 2016, Annals of Applied Statistics 10(1):54-73).

Why: a commission that invents its result tends to pick round numbers ("turnout 70 %, leader 80 %"). Honest
counts give percentages whose fractional part is spread smoothly, except for a small, computable excess of
whole numbers caused by the finite size of stations (e.g. 1 of 100 registered is exactly 1 %). The test counts
stations whose turnout OR leader's share is within +-0.05 percentage points of a whole number and compares the
count with a binomial Monte Carlo null that reproduces the small-number effects exactly.

Published rules, reproduced here: only stations with >= 100 registered voters and with turnout and leader share
<= 99 %; turnout = ballots issued / registered; leader share = leader's votes / (valid + invalid ballots). Null:
for every station independently, issued* ~ Binomial(registered, observed turnout) and leader* ~ Binomial(cast,
observed share); expected = mean over runs. This denominator choice reproduces the published excess
(2011: ~1,003, 2012: ~1,160); see docs/forensics.md for the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import bdtr, ndtr

from plebiscite.forensics.election import Election
from plebiscite.forensics.montecarlo import STREAM_INTEGER, chunked_runs

TOLERANCE_PP = 0.05
MIN_REGISTERED = 100
MAX_RATE = 0.99
_EPS = 1e-9


def is_integer_percent(count: NDArray, total: NDArray, tol_pp: float = TOLERANCE_PP) -> NDArray[np.bool_]:
    """True where 100 * count / total lies within `tol_pp` percentage points of a whole number."""
    pct = 100.0 * count / total
    return np.abs(pct - np.rint(pct)) <= tol_pp + _EPS


def eligible_stations(election: Election) -> NDArray[np.bool_]:
    """The published inclusion rule: >= 100 registered, turnout and leader share <= 99 %."""
    with np.errstate(divide="ignore", invalid="ignore"):
        turnout = election.issued / election.registered
        share = election.leader / election.cast
    return (
        (election.registered >= MIN_REGISTERED)
        & (election.cast > 0)
        & (turnout <= MAX_RATE + _EPS)
        & (share <= MAX_RATE + _EPS)
    )


@dataclass
class IntegerResult:
    """Observed vs expected number of 'integer' stations, nationally and per region."""

    eligible: int
    observed: int
    observed_turnout: int
    observed_share: int
    expected: float
    expected_turnout: float
    expected_share: float
    sd_null: float
    sd_runs: float
    z: float
    p_value: float
    p_value_mc: float
    runs: int
    seed: int
    region_observed: NDArray[np.int64]
    region_expected: NDArray[np.float64]
    region_var: NDArray[np.float64]
    region_eligible: NDArray[np.int64]

    @property
    def excess(self) -> float:
        return self.observed - self.expected

    def as_dict(self) -> dict[str, object]:
        half = 1.959964 * self.sd_null
        return {
            "observed_stations": self.observed,
            "expected_stations": round(self.expected, 2),
            "excess_stations": round(self.excess, 2),
            "excess_interval95": [round(self.excess - half, 1), round(self.excess + half, 1)],
            "sd_null": round(self.sd_null, 3),
            "sd_null_across_runs": round(self.sd_runs, 3),
            "z": round(self.z, 3),
            "p_value": self.p_value,
            "p_value_mc": self.p_value_mc,
            "eligible_stations": self.eligible,
            "observed_integer_turnout": self.observed_turnout,
            "observed_integer_share": self.observed_share,
            "expected_integer_turnout": round(self.expected_turnout, 2),
            "expected_integer_share": round(self.expected_share, 2),
            "runs": self.runs,
            "seed": self.seed,
            "rules": {
                "min_registered": MIN_REGISTERED,
                "max_turnout_and_share": MAX_RATE,
                "tolerance_pp": TOLERANCE_PP,
                "integer_if": "turnout OR leader share within tolerance of a whole percent",
                "null": "issued ~ Bin(registered, turnout); leader ~ Bin(valid+invalid, share)",
                "p_value": "one-sided, normal approximation with the per-station null variance",
            },
        }


def integer_test(
    election: Election,
    *,
    runs: int = 200,
    seed: int = 1,
    workers: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> IntegerResult:
    """Run the test; the null variance is summed per station (stations are independent under the null)."""
    mask = eligible_stations(election)
    reg = election.registered[mask]
    issued = election.issued[mask]
    cast = election.cast[mask]
    leader = election.leader[mask]
    regions = election.region_codes[mask]
    n_regions = len(election.region_names)
    turnout = issued / reg
    share = leader / cast

    obs_t = is_integer_percent(issued, reg)
    obs_s = is_integer_percent(leader, cast)
    observed = obs_t | obs_s

    pct_per_voter = 100.0 / reg  # multiplying by a precomputed reciprocal is cheaper than dividing each run
    pct_per_ballot = 100.0 / cast

    def integer_pct(pct: NDArray[np.float64]) -> NDArray[np.bool_]:
        return np.abs(pct - np.rint(pct)) <= TOLERANCE_PP + _EPS

    def work(rng: np.random.Generator, size: int) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
        totals = np.empty(size)
        tot_t = np.empty(size)
        tot_s = np.empty(size)
        station = np.zeros(len(reg), dtype=np.int32)
        by_region = np.empty((size, n_regions))
        for k in range(size):
            sim_t = integer_pct(rng.binomial(reg, turnout) * pct_per_voter)
            sim_s = integer_pct(rng.binomial(cast, share) * pct_per_ballot)
            hit = sim_t | sim_s
            totals[k] = hit.sum()
            tot_t[k] = sim_t.sum()
            tot_s[k] = sim_s.sum()
            station += hit
            by_region[k] = np.bincount(regions, weights=hit, minlength=n_regions)
        return totals, tot_t, tot_s, station, by_region

    parts = chunked_runs(seed, STREAM_INTEGER, runs, work, workers=workers, progress=progress)
    totals = np.concatenate([p[0] for p in parts])
    tot_t = np.concatenate([p[1] for p in parts])
    tot_s = np.concatenate([p[2] for p in parts])
    station_hits = np.sum([p[3] for p in parts], axis=0)
    by_region = np.concatenate([p[4] for p in parts])

    p_hat = station_hits / runs
    correction = runs / (runs - 1) if runs > 1 else 1.0
    station_var = p_hat * (1 - p_hat) * correction
    expected = float(totals.mean())
    sd_null = float(np.sqrt(station_var.sum()))
    n_obs = int(observed.sum())
    z = (n_obs - expected) / sd_null if sd_null > 0 else float("nan")
    return IntegerResult(
        eligible=int(mask.sum()),
        observed=n_obs,
        observed_turnout=int(obs_t.sum()),
        observed_share=int(obs_s.sum()),
        expected=expected,
        expected_turnout=float(tot_t.mean()),
        expected_share=float(tot_s.mean()),
        sd_null=sd_null,
        sd_runs=float(totals.std(ddof=1)) if runs > 1 else float("nan"),
        z=float(z),
        p_value=float(ndtr(-z)) if np.isfinite(z) else float("nan"),
        p_value_mc=float((1 + np.sum(totals >= n_obs)) / (runs + 1)),
        runs=runs,
        seed=seed,
        region_observed=np.bincount(regions, weights=observed, minlength=n_regions).astype(np.int64),
        region_expected=by_region.mean(axis=0),
        region_var=np.bincount(regions, weights=station_var, minlength=n_regions).astype(np.float64),
        region_eligible=np.bincount(regions, minlength=n_regions).astype(np.int64),
    )


def exact_integer_probability(
    total: NDArray, rate: NDArray, tol_pp: float = TOLERANCE_PP
) -> NDArray[np.float64]:
    """P(100*K/total is within tol of a whole number) for K ~ Binomial(total, rate), computed exactly.

    Used to check the Monte Carlo (tests) without sampling noise: for every whole percent j the admissible K
    form an integer interval, whose probability is a difference of binomial CDFs. Percentages more than 10
    standard deviations from the mean contribute nothing measurable and are skipped.
    """
    total = np.asarray(total, dtype=np.float64)
    rate = np.asarray(rate, dtype=np.float64)
    prob = np.zeros(len(total))
    mean = total * rate
    sd = np.sqrt(total * rate * (1 - rate)) + 1.0
    for j in range(101):
        lo = np.ceil(total * (j - tol_pp) / 100 - _EPS)
        hi = np.floor(total * (j + tol_pp) / 100 + _EPS)
        idx = np.flatnonzero((hi >= lo) & (np.abs(total * j / 100 - mean) < 10 * sd))
        if idx.size:
            t, r = total[idx].astype(np.int64), rate[idx]
            below = lo[idx].astype(np.int64) - 1
            upper = bdtr(hi[idx].astype(np.int64), t, r)
            prob[idx] += upper - np.where(below < 0, 0.0, bdtr(np.maximum(below, 0), t, r))
    return prob
