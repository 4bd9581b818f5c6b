"""In-memory form of one election: validated per-station counts as numpy arrays.

Every method works on these arrays, not on the original table, so that the reading rules (which rows are kept,
which denominators are used) are decided once, in reading.py, and documented once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ExcludedRow:
    """A data row left out of the analysis, with its file line number (header = line 1) and why."""

    line: int
    unit: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "unit": self.unit, "reasons": list(self.reasons)}


@dataclass
class ReadLog:
    """What happened while reading: rows seen, rows dropped and why, and oddities that were kept."""

    source: str
    rows_read: int = 0
    excluded: list[ExcludedRow] = field(default_factory=list)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    leader_detected_by: str = ""
    column_roles: dict[str, list[str]] = field(default_factory=dict)
    layout: dict[str, object] = field(default_factory=dict)

    @property
    def rows_excluded(self) -> int:
        return len(self.excluded)

    def as_dict(self, max_rows: int = 1000) -> dict[str, object]:
        """JSON-ready summary; the excluded-row list is cut at `max_rows` to keep output readable."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_used": self.rows_read - self.rows_excluded,
            "rows_excluded": self.rows_excluded,
            "excluded_by_reason": dict(sorted(self.excluded_by_reason.items())),
            "excluded_rows": [row.as_dict() for row in self.excluded[:max_rows]],
            "excluded_rows_truncated": self.rows_excluded > max_rows,
            "warnings": dict(sorted(self.warnings.items())),
            "leader_detected_by": self.leader_detected_by,
            "column_roles": self.column_roles,
            "layout": self.layout,
        }


@dataclass
class Election:
    """Validated per-station counts.

    Definitions used throughout (the same as Kobak, Shpilkin & Pshenichnikov 2016):
    * turnout = ballots issued / registered voters;
    * leader share = leader's votes / ballots cast (ballots found in the boxes, valid + invalid).
    """

    registered: IntArray
    issued: IntArray
    cast: IntArray
    valid: IntArray
    votes: IntArray  # shape (stations, options)
    option_names: list[str]
    leader_index: int
    region_codes: IntArray
    region_names: list[str]
    units: NDArray[np.str_]
    lines: IntArray
    log: ReadLog

    def __post_init__(self) -> None:
        n = len(self.registered)
        for name in ("issued", "cast", "valid", "region_codes", "units", "lines"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {n}")
        if self.votes.shape != (n, len(self.option_names)):
            raise ValueError("votes matrix does not match stations x options")

    @property
    def stations(self) -> int:
        return len(self.registered)

    @property
    def leader_name(self) -> str:
        return self.option_names[self.leader_index]

    @property
    def leader(self) -> IntArray:
        return self.votes[:, self.leader_index]

    @property
    def others(self) -> IntArray:
        """Valid votes not for the leader: the 'control group' of Shpilkin's method."""
        return self.valid - self.leader

    @property
    def turnout(self) -> FloatArray:
        return self.issued / self.registered

    @property
    def leader_share(self) -> FloatArray:
        return self.leader / self.cast

    def subset(self, mask: NDArray[np.bool_]) -> Election:
        """Stations selected by `mask` (regions keep their codes so tables stay comparable)."""
        return Election(
            registered=self.registered[mask],
            issued=self.issued[mask],
            cast=self.cast[mask],
            valid=self.valid[mask],
            votes=self.votes[mask],
            option_names=self.option_names,
            leader_index=self.leader_index,
            region_codes=self.region_codes[mask],
            region_names=self.region_names,
            units=self.units[mask],
            lines=self.lines[mask],
            log=self.log,
        )

    def summary(self) -> dict[str, object]:
        """Totals and aggregate rates, for the report header and JSON."""
        registered = int(self.registered.sum())
        issued = int(self.issued.sum())
        cast = int(self.cast.sum())
        leader = int(self.leader.sum())
        return {
            "stations": self.stations,
            "regions": len(np.unique(self.region_codes)),
            "registered": registered,
            "ballots_issued": issued,
            "ballots_cast": cast,
            "valid": int(self.valid.sum()),
            "leader": self.leader_name,
            "leader_votes": leader,
            "turnout": issued / registered if registered else float("nan"),
            "leader_share": leader / cast if cast else float("nan"),
            "option_totals": {
                name: int(total)
                for name, total in zip(self.option_names, self.votes.sum(axis=0), strict=True)
            },
        }
