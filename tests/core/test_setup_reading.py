"""Checks 1 and 6 read a million-ballot record in runs: the phase order checked once a run of one type, the roll
decoded at once when every key is canonical — with the same items and failures as one event, one key at a time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plebiscite.record import events as ev
from plebiscite.verify.report import new_report
from plebiscite.verify.setup_checks import RANK, RollMemo, check_format, check_roll, check_roll_hashed

KEYS = [bytes([0xA0 + i]) * 32 for i in range(1, 7)]


def _roll(credentials: list[object]) -> tuple[list[bytes] | None, list[str], int]:
    check = new_report().by_name("roll")
    keys = check_roll(check, [ev.make_event(0, ev.ROLL, {"credentials": credentials})], None)
    return keys, check.failures, check.items


def test_a_canonical_roll_is_read_whole() -> None:
    keys, failures, items = _roll([k.hex() for k in KEYS])
    assert keys == KEYS and failures == [] and items == len(KEYS)


@pytest.mark.parametrize(
    ("spelling", "reason"),
    [
        (KEYS[3].hex().upper(), "lowercase"),
        (KEYS[3].hex()[:60] + " a4 ", "expected 32 bytes"),  # 64 characters, spaces between bytes
        (KEYS[3].hex()[:62], "expected 32 bytes"),
        (KEYS[3].hex()[:63] + "g", "not hexadecimal"),
        (4, "expected a hex string"),
    ],
)
def test_a_key_not_in_its_one_spelling_is_named(spelling: object, reason: str) -> None:
    credentials: list[object] = [k.hex() for k in KEYS]
    credentials[3] = spelling
    keys, failures, items = _roll(credentials)
    assert items == len(KEYS)
    named = [f for f in failures if f.startswith("roll.credentials[3]")]
    assert len(named) == 1 and reason in named[0]
    assert keys is not None and KEYS[3] not in keys


def _format_one_by_one(types: list[str], rank: dict[str, int]) -> tuple[int, list[str]]:
    """Check 1's phase rule as written before runs: one event at a time."""
    failures, last = [], -1
    for index, kind in enumerate(types):
        r = rank.get(kind)
        if r is None:
            failures.append(f"event {index}: type {kind!r} does not belong in a standard election")
            continue
        if r < last:
            failures.append(f"event {index}: {kind} after a later phase")
        last = max(last, r)
    return len(types), failures


KINDS = [ev.MANIFEST, ev.ROLL, ev.ELECTION, ev.BALLOT, ev.CHALLENGE, ev.CLOSE, ev.TALLY, ev.RESULT, "strange"]


@given(st.lists(st.sampled_from(KINDS), max_size=40))
def test_the_phase_order_checked_in_runs_is_the_one_by_one_rule(types: list[str]) -> None:
    check = new_report().by_name("record format")
    check_format(check, types, RANK)
    items, failures = _format_one_by_one(types, RANK)
    assert check.items == items
    assert [f for f in check.failures if f.startswith("event ")] == failures


def test_the_roll_read_twice_is_replayed_with_its_failures() -> None:
    """The speculative and the final setup checks read one roll: the second reading replays the first's items,
    failures and answer; another election event (not the same object) is read afresh."""
    credentials: list[object] = [k.hex() for k in KEYS]
    credentials[2] = KEYS[2].hex().upper()
    events = [ev.make_event(0, ev.ROLL, {"credentials": credentials})]
    memo = RollMemo()
    first, second = new_report().by_name("roll"), new_report().by_name("roll")
    election = {"roll_hash": "00" * 32}
    found = check_roll_hashed(first, events, election, memo)
    assert check_roll_hashed(second, events, election, memo) is found
    assert (second.items, second.failures) == (first.items, first.failures) == (len(KEYS), first.failures)
    assert len(first.failures) == 3  # the key, the order, the roll's hash
    third = new_report().by_name("roll")
    assert check_roll_hashed(third, events, dict(election), memo) is not found
    assert third.failures == first.failures
