"""The walk that tells the board and the trustees whose turn it is (coercion/turns.py): on every prefix of a real
record it names the next tally event and its author, computes the events that need no secret exactly as the record
has them, and finds a tampered candidate with the verifier's own checks."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from plebiscite.board.cr_tally import TallyWork, accept_turn
from plebiscite.board.refusals import Refusal
from plebiscite.coercion import events as cev
from plebiscite.coercion import turns
from plebiscite.coercion.steps import SHUFFLES
from plebiscite.coercion.verify_steps import Memo
from plebiscite.conduct import Conduct, DiscardSink
from plebiscite.record import events as ev
from plebiscite.record.signing import sign
from plebiscite.record.state import ElectionState

from .conftest import CrElection, build


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


def _tampered(cr_election: CrElection, kind: str) -> tuple[int, list[ev.Event]]:
    """The record with the first ``kind`` event's content changed and re-signed by its trustee (only the content is
    wrong), and that event's index."""
    events = cr_election.events
    p = next(i for i, e in enumerate(events) if e.type == kind)
    bad = copy.deepcopy(events[p].payload)
    if kind in SHUFFLES:
        bad["rows"][0], bad["rows"][1] = bad["rows"][1], bad["rows"][0]
    elif kind == cev.FOLD_BLIND:
        bad["outputs"][0] = bad["outputs"][1]
    else:
        bad["b"][0] = bad["b"][1]
    key = cr_election.trustees[bad["trustee"] - 1].signing_key
    resigned = sign(kind, {k: v for k, v in bad.items() if k != "signature"}, key)
    return p, [*events[:p], ev.make_event(p, kind, resigned), *events[p + 1 :]]


def test_a_memo_from_earlier_walks_never_hides_a_tampered_event(cr_election: CrElection) -> None:
    """A trustee's and the board's walks keep decodings and derived lists between turns (``Memo``); a walk over a
    record whose earlier event differs from the one remembered must find exactly what a fresh walk finds."""
    events = [e for e in cr_election.events if e.type not in (ev.PARTIAL_DECRYPTION, ev.RESULT)]
    kinds = (cev.ROLL_SHUFFLE, cev.ROLL_TAGS, cev.DEDUP_PASS, cev.FOLD_EXP, cev.FOLD_BLIND, cev.SHUFFLE)
    for kind in kinds:
        memo = Memo()
        opened = next(i for i, e in enumerate(events) if e.type == ev.ELECTION) + 1
        for p in range(opened, len(events) + 1):  # turn by turn, as a trustee follows the board
            assert turns.walk(events[:p], p - 1, memo=memo).failures == []
        p, tampered = _tampered(cr_election, kind)
        tampered = tampered[: len(events)]
        fresh = turns.walk(tampered, 0)
        remembered = turns.walk(tampered, 0, memo=memo)
        assert fresh.failures, kind
        assert remembered.failures == fresh.failures, kind
        assert f"event {p}" in remembered.failures[0], (kind, remembered.failures)
        # checked from the tampered event on, as a trustee that verified everything before it
        assert turns.walk(tampered, p, memo=memo).failures == fresh.failures, kind


def test_own_events_are_the_only_ones_left_unchecked(cr_election: CrElection) -> None:
    """A trustee does not re-check its own posts (``own``, found on the record byte for byte), and nothing else."""
    p, tampered = _tampered(cr_election, cev.SHUFFLE)
    tampered = tampered[: p + 1]  # as the trustee sees the record right after its post
    assert turns.walk(tampered, 0, own=frozenset({p})).failures == []
    other = next(e.index for e in tampered if e.type == cev.FOLD_BLIND)  # another trustee step
    found = turns.walk(tampered, 0, own=frozenset({other})).failures
    assert found and f"event {p}" in found[0]


def test_the_boards_pooled_check_refuses_a_wrong_proof_with_the_named_422(tmp_path: Path) -> None:
    """The board checks trustee posts in spawned processes (``TallyWork``, as in the threaded server): a wrong
    shuffle (≥ 128 rows, so the proof's sums are split over the processes) gets the same 422 as the one-process
    check and changes nothing; the genuine post is then accepted."""
    election = build(tmp_path / "record", voters=130, coerced=(0,))
    events = election.events
    p, tampered = _tampered(election, cev.SHUFFLE)
    before = events[:p]

    def conduct() -> Conduct:
        return Conduct(ElectionState.from_events(before), DiscardSink())

    trustee = events[p].payload["trustee"]
    work = TallyWork(lambda start: before[start:], workers=2)
    try:
        with pytest.raises(Refusal) as pooled:
            accept_turn(conduct(), work.events(), cev.SHUFFLE, tampered[p].payload, trustee, work)
        assert work.pool._pool is not None  # the check ran in the spawned processes
        with pytest.raises(Refusal) as inline:
            accept_turn(conduct(), before, cev.SHUFFLE, tampered[p].payload, trustee)
        assert pooled.value.status == inline.value.status == 422
        assert pooled.value.detail == inline.value.detail
        assert pooled.value.detail.startswith(f"{cev.SHUFFLE}: event {p}: trustee {trustee}'s shuffle")
        assert len(work.events()) == p  # nothing appended
        accepted = conduct()
        accept_turn(accepted, work.events(), cev.SHUFFLE, events[p].payload, trustee, work)
        assert accepted.state.size == p + 1
    finally:
        work.close()
