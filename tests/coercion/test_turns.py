"""The walk that tells the board and the trustees whose turn it is (coercion/turns.py): on every prefix of a real
record it names the next tally event and its author, computes the events that need no secret exactly as the record
has them, and finds a tampered candidate with the verifier's own checks."""

from __future__ import annotations

import copy

from plebiscite.coercion import events as cev
from plebiscite.coercion import turns
from plebiscite.record import events as ev
from plebiscite.record.signing import sign

from .conftest import CrElection


def test_every_prefix_names_the_next_tally_event(cr_election: CrElection) -> None:
    events = cr_election.events
    opened = next(i for i, e in enumerate(events) if e.type == ev.ELECTION) + 1
    seen = 0
    for p in range(opened, len(events)):
        nxt = events[p]
        if nxt.type not in turns.PRECOMPUTE_KINDS | turns.TALLY_KINDS:
            continue
        w = turns.walk(events[:p], check_from=p)
        assert w.failures == [], (p, w.failures)
        assert w.turn is not None, p
        assert (w.turn.kind, w.turn.trustee) == (nxt.type, nxt.payload.get("trustee")), p
        if nxt.type in (cev.DEDUP, ev.TALLY):
            assert w.turn.inputs == nxt.payload  # the board computes these from the record alone
        seen += 1
    assert seen >= 2 + 3 * 2 + 2 + 5 * 2  # starts, precomputation, board events, tally passes of two trustees
    done = turns.walk([e for e in events if e.type not in (ev.PARTIAL_DECRYPTION, ev.RESULT)], len(events))
    assert done.turn is None and done.failures == []


def test_a_candidate_is_checked_with_the_verifiers_functions(cr_election: CrElection) -> None:
    events = cr_election.events
    for kind in (cev.ROLL_SHUFFLE, cev.DEDUP_PASS, cev.FOLD_EXP, cev.FOLD_BLIND, cev.TALLY_KEYS):
        p = next(i for i, e in enumerate(events) if e.type == kind)
        good = turns.check_candidate(events[:p], kind, events[p].payload)
        assert good.failures == [], (kind, good.failures)
        bad = copy.deepcopy(events[p].payload)
        if kind == cev.TALLY_KEYS:
            bad["dedup"]["u"] = bad["match"]["u"]
        elif kind == cev.ROLL_SHUFFLE:
            bad["rows"][0], bad["rows"][1] = bad["rows"][1], bad["rows"][0]
            bad["rows"][0] = bad["rows"][0][::-1] if len(bad["rows"][0]) > 1 else [bad["rows"][0][0][::-1]]
        elif kind == cev.FOLD_BLIND:
            bad["outputs"][0] = bad["outputs"][1]
        else:
            bad["b"][0] = bad["b"][1]
        key = cr_election.trustees[bad["trustee"] - 1].signing_key
        resigned = sign(
            kind, {k: v for k, v in bad.items() if k != "signature"}, key
        )  # only the content is wrong
        refused = turns.check_candidate(events[:p], kind, resigned)
        assert refused.failures and "signature" not in refused.failures[0], (kind, refused.failures)
