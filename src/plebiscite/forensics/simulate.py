"""Simulated elections, clean and falsified, to measure how often each method fires (power, false alarms).

Clean model. Station sizes are log-normal. Each region has its own turnout and support level (on the logit
scale, correlated across regions so that 'loyal regions also vote more' -- a confounder the tests must survive);
each station adds independent noise to both. Ballots issued ~ Binomial(registered, turnout); a few ballots are
taken home; invalid ~ Binomial(cast, rate); the leader's votes ~ Binomial(valid, support); the rest is split
among the other options. Within a region turnout and support are independent: the null hypothesis of the
association test holds exactly, and every count is an honest binomial outcome.

Fraud, each applied to its own random share of stations:
* stuffing: ballots for the leader equal to a fraction (drawn from `stuffing_intensity`) of the non-voters;
* transfer: a fraction of every other option's votes is moved to the leader (turnout unchanged);
* rounding: the protocol is rewritten so that turnout and the leader's share become whole percentages, or
  multiples of `rounding_step` percent (a few points above the true values, as a fabricator would write them);
* invented digits: the leader's count is rewritten to the nearest multiple of 5 (the difference goes to or
  comes from the second option), as a person inventing numbers would write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit

from plebiscite.forensics.election import Election, ReadLog
from plebiscite.forensics.montecarlo import STREAM_SIMULATION

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class SimulationSpec:
    stations: int = 5000
    regions: int = 20
    size_median: float = 1200.0
    size_sigma: float = 0.6
    min_size: int = 20
    turnout: float = 0.55
    turnout_region_sd: float = 0.35
    turnout_station_sd: float = 0.30
    leader: float = 0.45
    leader_region_sd: float = 0.40
    leader_station_sd: float = 0.30
    region_correlation: float = 0.5
    options: int = 4
    invalid_rate: float = 0.015
    lost_rate: float = 0.002


@dataclass(frozen=True)
class FraudSpec:
    stuffing_fraction: float = 0.0
    stuffing_intensity: tuple[float, float] = (0.15, 0.45)
    transfer_fraction: float = 0.0
    transfer_rate: tuple[float, float] = (0.1, 0.4)
    rounding_fraction: float = 0.0
    rounding_bump: int = 3
    rounding_step: int = 1
    invented_fraction: float = (
        0.0  # the leader's count rewritten to end in 0 or 5 (a human's favourite digits)
    )


@dataclass
class Truth:
    """What the simulator did, so tests can check estimates against it."""

    stuffed: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    transferred: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rounded: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    invented: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    stuffed_ballots: int = 0
    transferred_votes: int = 0


def _split_others(rng: np.random.Generator, total: IntArray, k: int) -> IntArray:
    """Split each station's non-leader votes among k options with station-specific Dirichlet proportions."""
    props = rng.dirichlet(np.full(k, 4.0), size=len(total))
    out = np.zeros((len(total), k), dtype=np.int64)
    remaining = total.copy()
    left = np.ones(len(total))
    for j in range(k - 1):
        p = np.clip(props[:, j] / np.maximum(left, 1e-12), 0, 1)
        out[:, j] = rng.binomial(remaining, p)
        remaining -= out[:, j]
        left -= props[:, j]
    out[:, k - 1] = remaining
    return out


def _pick(rng: np.random.Generator, n: int, fraction: float) -> NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=round(fraction * n), replace=False)] = True
    return mask


def _round_protocols(
    rng: np.random.Generator,
    sel: NDArray[np.bool_],
    reg: IntArray,
    issued: IntArray,
    cast: IntArray,
    invalid: IntArray,
    leader: IntArray,
    others: IntArray,
    bump: int,
    step: int,
) -> None:
    """Rewrite selected protocols in place so turnout and leader share become multiples of `step` percent."""
    idx = np.flatnonzero(sel)
    lost = issued[idx] - cast[idx]

    def target(pct: NDArray[np.float64]) -> NDArray[np.float64]:
        raised = step * np.rint(pct / step) + step * rng.integers(0, bump // step + 1, pct.size)
        return np.minimum(raised, 99 if step == 1 else 100 - step)

    target_t = target(100 * issued[idx] / reg[idx])
    new_issued = np.rint(reg[idx] * target_t / 100).astype(np.int64)
    new_cast = np.maximum(new_issued - lost, 1)
    new_invalid = np.minimum(invalid[idx], new_cast)
    valid = new_cast - new_invalid
    target_s = target(100 * leader[idx] / cast[idx])
    new_leader = np.minimum(np.rint(new_cast * target_s / 100).astype(np.int64), valid)
    rest = valid - new_leader
    old_rest = others[idx].sum(axis=1)
    weights = np.where(
        old_rest[:, None] > 0, others[idx] / np.maximum(old_rest, 1)[:, None], 1 / others.shape[1]
    )
    split = np.floor(weights * rest[:, None]).astype(np.int64)
    split[:, 0] += rest - split.sum(axis=1)
    issued[idx], cast[idx], invalid[idx], leader[idx], others[idx] = (
        new_issued,
        new_cast,
        new_invalid,
        new_leader,
        split,
    )


def simulate_election(
    spec: SimulationSpec = SimulationSpec(), fraud: FraudSpec = FraudSpec(), seed: int = 0
) -> tuple[Election, Truth]:
    """One simulated election (as an Election, so every method runs on it unchanged) and what was done."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_SIMULATION]))
    n, nr = spec.stations, spec.regions
    region = rng.integers(0, nr, n)
    reg = np.maximum(np.rint(rng.lognormal(np.log(spec.size_median), spec.size_sigma, n)), spec.min_size)
    reg = reg.astype(np.int64)
    cov = spec.region_correlation * spec.turnout_region_sd * spec.leader_region_sd
    region_fx = rng.multivariate_normal(
        [0.0, 0.0], [[spec.turnout_region_sd**2, cov], [cov, spec.leader_region_sd**2]], size=nr
    )
    p_turnout = expit(logit(spec.turnout) + region_fx[region, 0] + rng.normal(0, spec.turnout_station_sd, n))
    p_leader = expit(logit(spec.leader) + region_fx[region, 1] + rng.normal(0, spec.leader_station_sd, n))
    issued = rng.binomial(reg, p_turnout)
    cast = issued - rng.binomial(issued, spec.lost_rate)
    invalid = rng.binomial(cast, spec.invalid_rate)
    valid = cast - invalid
    leader = rng.binomial(valid, p_leader)
    others = _split_others(rng, valid - leader, spec.options - 1)

    truth = Truth()
    truth.transferred = _pick(rng, n, fraud.transfer_fraction)
    if truth.transferred.any():
        rate = rng.uniform(*fraud.transfer_rate, truth.transferred.sum())[:, None]
        moved = rng.binomial(others[truth.transferred], rate)
        others[truth.transferred] -= moved
        leader[truth.transferred] += moved.sum(axis=1)
        truth.transferred_votes = int(moved.sum())
    truth.stuffed = _pick(rng, n, fraud.stuffing_fraction)
    if truth.stuffed.any():
        s = truth.stuffed
        extra = np.rint(rng.uniform(*fraud.stuffing_intensity, s.sum()) * (reg[s] - issued[s])).astype(
            np.int64
        )
        issued[s] += extra
        cast[s] += extra
        leader[s] += extra
        truth.stuffed_ballots = int(extra.sum())
    truth.rounded = _pick(rng, n, fraud.rounding_fraction) & (reg >= 100)
    if truth.rounded.any():
        _round_protocols(
            rng,
            truth.rounded,
            reg,
            issued,
            cast,
            invalid,
            leader,
            others,
            fraud.rounding_bump,
            fraud.rounding_step,
        )

    truth.invented = _pick(rng, n, fraud.invented_fraction)
    if truth.invented.any():  # rounded to a multiple of 5 within the valid ballots (others shrink if needed)
        i = truth.invented
        valid_i = cast[i] - invalid[i]
        leader[i] = np.minimum(5 * np.rint(leader[i] / 5).astype(np.int64), valid_i)
        spare = valid_i - leader[i] - others[i].sum(axis=1)
        others[i, 0] += spare
        negative = others[i, 0] < 0
        if negative.any():
            idx = np.flatnonzero(i)[negative]
            leader[idx] += others[idx, 0]
            others[idx, 0] = 0
    votes = np.column_stack([leader, others])
    log = ReadLog(source=f"simulation(seed={seed})", rows_read=n, leader_detected_by="given")
    election = Election(
        registered=reg,
        issued=issued,
        cast=cast,
        valid=votes.sum(axis=1),
        votes=votes,
        option_names=["leader"] + [f"option {j + 2}" for j in range(spec.options - 1)],
        leader_index=0,
        region_codes=region.astype(np.int64),
        region_names=[f"region {r + 1}" for r in range(nr)],
        units=np.array([str(i + 1) for i in range(n)]),
        lines=np.arange(2, n + 2, dtype=np.int64),
        log=log,
    )
    return election, truth
