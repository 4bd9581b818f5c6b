"""The same figures per region, because fraud in Russia (and elsewhere) is organised regionally.

A national excess of integer percentages can come from a handful of regions; a per-region table shows where.
The integer test's Monte Carlo already tracks every region, so these numbers cost nothing extra.
"""

from __future__ import annotations

import numpy as np

from plebiscite.forensics.association import AssociationResult
from plebiscite.forensics.election import Election
from plebiscite.forensics.integer import IntegerResult


def region_table(
    election: Election, integer: IntegerResult, association: AssociationResult
) -> list[dict[str, object]]:
    """One row per region: size, aggregate turnout and share, turnout spread, integer test, association z."""
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
            }
        )
    return rows
