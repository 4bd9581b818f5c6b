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

import contextlib
from dataclasses import dataclass
from typing import Any

from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import tally_views
from plebiscite.coercion.credentials import MacKey, decode_roll
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.setup_posts import mac_key_of
from plebiscite.coercion.verify_precompute import PrecomputeVerifier
from plebiscite.coercion.verify_stage import CHECKS, STANDARD
from plebiscite.coercion.verify_steps import Memo, NeedTurn
from plebiscite.coercion.verify_tally import TallyVerifier
from plebiscite.conduct import Conduct, DiscardSink
from plebiscite.elgamal import Ciphertext
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
STEP_KINDS = PRECOMPUTE_KINDS | TALLY_KINDS
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


@dataclass(frozen=True)
class _Setup:
    ctx: ElectionContext
    outcome: Any
    mac: MacKey | None
    roll: list[Ciphertext] | None


def _setup(events: tuple[ev.Event, ...]) -> _Setup:
    """What the walk needs from the setup events (ballots and tally steps play no part in it)."""
    state = ElectionState.from_events(list(events))
    ctx = state.context
    if ctx is None:
        raise ValueError("the election is not open: no tally step yet")
    conduct = Conduct(state, DiscardSink())
    mac = mac_key_of(conduct, list(events))
    roll_events = [e.payload for e in events if e.type == cev.ROLL]
    roll = decode_roll(roll_events[0], mac)[1] if mac is not None and roll_events else None
    return _Setup(ctx, conduct.ceremony_outcome(), mac, roll)


def walk(
    events: list[ev.Event],
    check_from: int,
    workers: int | None = 1,
    memo: Memo | None = None,
    pool: Workers | None = None,
    own: frozenset[int] = frozenset(),
) -> Walk:
    """Walk the record's coercion-resistant steps; proofs of events from index ``check_from`` on are checked,
    except those of ``own`` events (a trustee's own posts, byte for byte).

    ``memo`` (kept by the caller between walks of the same growing record) spares re-decoding and re-deriving what
    an earlier walk did; ``pool`` (else one of ``workers`` processes for this walk) runs the checks."""
    memo = memo if memo is not None else Memo()
    setup_events = tuple(e for e in events if e.type != cev.BALLOT and e.type not in STEP_KINDS)
    setup = memo.call("setup", _setup, setup_events)
    ctx, mac, roll = setup.ctx, setup.mac, setup.roll
    if mac is None or roll is None:
        raise ValueError("the election has no MAC key or encrypted roll")
    checks = {name: Check(0, name) for name in CHECKS}
    standard = {name: Check(0, name) for name in STANDARD}
    starts = [e.payload.get("trustees") for e in events if e.type == cev.PRECOMPUTE]
    order = list(starts[0]) if starts and isinstance(starts[0], list) else []
    turn = None
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(Workers(workers))
        try:
            pre = PrecomputeVerifier(
                checks, events, ctx, setup.outcome, pool, True, check_from, memo, own
            ).run(roll)
            if pre is not None:
                ballots = memo.call(  # checked by the board when cast
                    "ballots",
                    lambda cast: tally_views([e.payload for e in cast]),
                    tuple(e for e in events if e.type == cev.BALLOT),
                )
                TallyVerifier(checks, events, ctx, setup.outcome, mac, pool, True, check_from, memo, own).run(
                    ballots, pre, standard
                )
        except NeedTurn as need:
            turn = Turn(need.kind, need.trustee, need.inputs, need.last)
    failures = [f for c in (*checks.values(), standard["aggregation"]) for f in c.failures]
    return Walk(turn, failures, order, ctx, mac)


def check_candidate(
    events: list[ev.Event],
    kind: str,
    payload: dict[str, Any],
    workers: int | None = 1,
    memo: Memo | None = None,
    pool: Workers | None = None,
) -> Walk:
    """The walk with ``(kind, payload)`` appended, its proofs checked (the rest only decoded)."""
    candidate = ev.make_event(len(events), kind, payload)
    return walk([*events, candidate], len(events), workers, memo, pool)
