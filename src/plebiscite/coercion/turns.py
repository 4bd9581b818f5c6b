"""Whose turn it is in a coercion-resistant tally, and what they must transform — read from the record alone.

The board and every trustee run the verifier's own walk over the record (``verify_precompute.py``,
``verify_tally.py``) in *partial* mode: it stops at the first missing event and names it (:class:`Turn`), with the
inputs the verifier derived. ``check_from`` skips re-checking the proofs of events already checked (the board checked
each on arrival; a trustee remembers how far it verified), so one walk costs decoding, not verification.

* the board refuses a trustee's post unless it is that trustee's turn for that event type, then walks the record with
  the candidate appended and ``check_from`` at the candidate: any failure is the refusal's reason (422);
* after each accepted post, the board posts the events that need no secret (``cr-dedup``, ``tally``) itself;
* a trustee computes its turn from ``Turn.inputs`` with its secrets (``coercion/remote.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import tally_view
from plebiscite.coercion.credentials import MacKey, decode_roll
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.setup_posts import mac_key_of
from plebiscite.coercion.verify_precompute import PrecomputeVerifier
from plebiscite.coercion.verify_stage import CHECKS, STANDARD
from plebiscite.coercion.verify_steps import NeedTurn
from plebiscite.coercion.verify_tally import TallyVerifier
from plebiscite.conduct import Conduct, DiscardSink
from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState
from plebiscite.setup.election import ElectionContext
from plebiscite.verify.report import Check

PRECOMPUTE_KINDS = frozenset({cev.PRECOMPUTE, cev.TALLY_KEYS, cev.ROLL_SHUFFLE, cev.ROLL_TAGS})
TALLY_KINDS = frozenset(
    {
        cev.TALLY_START,
        cev.DEDUP_PASS,
        cev.DEDUP,
        cev.FOLD_EXP,
        cev.FOLD_BLIND,
        cev.SHUFFLE,
        cev.MATCH_PASS,
        ev.TALLY,
    }
)
TRUSTEE_KINDS = frozenset(
    {
        cev.TALLY_KEYS,
        cev.ROLL_SHUFFLE,
        cev.ROLL_TAGS,
        cev.DEDUP_PASS,
        cev.FOLD_EXP,
        cev.FOLD_BLIND,
        cev.SHUFFLE,
        cev.MATCH_PASS,
    }
)


@dataclass
class Turn:
    """The next event: its type, whose (None: the administrator starts it, or the board computes it), its inputs."""

    kind: str
    trustee: int | None
    inputs: Any
    last: bool


@dataclass
class Walk:
    turn: Turn | None
    """None: every coercion-resistant step is on the record (decryption, the standard one, comes next)."""
    failures: list[str]
    order: list[int]
    """The tally set (empty before ``cr-precompute``)."""
    ctx: ElectionContext
    mac: MacKey

    def lam(self, trustee: int) -> int:
        return lagrange_at_zero(trustee, self.order)


def walk(events: list[ev.Event], check_from: int, workers: int | None = 1) -> Walk:
    """Walk the record's coercion-resistant steps; proofs of events from index ``check_from`` on are checked."""
    # the setup is all the walk needs from the state: ballots are read as tally views below, not decoded twice
    state = ElectionState.from_events([e for e in events if e.type != cev.BALLOT])
    ctx = state.context
    if ctx is None:
        raise ValueError("the election is not open: no tally step yet")
    conduct = Conduct(state, DiscardSink())
    outcome = conduct.ceremony_outcome()
    mac = mac_key_of(conduct, events)
    roll_events = [e.payload for e in events if e.type == cev.ROLL]
    if mac is None or not roll_events:
        raise ValueError("the election has no MAC key or encrypted roll")
    _, roll, _ = decode_roll(roll_events[0], mac)
    ballots = [
        tally_view(e.payload) for e in events if e.type == cev.BALLOT
    ]  # checked by the board when cast
    checks = {name: Check(0, name) for name in CHECKS}
    standard = {name: Check(0, name) for name in STANDARD}
    starts = [e.payload.get("trustees") for e in events if e.type == cev.PRECOMPUTE]
    order = list(starts[0]) if starts and isinstance(starts[0], list) else []
    turn = None
    with Workers(workers) as pool:
        try:
            pre = PrecomputeVerifier(checks, events, ctx, outcome, pool, True, check_from).run(roll)
            if pre is not None:
                TallyVerifier(checks, events, ctx, outcome, mac, pool, True, check_from).run(
                    ballots, pre, standard
                )
        except NeedTurn as need:
            turn = Turn(need.kind, need.trustee, need.inputs, need.last)
    failures = [f for c in (*checks.values(), standard["aggregation"]) for f in c.failures]
    return Walk(turn, failures, order, ctx, mac)


def check_candidate(
    events: list[ev.Event], kind: str, payload: dict[str, Any], workers: int | None = 1
) -> Walk:
    """The walk with ``(kind, payload)`` appended, its proofs checked (the rest only decoded)."""
    candidate = ev.make_event(len(events), kind, payload)
    return walk([*events, candidate], len(events), workers)
