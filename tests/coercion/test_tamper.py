"""Tamper suite: one change to a finished coercion-resistant record; the named check must fail for that reason.

Trustee events are re-signed with the trustee's own key after the change (a malicious trustee), so the failure
comes from the proof, not from the signature.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import nacl.signing
import pytest

from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.demo import coercer_choice
from plebiscite.hazmat import group as G
from plebiscite.record import events as ev
from plebiscite.record.signing import sign
from plebiscite.verify.report import Report
from plebiscite.verify.runner import verify_events

from .conftest import CrElection


def rebuild(events: list[ev.Event]) -> list[ev.Event]:
    return [ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)]


def copied(e: CrElection) -> list[ev.Event]:
    return [ev.Event(x.index, x.type, copy.deepcopy(x.payload), x.raw) for x in e.events]


def verify(events: list[ev.Event]) -> Report:
    report = verify_events(rebuild(events), workers=1)
    assert not report.ok
    return report


def resign(e: CrElection, event: ev.Event) -> None:
    p = event.payload
    if event.type == cev.MAC_KEY:
        key = nacl.signing.SigningKey(e.registrar.signing_seed)
    else:
        key = next(t for t in e.trustees if t.index == p["trustee"]).signing_key
    p["signature"] = sign(event.type, p, key)["signature"]


def element() -> str:
    return G.mul_base(G.random_scalar()).hex()


def bump(value: str) -> str:
    return G.scalar_to_bytes(G.scalar_from_hex(value) + 1).hex()


def tamper(
    e: CrElection, kind: str, which: int, change: Callable[[dict[str, Any]], None], trustee_signs: bool = True
) -> list[ev.Event]:
    events = copied(e)
    target = [x for x in events if x.type == kind][which]
    change(target.payload)
    if trustee_signs and "signature" in target.payload:
        resign(e, target)
    return events


def assert_fails(report: Report, name: str, *fragments: str) -> None:
    check = report.by_name(name)
    assert not check.ok, f"{name} did not fail; failed: {report.failed()}"
    text = " | ".join(check.failures)
    for f in fragments:
        assert f in text, text
    assert "signature" not in text or "signature" in fragments, text


def test_untouched_record_verifies(cr_election: CrElection) -> None:
    report = verify_events(cr_election.events, workers=1)
    assert report.ok, report.failed()


CASES: list[tuple[str, str, int, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    (
        "cr: registrar MAC key",
        cev.MAC_KEY,
        0,
        lambda p: p["commitments"].__setitem__(1, element()),
        ("proofs",),
    ),
    (
        "cr: encrypted roll",
        cev.ROLL,
        0,
        lambda p: p["entries"][0]["credential"].__setitem__(1, element()),
        ("digests",),
    ),
    ("cr: ballot format", cev.BALLOT, 0, lambda p: p.update(election="11" * 32), ("another election",)),
    (
        "cr: credential proofs",
        cev.BALLOT,
        1,
        lambda p: p["proof"].__setitem__(2, bump(p["proof"][2])),
        ("credential proof",),
    ),
    (
        "cr: tally trustees and keys",
        cev.PRECOMPUTE,
        0,
        lambda p: p.update(trustees=[2, "x"]),
        ("cr-precompute.trustees",),
    ),
    (
        "cr: tally trustees and keys",
        cev.TALLY_START,
        0,
        lambda p: p.update(trustees=[2, 3, 1]),
        ("not the precomputation's",),
    ),
    (
        "cr: tally trustees and keys",
        cev.TALLY_KEYS,
        0,
        lambda p: p["match"].update(u=element()),
        ("chaum-pedersen",),
    ),
    (
        "cr: duplicate-elimination tags",
        cev.DEDUP_PASS,
        1,
        lambda p: p["b"].__setitem__(0, element()),
        ("dedup proof fails",),
    ),
    (
        "cr: duplicate-elimination tags",
        cev.DEDUP_PASS,
        0,
        lambda p: p["proofs"][0].__setitem__(1, bump(p["proofs"][0][1])),
        ("dedup proof fails",),
    ),
    ("cr: last-ballot rule", cev.DEDUP, 0, lambda p: p["kept"].pop(0), ("last ballot",)),
    (
        "cr: credential check (MAC share)",
        cev.FOLD_EXP,
        1,
        lambda p: p["a"].__setitem__(2, element()),
        ("fold-exp proof fails",),
    ),
    (
        "cr: credential check (MAC share)",
        cev.FOLD_EXP,
        0,
        lambda p: p["proofs"][0].__setitem__(1, bump(p["proofs"][0][1])),
        ("trustee 2's fold-exp proof fails",),
    ),
    (
        "cr: credential check (MAC share)",
        cev.FOLD_EXP,
        0,
        lambda p: p["proofs"][0].append(p["proofs"][0][1]),
        ("expected a list of 3",),
    ),
    (
        "cr: credential check (blinding)",
        cev.FOLD_BLIND,
        0,
        lambda p: p["outputs"].__setitem__(0, ["00" * 32] * 2),
        ("blinding proof fails",),
    ),
    (
        "cr: credential check (blinding)",
        cev.FOLD_BLIND,
        1,
        lambda p: p["proofs"][1].__setitem__(2, bump(p["proofs"][1][2])),
        ("blinding proof fails",),
    ),
    (
        "cr: credential check (blinding)",
        cev.FOLD_BLIND,
        0,
        lambda p: p["proofs"][0].__setitem__(0, element()),
        ("blinding proof fails",),
    ),
    (
        "cr: ballot shuffle",
        cev.SHUFFLE,
        0,
        lambda p: p["rows"].insert(0, p["rows"].pop(1)),
        ("shuffle of the ballots",),
    ),
    (
        "cr: ballot shuffle",
        cev.SHUFFLE,
        1,
        lambda p: p["proof"]["s_prime"].__setitem__(0, bump(p["proof"]["s_prime"][0])),
        ("shuffle of the ballots",),
    ),
    (
        "cr: roll shuffle",
        cev.ROLL_SHUFFLE,
        0,
        lambda p: p["rows"][0].__setitem__(0, [element(), element()]),
        ("shuffle of the roll",),
    ),
    (
        "cr: roll shuffle",
        cev.ROLL_SHUFFLE,
        1,
        lambda p: p["proof"]["s_hat"].__setitem__(0, bump(p["proof"]["s_hat"][0])),
        ("shuffle of the roll",),
    ),
    (
        "cr: roll shuffle",
        cev.ROLL_SHUFFLE,
        0,
        lambda p: p["proof"]["hats"].__setitem__(1, element()),
        ("shuffle of the roll",),
    ),
    (
        "cr: ballot shuffle",
        cev.SHUFFLE,
        1,
        lambda p: p["proof"]["hats"].pop(),
        (".proof.hats: expected",),
    ),
    ("cr: roll shuffle", cev.PRECOMPUTE, 0, lambda p: p.update(roll=p["roll"] + 1), ("cr-precompute.roll",)),
    (
        "cr: roll tags",
        cev.ROLL_TAGS,
        1,
        lambda p: p["b"].__setitem__(0, element()),
        ("match-roll proof fails",),
    ),
    (
        "cr: roll tags",
        cev.ROLL_TAGS,
        0,
        lambda p: p["proofs"][0].__setitem__(2, bump(p["proofs"][0][2])),
        ("match-roll proof fails",),
    ),
    (
        "cr: roll tags",
        cev.ROLL_TAGS,
        1,
        lambda p: p["b"].__setitem__(1, p["b"][0]),
        ("same tag",),
    ),
    (
        "cr: matching tags",
        cev.MATCH_PASS,
        1,
        lambda p: p["b"].__setitem__(0, element()),
        ("match-ballots proof fails",),
    ),
    (
        "cr: matching tags",
        cev.MATCH_PASS,
        0,
        lambda p: p["a"].__setitem__(0, element()),
        ("match-ballots proof fails",),
    ),
    ("cr: roll matching", ev.TALLY, 0, lambda p: p["counted"].pop(), ("tally.counted",)),
    (
        "aggregation",
        ev.TALLY,
        0,
        lambda p: p["aggregate"][0].__setitem__(0, [element(), element()]),
        ("tally.aggregate",),
    ),
    (
        "partial decryptions",
        ev.PARTIAL_DECRYPTION,
        0,
        lambda p: p["shares"][0].__setitem__(0, element()),
        ("chaum-pedersen",),
    ),
    (
        "result",
        ev.RESULT,
        0,
        lambda p: p["questions"][0]["counts"].update(yes=p["questions"][0]["counts"]["yes"] + 1),
        ("does not match",),
    ),
]


@pytest.mark.parametrize(
    ("name", "kind", "which", "change", "fragments"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_tampering_fails_the_named_check(
    cr_election: CrElection,
    name: str,
    kind: str,
    which: int,
    change: Callable[[dict[str, Any]], None],
    fragments: tuple[str, ...],
) -> None:
    assert_fails(verify(tamper(cr_election, kind, which, change)), name, *fragments)


def test_unsigned_change_fails_on_the_signature(cr_election: CrElection) -> None:
    events = tamper(
        cr_election, cev.DEDUP_PASS, 0, lambda p: p["b"].__setitem__(0, element()), trustee_signs=False
    )
    assert_fails(verify(events), "cr: duplicate-elimination tags", "signature")


def test_dropped_ballot(cr_election: CrElection) -> None:
    events = copied(cr_election)
    drop = [i for i, x in enumerate(events) if x.type == cev.BALLOT][-1]
    report = verify(events[:drop] + events[drop + 1 :])
    assert_fails(report, "cr: duplicate-elimination tags")
    assert_fails(report, "cr: ballot format", "close.ballots")


def test_added_ballot(cr_election: CrElection) -> None:
    e = cr_election
    events = copied(e)
    extra = encrypt_ballot(e.ctx, e.credentials[4], coercer_choice(e.ctx.manifest))[0].to_json()
    close = next(i for i, x in enumerate(events) if x.type == ev.CLOSE)
    events.insert(close, ev.make_event(0, cev.BALLOT, extra))
    report = verify(events)
    assert_fails(report, "cr: duplicate-elimination tags")


def test_replayed_ballot(cr_election: CrElection) -> None:
    events = copied(cr_election)
    first = next(i for i, x in enumerate(events) if x.type == cev.BALLOT)
    events.insert(first + 1, events[first])
    assert_fails(verify(events), "cr: unique ballots", "replay")


def test_ballot_with_a_bad_vote_proof(cr_election: CrElection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A malicious device: the 0/1 proof is wrong but the credential proof (over it) is right."""
    e = cr_election
    from plebiscite.proofs import range as range_proof

    honest = range_proof.prove

    def broken(*args: Any, **kwargs: Any) -> Any:
        p = honest(*args, **kwargs)
        return dataclasses.replace(p, responses=(p.responses[0] + 1, *p.responses[1:]))

    monkeypatch.setattr(range_proof, "prove", broken)
    bad = encrypt_ballot(e.ctx, e.credentials[4], coercer_choice(e.ctx.manifest))[0].to_json()
    monkeypatch.undo()
    events = copied(e)
    close = next(i for i, x in enumerate(events) if x.type == ev.CLOSE)
    events.insert(close, ev.make_event(0, cev.BALLOT, bad))
    assert_fails(verify(events), "cr: vote proofs", "answers[0]")


def test_trustee_out_of_order(cr_election: CrElection) -> None:
    events = copied(cr_election)
    passes = [i for i, x in enumerate(events) if x.type == cev.DEDUP_PASS]
    events[passes[0]], events[passes[1]] = events[passes[1]], events[passes[0]]
    assert_fails(verify(events), "cr: duplicate-elimination tags", "tally order")


def test_record_ending_before_the_tally_does_not_verify(cr_election: CrElection) -> None:
    events = copied(cr_election)
    start = next(i for i, x in enumerate(events) if x.type == cev.TALLY_START)
    report = verify_events(rebuild(events[:start]), workers=1)
    assert not report.ok and not report.by_name("result").ran


def test_ballot_hex_not_in_normal_form(cr_election: CrElection) -> None:
    """A cast ballot with its hex in capitals (same bytes, same proofs): the board never writes that."""
    events = copied(cr_election)
    ballot = next(x for x in events if x.type == cev.BALLOT)
    ballot.payload["election"] = ballot.payload["election"].upper()
    assert_fails(verify(events), "record format", "not in normal form")


def test_mac_key_share_addressed_to_a_list(cr_election: CrElection) -> None:
    """Found by the fuzz test: an unhashable ``to`` crashed the verifier instead of failing the check."""
    events = copied(cr_election)
    mac = next(x for x in events if x.type == cev.MAC_KEY)
    mac.payload["shares"][0]["to"] = []
    assert_fails(verify(events), "cr: registrar MAC key")
