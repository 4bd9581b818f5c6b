"""Digit tests on vote counts: last digits (Beber & Scacco 2012) and second digits (Mebane's 2BL), per region.

Why: people who invent numbers write digits unevenly (too many 0s and 5s, too few repeats), while counted votes
have last digits that are nearly uniform. Both tests are often run with a textbook null -- uniform last digits,
Benford's second-digit law -- that honest precinct counts need not follow: a count of 7 has last digit 7 with
certainty, and the second digit of counts in the hundreds depends on how station sizes are distributed. Here
each test gets a null that accounts for the counts actually in the file:

* last digit: each count K (every option at every station) is treated as Binomial(n, K/n) with n = ballots
  cast, and the exact distribution of K mod 10 is computed from the binomial characteristic function,
  P(K = d mod 10) = 1/10 sum_m phi(2 pi m / 10) exp(-2 pi i m d / 10), phi(w) = (1 - p + p e^{iw})^n. For counts
  with a binomial sd above ~5 this is uniform to 1e-4; for small counts it is whatever the lattice forces.
* second digit (counts >= 10): counts are redrawn from a per-region, per-option beta-binomial (rates from a beta
  fitted to the region's stations by the method of moments, each station keeping its own n) -- a smooth model of how
  counts spread across stations, in the spirit of Mebane's argument that 2BL arises from mixtures of counts;
  expected frequencies are the mean over Monte Carlo runs. Benford's 2BL distribution is reported next to it
  (`benford_*`) for comparison with published 2BL tables, but not used for the p-value.

Statistic: Pearson X^2 of the ten observed digit counts against the expected ones, 9 degrees of freedom. With
unequal per-count probabilities the multinomial variance overstates the true one, so the test is conservative.
What a finding means: the digits of the published counts are unlikely under the null; invented numbers do
that, and so can a systematic reporting practice (rounding by a commission). Stuffing with counted ballots does
not change digits and is not detected by these tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

from plebiscite.forensics.election import Election
from plebiscite.forensics.montecarlo import STREAM_DIGITS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
MIN_GROUP = 30


def benford_second_digit() -> FloatArray:
    """Benford's law for the second significant digit (0..9): Mebane's 2BL reference."""
    k = np.arange(1, 10)[:, None]
    d = np.arange(10)[None, :]
    return np.log10(1 + 1 / (10 * k + d)).sum(axis=0)


def last_digit_null(count: IntArray, total: IntArray) -> FloatArray:
    """Exact P(K mod 10 = d), d = 0..9, for K ~ Binomial(total, count/total); one row per count.

    phi(w)^n is evaluated in polar form, n log|base| and n arg(base), which is stable for large n. Counts whose
    binomial sd exceeds 8 are uniform to better than 1e-5 and skip the computation.
    """
    count = np.asarray(count, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    p = np.where(total > 0, count / np.maximum(total, 1), 0.0)
    probs = np.full((len(p), 10), 0.1)
    idx = np.flatnonzero(total * p * (1 - p) < 64)
    if idx.size == 0:
        return probs
    pi, ni = p[idx, None], total[idx, None]
    omega = 2 * np.pi * np.arange(1, 6) / 10
    re = 1 - pi + pi * np.cos(omega)[None, :]
    im = pi * np.sin(omega)[None, :]
    modulus = np.exp(ni * 0.5 * np.log(np.maximum(re * re + im * im, 1e-300)))
    angle = ni * np.arctan2(im, re)
    phi_re, phi_im = modulus * np.cos(angle), modulus * np.sin(angle)
    d = np.arange(10)
    # sum over m = -4..5 of phi(m) e^{-i w_m d}; phi(-m) = conj(phi(m)), and m = 5 is its own mirror image
    arg = omega[:, None] * d[None, :]  # [m, d]
    cos, sin = np.cos(arg), np.sin(arg)
    total_sum = 1 + 2 * (phi_re[:, :4] @ cos[:4] + phi_im[:, :4] @ sin[:4])
    total_sum += phi_re[:, 4:5] * cos[4:5] + phi_im[:, 4:5] * sin[4:5]
    probs[idx] = np.clip(total_sum / 10, 0.0, 1.0)
    return probs


def second_digit(values: IntArray) -> IntArray:
    """Second significant digit of counts >= 10 (others get -1)."""
    v = np.asarray(values, dtype=np.int64)
    scale = np.select([v < 10, v < 100, v < 1000, v < 10_000, v < 100_000], [0, 1, 10, 100, 1000], 10_000)
    return np.where(scale > 0, (v // np.maximum(scale, 1)) % 10, -1)


def beta_by_group(
    count: IntArray, total: IntArray, group: IntArray, fallback: IntArray, min_group: int = MIN_GROUP
) -> tuple[FloatArray, FloatArray]:
    """Method-of-moments beta per group (as rozenas.beta_prior), groups under `min_group` use their fallback."""

    def fit(keys: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        size = int(keys.max()) + 1
        n = np.bincount(keys, minlength=size).astype(np.float64)
        rate = count / total
        m = np.bincount(keys, weights=rate, minlength=size) / np.maximum(n, 1)
        second = np.bincount(keys, weights=rate * rate, minlength=size) / np.maximum(n, 1)
        inv = np.bincount(keys, weights=1.0 / total, minlength=size) / np.maximum(n, 1)
        m = np.clip(m, 1e-3, 1 - 1e-3)
        var = np.minimum(np.maximum(second - m * m - m * (1 - m) * inv, 1e-5), m * (1 - m) * 0.99)
        conc = np.clip(m * (1 - m) / var - 1, 0.5, 1e4)
        return m * conc, (1 - m) * conc, n

    a, b, n = fit(group)
    fa, fb, _ = fit(fallback)
    small = n[group] < min_group
    return np.where(small, fa[fallback], a[group]), np.where(small, fb[fallback], b[group])


@dataclass
class DigitResult:
    """Observed and expected digit counts, nationally and per region, with Pearson X^2 and p."""

    test: str
    counts_used: int
    observed: IntArray
    expected: FloatArray
    chi2: float
    p_value: float
    region_observed: IntArray
    region_expected: FloatArray
    null: str
    inflation: float = 1.0
    benford: FloatArray | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def region_stats(self) -> tuple[FloatArray, FloatArray, IntArray]:
        """Per-region X^2, p and number of counts (regions with fewer than 50 counts get NaN)."""
        n = self.region_observed.sum(axis=1)
        x2 = np.where(n >= 50, _pearson(self.region_observed, self.region_expected, self.inflation), np.nan)
        return x2, np.where(np.isfinite(x2), chi2.sf(x2, 9), np.nan), n

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "test": self.test,
            "counts_used": self.counts_used,
            "observed_by_digit": [int(v) for v in self.observed],
            "expected_by_digit": [round(float(v), 2) for v in self.expected],
            "chi2": round(self.chi2, 3),
            "df": 9,
            "p_value": self.p_value,
            "mean_digit_observed": round(float(np.arange(10) @ self.observed / max(self.counts_used, 1)), 4),
            "mean_digit_expected": round(float(np.arange(10) @ self.expected / max(self.counts_used, 1)), 4),
            "null": self.null,
        }
        if self.benford is not None:
            b = self.benford * self.counts_used
            out["benford_expected_by_digit"] = [round(float(v), 2) for v in b]
            out["benford_chi2"] = round(float(np.sum((self.observed - b) ** 2 / b)), 3)
            out["benford_mean_digit"] = round(float(np.arange(10) @ self.benford), 4)
        return out | self.extra


def _stack(election: Election) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(count, ballots cast, region, option) for every option at every station with ballots, as flat arrays."""
    k = election.votes.shape[1]
    count = election.votes.T.reshape(-1).astype(np.int64)
    total = np.tile(election.cast.astype(np.int64), k)
    region = np.tile(election.region_codes, k)
    option = np.repeat(np.arange(k), election.stations)
    keep = total > 0
    return count[keep], total[keep], region[keep], option[keep]


def _option_shares(count: IntArray, total: IntArray, region: IntArray, option: IntArray) -> FloatArray:
    """Each option's aggregate share in the count's region (used to select counts without looking at them)."""
    nr = int(region.max()) + 1
    key = option * nr + region
    size = int(key.max()) + 1
    share = np.bincount(key, weights=count, minlength=size) / np.maximum(
        np.bincount(key, weights=total, minlength=size), 1
    )
    return share[key]


def _pearson(observed: NDArray[np.int64] | FloatArray, expected: FloatArray, inflation: float) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum((observed - expected) ** 2 / expected, axis=-1) / inflation


def _result(
    test: str,
    observed: IntArray,
    expected: FloatArray,
    nr: int,
    null: str,
    inflation: float = 1.0,
) -> DigitResult:
    """National and per-region figures from per-region observed and expected digit counts, [region, digit]."""
    obs, exp = observed.sum(axis=0), expected.sum(axis=0)
    x2 = float(_pearson(obs, exp, inflation))
    return DigitResult(
        test=test,
        counts_used=int(obs.sum()),
        observed=obs.astype(np.int64),
        expected=exp,
        chi2=x2,
        p_value=float(chi2.sf(x2, 9)),
        region_observed=observed,
        region_expected=expected,
        null=null,
        inflation=inflation,
    )


def last_digit_test(election: Election, *, min_sd: float = 5.0) -> DigitResult:
    """Beber-Scacco last-digit test on every option's count, with the exact binomial null.

    Counts enter when their *expected* binomial sd -- from the option's share in the region, not from the count
    itself, so that selection does not depend on the digit being tested -- is at least `min_sd`: below that
    the plug-in null (centred on the count) would smear small counts toward 0 and bias the test.
    """
    count, total, region, option = _stack(election)
    nr = len(election.region_names)
    share = _option_shares(count, total, region, option)
    sel = total * share * (1 - share) >= min_sd**2
    count, total, region = count[sel], total[sel], region[sel]
    observed = np.zeros((nr, 10), dtype=np.int64)
    np.add.at(observed, (region, count % 10), 1)
    expected = np.zeros((nr, 10))
    np.add.at(expected, region, last_digit_null(count, total))
    return _result(
        "last digit (Beber-Scacco)",
        observed,
        expected,
        nr,
        f"K ~ Binomial(ballots cast, K / ballots cast), exact distribution of K mod 10; counts whose expected "
        f"binomial sd is >= {min_sd:g}",
    )


def second_digit_test(election: Election, *, runs: int = 4, seed: int = 1) -> DigitResult:
    """Mebane's 2BL test on every option's count >= 10, against a regional beta-binomial resampled null.

    Expected counts are the Monte Carlo mean scaled to the number of counts >= 10 actually observed (per
    region); the Monte Carlo noise in them adds 1/runs to the variance, so X^2 is divided by (1 + 1/runs).
    """
    count, total, region, option = _stack(election)
    nr = len(election.region_names)
    a, b = beta_by_group(count, total, option * nr + region, option)
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_DIGITS]))
    simulated = np.zeros(nr * 10)
    for _ in range(runs):
        sim = second_digit(rng.binomial(total, rng.beta(a, b)))
        hit = sim >= 0
        simulated += np.bincount(region[hit] * 10 + sim[hit], minlength=nr * 10)
    simulated_by_region = simulated.reshape(nr, 10)
    digit = second_digit(count)
    hit = digit >= 0
    observed = np.bincount(region[hit] * 10 + digit[hit], minlength=nr * 10).reshape(nr, 10)
    scale = observed.sum(axis=1, keepdims=True) / np.maximum(
        simulated_by_region.sum(axis=1, keepdims=True), 1
    )
    result = _result(
        "second digit (Mebane 2BL)",
        observed.astype(np.int64),
        simulated_by_region * scale,
        nr,
        f"counts >= 10 redrawn from per-region, per-option beta-binomials ({runs} runs)",
        inflation=1 + 1 / runs,
    )
    result.benford = benford_second_digit()
    return result
