"""On the native engine a trustee step's elements are decoded without their curve check, the native proofs'
decoding being the check (``verify_steps.StepVerifier._proved``). A bad element in any of them must still be
named by the decoder, under the step's own check, exactly as the reference engine (which checks while decoding)
names it: an encoding that is no point, and a point's encoding with bit 255 set — which Debian's libsodium 1.0.18
reads as the point without it, so no reference fallback may see it unchecked (tests/coercion/test_soundness.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plebiscite import native
from plebiscite.coercion import events as cev
from plebiscite.verify.runner import verify_events
from tests.coercion.conftest import CrElection, cr_election  # noqa: F401  (the session fixture)
from tests.coercion.test_tamper import rebuild, tamper

from .conftest import needs_native

pytestmark = needs_native

NOT_A_POINT = ((2**255 - 19) + 1).to_bytes(32, "little").hex()  # a field element ≥ p: never an encoding


def top_bit(value: str) -> str:
    """The same point's encoding with bit 255 set (not canonical)."""
    raw = bytearray.fromhex(value)
    raw[31] |= 0x80
    return raw.hex()


def spoil(
    get: Callable[[dict[str, Any]], list[Any]], index: int, how: str
) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        items = get(payload)
        items[index] = NOT_A_POINT if how == "not a point" else top_bit(items[index])

    return change


# (check, event type, which event, the list holding the element, index, spelling, the decoder's field name)
CASES = [
    ("cr: roll shuffle", cev.ROLL_SHUFFLE, 0, lambda p: p["rows"][1][0], 1, "top bit", ".rows"),
    (
        "cr: roll shuffle",
        cev.ROLL_SHUFFLE,
        1,
        lambda p: p["proof"]["commitments"],
        0,
        "not a point",
        "commitments",
    ),
    ("cr: roll shuffle", cev.ROLL_SHUFFLE, 0, lambda p: p["proof"]["chain"], 2, "top bit", ".chain"),
    ("cr: ballot shuffle", cev.SHUFFLE, 1, lambda p: p["proof"]["hats"], 0, "top bit", ".hats"),
    ("cr: ballot shuffle", cev.SHUFFLE, 0, lambda p: p["rows"][0][1], 0, "not a point", ".rows"),
    ("cr: roll tags", cev.ROLL_TAGS, 1, lambda p: p["b"], 0, "top bit", ".b"),
    ("cr: duplicate-elimination tags", cev.DEDUP_PASS, 0, lambda p: p["a"], 1, "not a point", ".a"),
    ("cr: credential check (MAC share)", cev.FOLD_EXP, 1, lambda p: p["a"], 0, "top bit", ".a"),
    (
        "cr: credential check (blinding)",
        cev.FOLD_BLIND,
        0,
        lambda p: p["outputs"][1],
        1,
        "top bit",
        ".outputs",
    ),
    (
        "cr: credential check (blinding)",
        cev.FOLD_BLIND,
        1,
        lambda p: p["proofs"][0],
        0,
        "not a point",
        ".proofs",
    ),
    ("cr: matching tags", cev.MATCH_PASS, 1, lambda p: p["b"], 2, "top bit", ".b"),
]


@pytest.mark.parametrize(("name", "kind", "which", "get", "index", "how", "field"), CASES)
def test_a_bad_element_is_named_by_the_decoder_on_both_engines(
    cr_election: CrElection,  # noqa: F811
    name: str,
    kind: str,
    which: int,
    get: Callable[[dict[str, Any]], list[Any]],
    index: int,
    how: str,
    field: str,
) -> None:
    events = rebuild(tamper(cr_election, kind, which, spoil(get, index, how)))
    reports = {e: verify_events(events, workers=1, engine=e) for e in native.ENGINES}
    for engine, report in reports.items():
        check = report.by_name(name)
        assert not check.ok, (engine, report.failed())
        text = " | ".join(check.failures)
        assert field in text and ("canonical" in text or "valid" in text or "element" in text), (engine, text)
    summaries = {
        e: [(c.name, c.ok, c.items, tuple(c.failures)) for c in r.checks] for e, r in reports.items()
    }
    assert summaries["native"] == summaries["reference"]
