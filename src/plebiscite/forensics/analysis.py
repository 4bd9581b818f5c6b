"""Run every method on one election and collect the figures (the CLI, report and bench all call this).

Each stage reports progress through a callback so the CLI can show a live status without this module knowing
about terminals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plebiscite.forensics.association import (
    AssociationResult,
    TailResult,
    turnout_share_association,
    upper_tail_test,
)
from plebiscite.forensics.digits import DigitResult, last_digit_test, second_digit_test
from plebiscite.forensics.election import Election
from plebiscite.forensics.integer import IntegerResult, integer_test
from plebiscite.forensics.klimek import KlimekFit, fit_klimek
from plebiscite.forensics.mixture import MixtureFit, fit_mixture
from plebiscite.forensics.regions import concentration, region_table
from plebiscite.forensics.rozenas import SpikeResult, spike_test
from plebiscite.forensics.shpilkin import ShpilkinResult, shpilkin

Progress = Callable[[str, float], None]

STAGES = (
    "integer percentages",
    "spike test (leader share)",
    "spike test (turnout)",
    "fingerprint fit",
    "fraud mixture (Mebane)",
    "excess votes",
    "digit tests",
    "associations and regions",
)


@dataclass(frozen=True)
class AnalysisOptions:
    """Knobs of the Monte Carlo and bootstrap; defaults keep a 100,000-station report well under 15 s."""

    seed: int = 1
    runs: int = 100
    spike_runs: int | None = None  # default: max(50, runs // 2)
    klimek_bootstrap: int = 30
    mixture_bootstrap: int = 0  # 0: Wald intervals from the outer product of scores
    shpilkin_bootstrap: int = 50
    workers: int | None = None

    @property
    def effective_spike_runs(self) -> int:
        return self.spike_runs if self.spike_runs is not None else max(50, self.runs // 2)


@dataclass
class Analysis:
    election: Election
    options: AnalysisOptions
    integer: IntegerResult
    spikes_share: SpikeResult
    spikes_turnout: SpikeResult
    klimek: KlimekFit
    klimek_share_only: KlimekFit
    mixture: MixtureFit
    shpilkin: ShpilkinResult
    association: AssociationResult
    tail: TailResult
    last_digit: DigitResult
    second_digit: DigitResult
    regions: list[dict[str, object]]
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """All figures, JSON-ready (NaN/inf become null)."""
        klimek = self.klimek.as_dict()
        klimek["share_only_fit"] = {
            k: v for k, v in self.klimek_share_only.as_dict().items() if k in ("f_i", "f_e", "theta", "alpha")
        }
        out = {
            "input": self.election.log.as_dict(),
            "summary": self.election.summary(),
            "options": {
                "seed": self.options.seed,
                "runs": self.options.runs,
                "spike_runs": self.options.effective_spike_runs,
                "klimek_bootstrap": self.options.klimek_bootstrap,
                "mixture_bootstrap": self.options.mixture_bootstrap,
                "shpilkin_bootstrap": self.options.shpilkin_bootstrap,
            },
            "integer_percentages": self.integer.as_dict(),
            "coarse_fraction_spikes": {
                "leader_share": self.spikes_share.as_dict(),
                "turnout": self.spikes_turnout.as_dict(),
            },
            "klimek": klimek,
            "mixture": self.mixture.as_dict(),
            "shpilkin": self.shpilkin.as_dict(),
            "turnout_share_association": self.association.as_dict(),
            "stuffing_upper_tail": self.tail.as_dict(),
            "digits": {"last_digit": self.last_digit.as_dict(), "second_digit": self.second_digit.as_dict()},
            "regions": self.regions,
            "concentration": {
                "integer_excess": concentration(self.regions, "integer_excess"),
                "excess_votes": concentration(self.regions, "excess_votes"),
            },
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
        }
        return _jsonable(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return value


def analyse(
    election: Election, options: AnalysisOptions = AnalysisOptions(), progress: Progress | None = None
) -> Analysis:
    """Every method, in a fixed order with fixed seeds, so the same input and options give the same figures."""
    timings: dict[str, float] = {}

    def stage(name: str) -> Callable[[float], None]:
        if progress:
            progress(name, 0.0)
        timings[name] = time.perf_counter()

        def report(fraction: float) -> None:
            if progress:
                progress(name, fraction)

        return report

    def done(name: str) -> None:
        timings[name] = time.perf_counter() - timings[name]
        if progress:
            progress(name, 1.0)

    seed, workers = options.seed, options.workers
    name = STAGES[0]
    integer = integer_test(election, runs=options.runs, seed=seed, workers=workers, progress=stage(name))
    done(name)
    name = STAGES[1]
    spikes_share = spike_test(
        election.leader,
        election.cast,
        election.region_codes,
        quantity="leader_share",
        runs=options.effective_spike_runs,
        seed=seed,
        workers=workers,
        progress=stage(name),
    )
    done(name)
    name = STAGES[2]
    spikes_turnout = spike_test(
        election.issued,
        election.registered,
        election.region_codes,
        quantity="turnout",
        runs=options.effective_spike_runs,
        seed=seed,
        workers=workers,
        progress=stage(name),
    )
    done(name)
    name = STAGES[3]
    report = stage(name)
    klimek = fit_klimek(
        election.turnout,
        election.leader_share,
        seed=seed,
        bootstrap=options.klimek_bootstrap,
        also=("share",),
        workers=workers,
        progress=report,
    )
    klimek_share = klimek.variants["share"]
    done(name)
    name = STAGES[4]
    mixture = fit_mixture(
        election.turnout,
        election.leader_share,
        election.registered,
        election.region_codes if len(election.region_names) > 1 else None,
        bootstrap=options.mixture_bootstrap,
        seed=seed,
        progress=stage(name),
    )
    done(name)
    name = STAGES[5]
    stage(name)
    excess = shpilkin(
        election.turnout, election.leader, election.others, bootstrap=options.shpilkin_bootstrap, seed=seed
    )
    done(name)
    name = STAGES[6]
    stage(name)
    last_digit = last_digit_test(election)
    second = second_digit_test(election, seed=seed)
    done(name)
    name = STAGES[7]
    stage(name)
    n_regions = len(election.region_names)
    association = turnout_share_association(
        election.turnout, election.leader_share, election.region_codes, n_regions
    )
    tail = upper_tail_test(election.turnout, election.leader_share, election.region_codes)
    regions = region_table(election, integer, association, excess, (last_digit, second))
    done(name)
    return Analysis(
        election=election,
        options=options,
        integer=integer,
        spikes_share=spikes_share,
        spikes_turnout=spikes_turnout,
        klimek=klimek,
        klimek_share_only=klimek_share,
        mixture=mixture,
        shpilkin=excess,
        association=association,
        tail=tail,
        last_digit=last_digit,
        second_digit=second,
        regions=regions,
        timings=timings,
    )
