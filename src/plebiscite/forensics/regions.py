"""The same figures per region, because fraud in Russia (and elsewhere) is organised regionally.

A national excess of integer percentages can come from a handful of regions; a per-region table shows where.
The integer test's Monte Carlo already tracks every region, so these numbers cost nothing extra. The excess-vote
estimate is split the same way: with the national leader/others ratio k, region r contributes
leader_r - k * others_r, and the contributions add up exactly to the national estimate -- so the table says which
regions drive it. Digit tests get a per-region p-value (not corrected for testing many regions).
"""

from __future__ import annotations

import numpy as np

from plebiscite.forensics.association import AssociationResult
from plebiscite.forensics.digits import DigitResult
from plebiscite.forensics.election import Election
from plebiscite.forensics.integer import IntegerResult
from plebiscite.forensics.shpilkin import ShpilkinResult


def _rounded_p(value: float) -> float | None:
    return float(f"{value:.3g}") if np.isfinite(value) else None


def region_table(
    election: Election,
    integer: IntegerResult,
    association: AssociationResult,
    excess_votes: ShpilkinResult | None = None,
    digits: tuple[DigitResult, ...] = (),
) -> list[dict[str, object]]:
    """One row per region: size, turnout and share, integer test, excess-vote share, digits, association z."""
    codes = election.region_codes
    nr = len(election.region_names)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values.astype(np.float64), minlength=nr)

    stations = np.bincount(codes, minlength=nr)
    registered = total(election.registered)
    issued = total(election.issued)
    cast = total(election.cast)
    leader = total(election.leader)
    turnout = election.turnout
    high = np.bincount(codes, weights=(turnout > 0.9).astype(np.float64), minlength=nr)
    if excess_votes is not None and np.isfinite(excess_votes.ratio):
        contribution = leader - excess_votes.ratio * total(election.others)
        national = float(contribution.sum())
    else:
        contribution, national = np.full(nr, np.nan), float("nan")
    digit_p = {d.test: d.region_stats()[1] for d in digits}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(nr + 1))
    rows = []
    for r in range(nr):
        if stations[r] == 0:
            continue
        members = turnout[order[bounds[r] : bounds[r + 1]]]
        q1, median, q3 = (float(v) for v in np.percentile(members, [25, 50, 75]))
        expected = float(integer.region_expected[r])
        sd = float(np.sqrt(integer.region_var[r]))
        excess = float(integer.region_observed[r]) - expected
        rows.append(
            {
                "region": election.region_names[r],
                "stations": int(stations[r]),
                "registered": int(registered[r]),
                "turnout": round(issued[r] / registered[r], 4),
                "leader_share": round(leader[r] / cast[r], 4) if cast[r] else None,
                "station_turnout_median": round(median, 4),
                "station_turnout_iqr": [round(q1, 4), round(q3, 4)],
                "stations_turnout_over_90pct": int(high[r]),
                "integer_eligible": int(integer.region_eligible[r]),
                "integer_observed": int(integer.region_observed[r]),
                "integer_expected": round(expected, 2),
                "integer_excess": round(excess, 2),
                "integer_z": round(excess / sd, 3) if sd > 0 else None,
                "association_z": (
                    round(float(association.group_z[r]), 3) if np.isfinite(association.group_z[r]) else None
                ),
                "excess_votes": round(float(contribution[r])) if np.isfinite(contribution[r]) else None,
                "excess_votes_share_of_national": (
                    round(float(contribution[r]) / national, 4)
                    if national and np.isfinite(national)
                    else None
                ),
            }
            | {f"p_{_key(test)}": _rounded_p(float(p[r])) for test, p in digit_p.items()}
        )
    return rows


def _key(test: str) -> str:
    return "last_digit" if test.startswith("last") else "second_digit"


def concentration(rows: list[dict[str, object]], key: str, top: int = 5) -> dict[str, object] | None:
    """How much of a national excess the `top` regions with the largest contributions account for."""
    values = [(str(r["region"]), float(v)) for r in rows if isinstance(v := r.get(key), int | float)]
    total = sum(v for _, v in values)
    if not values or total <= 0:
        return None
    values.sort(key=lambda item: -item[1])
    head = values[:top]
    return {
        "regions": [name for name, _ in head],
        "share_of_national_excess": round(sum(v for _, v in head) / total, 4),
        "of_regions": len(values),
    }
