"""Check 6's reading of the roll: all keys at once when all are canonical, else each one named (setup_checks)."""

from __future__ import annotations

import pytest

from plebiscite.record import events as ev
from plebiscite.verify.report import new_report
from plebiscite.verify.setup_checks import check_roll

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
