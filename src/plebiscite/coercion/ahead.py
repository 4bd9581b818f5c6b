"""A tally trustee's rows computed on its own machine while voting runs (``plebiscite trustee ahead``).

After the roll precomputation has fixed the tally set and this trustee's tag keys, and until close, every round:
follow the board (``Follower``: each signed head checked, the log proven consistent with the last one seen), walk
the record's steps with the verifier's checks from where this trustee last verified (its non-ballot events: the
board checked each ballot when it was cast, and the tally's walk does not check them either), and for the
``cr-ballot`` events cast since the last round compute this trustee's MAC-fold rows ``E_t = (λ_t s_t)·C1`` — and,
for the **first** trustee of the tally set, its duplicate-elimination pass — kept encrypted in its mirror
directory (``rows_store.py``). Nothing is posted.

The tally's input set is every cast ballot's ``C1`` (the dedup pass) and the kept ones' (the fold), in record order.
Rows are keyed by ``C1``, so ``trustee tally`` (``load_rows``) takes exactly the rows of its inputs — a revote's
superseded ballot's row is never looked up — and computes those it lacks (ballots cast after the last round, or
whose segment was damaged) as it would without any (``steps.fold_exp``, ``steps.dedup_given``). A ballot the round
cannot decode gets no row here; the tally handles it as it would without rows ahead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from plebiscite.board.client import BoardClientError
from plebiscite.board.follow import Follower
from plebiscite.board.trustee_client import TrusteeBoardError
from plebiscite.coercion import events as cev
from plebiscite.coercion import remote, steps, turns
from plebiscite.coercion.ballot import tally_view, tally_views
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.rows_store import Exponents, Rows, exponents
from plebiscite.coercion.verify_steps import Memo
from plebiscite.elgamal import Ciphertext
from plebiscite.keyceremony.remote import Step
from plebiscite.record import events as ev


@dataclass
class Round:
    """What one round found and did (for the progress display)."""

    ballots: int
    """``cr-ballot`` events on the record."""
    kept: int
    """Ballots whose rows this trustee keeps."""
    computed: int
    """Rows computed in this round (fold, plus the dedup pass for the first trustee)."""
    seconds: float
    closed: bool
    waiting: str = ""
    """Non-empty: why nothing could be computed yet (e.g. the precomputation is not complete)."""


def _credentials(payloads: list[dict[str, Any]]) -> list[Ciphertext]:
    """The ballots' ``C1`` as the tally decodes them; one that does not decode is left out (no row for it)."""
    try:
        return [v.credential for v in tally_views(payloads)]
    except (KeyError, IndexError, TypeError, ValueError):
        out = []
        for p in payloads:
            try:
                out.append(tally_view(p).credential)
            except (KeyError, IndexError, TypeError, ValueError):
                continue
        return out


class _Keeper:
    """The rows this trustee keeps: which ballots are done (their ``C1``), topped up round by round."""

    def __init__(self, pool: Workers, x: Exponents) -> None:
        self.pool, self.x = pool, x
        self.done = set(x.store.load("fold", x.fold_id))
        self.dedup_done = set(x.store.load("dedup", x.dedup_id)) if x.dedup is not None else set()

    def add(self, creds: Sequence[Ciphertext]) -> int:
        computed = self._top_up("fold", self.done, self.x.fold, 0, self.x.fold_id, creds)
        if self.x.dedup is not None:
            z, u = self.x.dedup
            computed += self._top_up("dedup", self.dedup_done, z, u, self.x.dedup_id, creds)
        return computed

    def _top_up(
        self, kind: str, done: set[bytes], z: int, u: int, exponent: bytes, creds: Sequence[Ciphertext]
    ) -> int:
        fresh: Rows = {}
        steps.compute_missing(self.pool, fresh, z, u, [ct for ct in creds if ct.a + ct.b not in done])
        self.x.store.append(kind, exponent, fresh)  # on disk (atomically) before it counts as done
        done.update(fresh)
        return len(fresh)


def run_ahead(
    step: Step,
    until_close: bool = True,
    workers: int | None = None,
    poll: float = 5.0,
    on_round: Callable[[Round], None] = lambda _r: None,
) -> Round:
    """Rounds until voting is closed (``until_close``; else one round); returns the last round. Interrupting it
    (Ctrl-C) loses nothing: every segment written is whole, and the next run takes up from what is kept."""
    memo = Memo()
    verified = remote.verified_so_far(step)
    me = step.seat.index
    board = step.board
    keeper: _Keeper | None = None
    seen = 0  # events whose ballots this run has covered
    last = Round(0, 0, 0, 0.0, False)
    with (
        Workers(workers) as pool,
        Follower(board.url, board.mirror_dir, step.view.events, board.timeout) as follower,
    ):
        first = True
        while True:
            t0 = time.monotonic()
            events = _before_tally(follower.events, first)
            first = False
            closed = any(e.type == ev.CLOSE for e in events)
            steps_only = [e for e in events if e.type != cev.BALLOT]
            try:
                walk = turns.walk(steps_only, verified, memo=memo, pool=pool)
            except ValueError as exc:
                raise TrusteeBoardError(f"no rows to compute yet: {exc}") from None
            if walk.failures:
                raise TrusteeBoardError(f"the record does not verify, not taking part: {walk.failures[0]}")
            verified = len(events)
            if walk.order and me not in walk.order:
                raise TrusteeBoardError(f"trustee {me} is not in the tally set {walk.order}")
            ballots = sum(1 for e in events if e.type == cev.BALLOT)
            if walk.turn is None:  # cannot be before cr-tally-start; refused rather than assumed
                raise TrusteeBoardError("the record has every tally step already: nothing to compute ahead")
            if walk.turn.kind != cev.TALLY_START:  # the roll precomputation is not complete
                if closed or not until_close:
                    raise TrusteeBoardError(
                        f"the roll precomputation is not complete ({walk.turn.kind} is next): "
                        "run `plebiscite trustee precompute` first"
                    )
                last = Round(ballots, 0, 0, time.monotonic() - t0, closed, f"{walk.turn.kind} is next")
            else:
                if keeper is None:
                    tt = remote.tally_trustee(step, steps_only, walk)
                    keeper = _Keeper(pool, exponents(step, tt, walk))
                new = [e.payload for e in events[seen:] if e.type == cev.BALLOT]
                computed = keeper.add(_credentials(new))
                seen = len(events)
                last = Round(ballots, len(keeper.done), computed, time.monotonic() - t0, closed)
            on_round(last)
            if closed or not until_close:
                break
            _wait(follower, len(follower.events), poll)
    step.view = board.view()
    remote.remember(step, min(verified, len(step.view.events)))
    return last


def _before_tally(events: list[ev.Event], first: bool) -> list[ev.Event]:
    """The record up to ``cr-tally-start`` (voting is closed by then: no ballot comes after). Refused when the tally
    had started before this run: ``trustee tally`` is what is due, and it removes the rows when done."""
    start = next((e.index for e in events if e.type == cev.TALLY_START), None)
    if start is None:
        return events
    if first:
        raise TrusteeBoardError("the tally has started: run `plebiscite trustee tally`")
    return events[:start]


def _wait(follower: Follower, size: int, poll: float) -> None:
    """Until the board's log grows past ``size`` (no deadline: voting may last days; Ctrl-C stops it)."""
    while True:
        time.sleep(poll)
        try:
            if follower.size() > size:
                break
        except (BoardClientError, ValueError, KeyError, TypeError):
            continue  # unreachable for a moment: keep following
    try:
        follower.refresh()
    except BoardClientError as exc:
        raise TrusteeBoardError(str(exc)) from None
