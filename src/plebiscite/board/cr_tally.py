"""The coercion-resistant tally on a running board: trustees post their steps in turn; the board checks each with
the verifier's functions and posts the steps that need no secret.

Turn order and inputs come from :mod:`plebiscite.coercion.turns` (the verifier's walk over the record). The
administrator only says *when* and *who*: ``start_precompute`` names the tally set while voting runs (the roll
precomputation must be complete before ``close``), ``start_tally`` opens the tally after close. The board's own
events (``cr-dedup``, ``tally``) are computed from the record alone. Every function runs under the election's
exclusive lock and appends through ``Conduct.post``, so a refused step writes nothing and a SIGKILL loses nothing
accepted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from plebiscite.board.refusals import Refusal
from plebiscite.coercion import events as cev
from plebiscite.coercion import turns
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.verify_steps import Memo
from plebiscite.conduct import Conduct
from plebiscite.record import events as ev
from plebiscite.record.state import PhaseError

Events = Callable[[], list[ev.Event]]

FIELDS: dict[str, frozenset[str]] = {
    cev.TALLY_KEYS: frozenset({"trustee", "dedup", "match", "signature"}),
    cev.ROLL_SHUFFLE: frozenset({"trustee", "rows", "proof", "signature"}),
    cev.SHUFFLE: frozenset({"trustee", "list", "rows", "proof", "signature"}),
    cev.FOLD_BLIND: frozenset({"trustee", "outputs", "proofs", "signature"}),
    **{
        k: frozenset({"trustee", "a", "b", "proofs", "signature"})
        for k in (cev.ROLL_TAGS, cev.DEDUP_PASS, cev.MATCH_PASS, cev.FOLD_EXP)
    },
}
BOARD_KINDS = (cev.DEDUP, ev.TALLY)


def is_coercion_resistant(conduct: Conduct) -> bool:
    manifest = conduct.state.manifest
    return manifest is not None and manifest.mode == cev.MODE


def _describe(turn: turns.Turn | None) -> str:
    if turn is None:
        return "every coercion-resistant tally step is on the board"
    who = "the administrator" if turn.trustee is None else f"trustee {turn.trustee}"
    return f"the next step is {turn.kind} by {who}"


class TallyWork:
    """What the board keeps between trustee posts of one coercion-resistant election.

    The record as read so far (the board only appends, so each post reads only the entries added since), the walk's
    :class:`~plebiscite.coercion.verify_steps.Memo` (each post decodes and derives only what the new events add),
    and the processes that check a post's proofs — spawned, since the server is threaded (a forked child can inherit
    a lock another thread holds). None of it decides what is checked: every post's proofs are checked in full.
    """

    def __init__(self, read_from: Callable[[int], list[ev.Event]], workers: int | None = None) -> None:
        self._read_from = read_from
        self._events: list[ev.Event] = []
        self._lock = threading.Lock()
        self.memo = Memo()
        self.pool = Workers(workers, start="spawn")

    def events(self) -> list[ev.Event]:
        with self._lock:
            self._events.extend(self._read_from(len(self._events)))
            return list(self._events)

    def warm(self) -> None:
        """Start the check processes in the background (a spawned process takes about a second to start)."""
        threading.Thread(target=self.pool.warm, name="cr-tally-warm", daemon=True).start()

    def walk(self, events: list[ev.Event]) -> turns.Walk:
        """The walk over the record as it is (every event on it was checked when it was accepted)."""
        return turns.walk(events, check_from=len(events), memo=self.memo, pool=self.pool)

    def close(self) -> None:
        self.pool.close()


def _work(work: TallyWork | None) -> TallyWork:
    """The given state, or a throw-away one (one walk, checks in this process) for callers without a board."""
    return work if work is not None else TallyWork(lambda _start: [], workers=1)


def accept_turn(
    conduct: Conduct,
    events: list[ev.Event],
    kind: str,
    payload: dict[str, Any],
    index: int,
    work: TallyWork | None = None,
) -> None:
    """A trustee's tally step: its turn, exact fields, the verifier's checks; then the board's own steps."""
    work = _work(work)
    phase = "voting" if kind in turns.PRECOMPUTE_KINDS else "closed"
    try:
        conduct.state.require(phase)
    except PhaseError as exc:
        raise Refusal(409, f"phase: out-of-order: {exc}") from None
    try:
        current = work.walk(events)
    except ValueError as exc:
        raise Refusal(409, f"phase: out-of-order: {exc}") from None
    turn = current.turn
    if turn is None or (turn.kind, turn.trustee) != (kind, index):
        if any(e.type == kind and e.payload.get("trustee") == index for e in events):
            raise Refusal(409, f"trustee: step-already-done: trustee {index} has already posted its {kind}")
        raise Refusal(409, f"phase: out-of-order: {_describe(turn)}")
    if set(payload) != FIELDS[kind]:
        raise Refusal(422, f"{kind}: fields must be exactly {', '.join(sorted(FIELDS[kind]))}")
    checked = turns.check_candidate(events, kind, payload, memo=work.memo, pool=work.pool)
    if checked.failures:
        raise Refusal(422, f"{kind}: {checked.failures[0]}")
    event = conduct.post(kind, payload)
    post_board_steps(conduct, [*events, event], checked.turn, work)


def post_board_steps(
    conduct: Conduct, events: list[ev.Event], turn: turns.Turn | None, work: TallyWork | None = None
) -> None:
    """Post ``cr-dedup`` and ``tally`` when they are next (``turn``, from the walk that checked the last event):
    they are functions of the record."""
    work = _work(work)
    while turn is not None and turn.trustee is None and turn.kind in BOARD_KINDS:
        event = conduct.post(turn.kind, turn.inputs)
        events = [*events, event]
        turn = work.walk(events).turn


def start_precompute(
    conduct: Conduct, events: list[ev.Event], trustees: Any, work: TallyWork | None = None
) -> dict[str, Any]:
    """``cr-precompute``: the tally set, named by the administrator while voting runs."""
    state = conduct.state
    state.require("voting")
    ctx = conduct.context
    if not isinstance(trustees, list) or not all(type(j) is int for j in trustees):
        raise ValueError("trustees: expected a list of trustee indices")
    if (
        trustees != sorted(set(trustees))
        or not set(trustees) <= set(ctx.qualified)
        or len(trustees) < ctx.threshold
    ):
        raise ValueError(
            f"trustees: need at least {ctx.threshold} distinct qualified trustees {list(ctx.qualified)}, sorted"
        )
    turn = _work(work).walk(events).turn
    if turn is None or turn.kind != cev.PRECOMPUTE:
        raise PhaseError(f"the roll precomputation has already started ({_describe(turn)})")
    if turn.inputs < 2:
        raise ValueError("roll: a coercion-resistant tally needs at least two roll entries")
    if work is not None:
        work.warm()  # the trustees' first large post (a roll shuffle) comes soon
    return conduct.post(cev.PRECOMPUTE, {"trustees": trustees, "roll": turn.inputs}).payload


def close_guard(conduct: Conduct, events: list[ev.Event], work: TallyWork | None = None) -> None:
    """Refuse to close before the roll precomputation is complete (its events belong to the voting phase)."""
    turn = _work(work).walk(events).turn
    if turn is None or turn.kind != cev.TALLY_START:
        raise PhaseError(f"close: the roll precomputation must be complete first; {_describe(turn)}")


def start_tally(conduct: Conduct, events: list[ev.Event], work: TallyWork | None = None) -> dict[str, Any]:
    """``cr-tally-start`` after close: the precomputation's tally set and the number of ballots."""
    conduct.state.require("closed")
    current = _work(work).walk(events)
    turn = current.turn
    if turn is None or turn.kind != cev.TALLY_START:
        raise PhaseError(f"the tally has already started ({_describe(turn)})")
    if turn.inputs < 2:
        raise ValueError("ballots: a coercion-resistant tally needs at least two ballots")
    if work is not None:
        work.warm()
    return conduct.post(cev.TALLY_START, {"trustees": current.order, "ballots": turn.inputs}).payload
