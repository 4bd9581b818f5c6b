"""Turnout-conditioned excess votes for the leader, in the style of Sergey Shpilkin's analyses.

Why: if stations differ in turnout for reasons unrelated to whom people prefer, every party's votes spread over
turnout bins with the same shape. Ballots added for the leader do not: they raise turnout and land only in the
leader's column, so the leader's votes pile up at high turnout while the other parties' votes do not follow.

Method. Stations are binned by turnout (ballots issued / registered). In a reference range of turnout assumed
clean -- by default every bin up to the peak of the other parties' votes distribution -- the ratio
k = leader votes / other valid votes is measured. The leader's expected votes in any bin are k times the others'
votes there; the excess is total leader votes minus k times total other votes. Because the reference range is a
choice, the estimate is repeated for reference limits from 5 points below to 5 points above the peak and for
0.5 and 1 point bins, and the spread is reported next to the central estimate (1-point bins, limit = peak).
A station bootstrap gives a sampling interval for the central estimate.

Assumptions that can fail: turnout independent of preference in the reference range (differential mobilisation
breaks it); stuffing that also adds 'other' votes; fraud that changes the count without changing turnout (pure
vote transfer) is only partly visible here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from plebiscite.forensics.montecarlo import STREAM_SHPILKIN

FloatArray = NDArray[Any]
"""Per-station numbers (counts or fractions): numpy arrays of any numeric dtype."""
OFFSETS = (-0.05, -0.025, 0.0, 0.025, 0.05)
BIN_WIDTHS = (0.005, 0.01)


@dataclass
class TurnoutCurve:
    """Votes per turnout bin: the data behind the excess-vote plot."""

    centers: FloatArray
    leader: FloatArray
    others: FloatArray
    ratio: float
    peak: float
    reference_upper: float


def _binned(turnout: FloatArray, values: FloatArray, width: float) -> tuple[FloatArray, FloatArray]:
    nbins = round(1 / width)
    idx = np.clip((turnout / width).astype(np.int64), 0, nbins - 1)
    return (np.arange(nbins) + 0.5) * width, np.bincount(idx, weights=values, minlength=nbins)


def others_peak(turnout: FloatArray, others: FloatArray, width: float = 0.01) -> float:
    """Turnout at which the other parties' votes peak (5-bin moving average), the 'honest' mode."""
    centers, counts = _binned(turnout, others, width)
    smooth = np.convolve(counts, np.ones(5) / 5, mode="same")
    return float(centers[int(np.argmax(smooth))])


def excess_votes(
    turnout: FloatArray, leader: FloatArray, others: FloatArray, *, reference_upper: float, width: float
) -> tuple[float, TurnoutCurve]:
    """Leader votes above k * others, with k measured on bins whose centre is <= reference_upper."""
    centers, lead_bins = _binned(turnout, leader, width)
    _, other_bins = _binned(turnout, others, width)
    ref = centers <= reference_upper + 1e-12
    denominator = other_bins[ref].sum()
    ratio = float(lead_bins[ref].sum() / denominator) if denominator > 0 else float("nan")
    excess = float(leader.sum() - ratio * others.sum())
    curve = TurnoutCurve(centers, lead_bins, other_bins, ratio, float("nan"), reference_upper)
    return excess, curve


def _votes(value: float) -> int | None:
    """Whole votes, or None when the estimate is undefined (e.g. no other votes in the reference range)."""
    return round(value) if np.isfinite(value) else None


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


@dataclass
class ShpilkinResult:
    peak: float
    central: float
    ratio: float
    estimates: list[dict[str, float | None]]
    interval95: list[float] | None
    leader_votes: float
    valid_votes: float
    curve: TurnoutCurve
    bootstrap: list[float] = field(default_factory=list)

    @property
    def low(self) -> float:
        values = [e["excess_votes"] for e in self.estimates if e["excess_votes"] is not None]
        return float(min(values)) if values else float("nan")

    @property
    def high(self) -> float:
        values = [e["excess_votes"] for e in self.estimates if e["excess_votes"] is not None]
        return float(max(values)) if values else float("nan")

    def as_dict(self) -> dict[str, object]:
        clean_share = self.ratio / (1 + self.ratio)
        return {
            "excess_votes": _votes(self.central),
            "excess_range_over_reference_choices": [_votes(self.low), _votes(self.high)],
            "excess_interval95_bootstrap": [_votes(v) for v in self.interval95] if self.interval95 else None,
            "excess_share_of_leader_votes": round(_ratio(self.central, self.leader_votes), 4),
            "others_peak_turnout": round(self.peak, 4),
            "reference_range": f"turnout <= {self.peak:.3f} (centre of bins), 1-point bins",
            "leader_share_of_valid_in_reference": round(clean_share, 4),
            "leader_share_of_valid_reported": round(_ratio(self.leader_votes, self.valid_votes), 4),
            "leader_share_of_valid_without_excess": round(
                _ratio(self.leader_votes - self.central, self.valid_votes - self.central), 4
            ),
            "estimates": self.estimates,
        }


def shpilkin(
    turnout: FloatArray,
    leader: FloatArray,
    others: FloatArray,
    *,
    bootstrap: int = 100,
    seed: int = 1,
) -> ShpilkinResult:
    """Central estimate, its spread over reference choices, and a station-bootstrap interval."""
    turnout = np.asarray(turnout, dtype=np.float64)
    leader = np.asarray(leader, dtype=np.float64)
    others = np.asarray(others, dtype=np.float64)
    peak = others_peak(turnout, others)
    estimates = []
    for width in BIN_WIDTHS:
        for offset in OFFSETS:
            upper = peak + offset
            value, curve = excess_votes(turnout, leader, others, reference_upper=upper, width=width)
            estimates.append(
                {
                    "bin_width": width,
                    "reference_upper": round(upper, 4),
                    "leader_to_others_ratio": round(curve.ratio, 5),
                    "excess_votes": _votes(value),
                }
            )
    central, curve = excess_votes(turnout, leader, others, reference_upper=peak, width=0.01)
    curve.peak = peak
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_SHPILKIN]))
    n = len(turnout)
    boot = []
    for _ in range(bootstrap):
        pick = rng.integers(0, n, n)
        t, lead, oth = turnout[pick], leader[pick], others[pick]
        boot.append(excess_votes(t, lead, oth, reference_upper=others_peak(t, oth), width=0.01)[0])
    finite = [b for b in boot if np.isfinite(b)]
    interval = [float(q) for q in np.percentile(finite, [2.5, 97.5])] if len(finite) > 1 else None
    return ShpilkinResult(
        peak=peak,
        central=central,
        ratio=curve.ratio,
        estimates=estimates,
        interval95=interval,
        leader_votes=float(leader.sum()),
        valid_votes=float(leader.sum() + others.sum()),
        curve=curve,
        bootstrap=boot,
    )
