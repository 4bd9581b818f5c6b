"""The verifier's check 1 on a standard ballot line (is its hex spelt as the board writes it?) runs in the
extension on the native engine (``native/src/lines.rs``, ``in_normal_form``): it must answer exactly as
``verify.scan.in_normal_form``, the rule as stated, on every line — honest, respelt, or any bytes at all."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite import native
from plebiscite.verify.scan import in_normal_form
from tests.core.conftest import Election

from .conftest import needs_native
from .test_engines import ballot_lines

pytestmark = needs_native

TOKENS = [
    b'"A":',
    b'"B":',
    b'"',
    b":",
    b"A",
    b"B",
    b"C",
    b"Z",
    b"a",
    b"b",
    b"f",
    b"0",
    b" ",
    b"{",
    b"[",
    b"\xff",
]
"""Pieces whose joins can form, split or hide the two keys: where a left-to-right removal differs from others."""


def native_answer(line: bytes) -> bool:
    check = native.normal_form_check()
    assert check is not None
    return check(line)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=24))
def test_any_joined_pieces_are_judged_alike(pieces: list[bytes]) -> None:
    line = b"".join(pieces)
    assert native_answer(line) == in_normal_form(line)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_are_judged_alike(line: bytes) -> None:
    assert native_answer(line) == in_normal_form(line)


def test_the_removal_order_is_pythons() -> None:
    # removing "A": first joins a "B": that the second removal takes away: normal
    assert in_normal_form(b'"B"A":":') and native_answer(b'"B"A":":')
    # removing "B": leaves an "A": behind, which the first removal never saw: not normal
    assert not in_normal_form(b'"A"B":":') and not native_answer(b'"A"B":":')


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["upper", "space", "byte", "key"]))
def test_honest_and_respelt_ballot_lines_are_judged_alike(
    multi_election: Election, seed: int, how: str
) -> None:
    rng = random.Random(seed)
    line = rng.choice(ballot_lines(multi_election))[1]
    assert native_answer(line) and in_normal_form(line)
    at = rng.randrange(len(line))
    if how == "upper":  # one stretch capitalised
        line = line[:at] + line[at : at + rng.randrange(1, 80)].upper() + line[at + 80 :]
    elif how == "space":
        line = line[:at] + b" " + line[at:]
    elif how == "byte":
        line = line[:at] + bytes([rng.randrange(256)]) + line[at + 1 :]
    else:  # a key renamed, or a key's spelling added where it does not belong
        line = line.replace(rng.choice([b'"A":', b'"B":']), rng.choice([b'"a":', b'"C":', b'"A":"B":']), 1)
    assert native_answer(line) == in_normal_form(line)
