"""The board's signed heads (check 18) under both engines: the native engine checks their signatures in one call
(``verify_signatures``) and must refuse exactly the heads
the reference refuses, with the reference's message — torsion-shifted ``R``, ``s + ℓ``, flipped bits, small-order
and non-canonical ``R`` included."""

from __future__ import annotations

import random
from typing import Any

import pytest

from plebiscite import native
from plebiscite.merkle.heads import log_id_for, tree_head_signing_bytes
from plebiscite.verify.heads import HeadsStream
from plebiscite.verify.report import new_report

from .conftest import needs_native
from .test_signatures import TORSION, L, P, add, base, sign_raw

pytestmark = needs_native

A = 0x5EED5EED
KEY = base(A)
LOG_ID = log_id_for(KEY)


def head(size: int, how: str) -> dict[str, Any]:
    root = random.Random(size).randbytes(32)
    message = tree_head_signing_bytes(LOG_ID, size, root, 1_700_000_000_000 + size)
    r = 1000 + size
    r_point = base(r)
    if how == "torsion":
        r_point = add(r_point, TORSION[4 + size % 2])
    signature = sign_raw(A, KEY, r, r_point, message, L if how == "s+l" else 0)
    if how == "flip":
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    elif how == "small R":
        signature = TORSION[size % len(TORSION)] + signature[32:]
    elif how == "non-canonical R":
        signature = (P + size % 19).to_bytes(32, "little") + signature[32:]
    return {
        "log_id": LOG_ID,
        "tree_size": size,
        "root_hash": root.hex(),
        "timestamp": 1_700_000_000_000 + size,
        "signature": signature.hex(),
    }


def failures(heads: list[dict[str, Any]], engine: str) -> tuple[list[str], int, int]:
    check = new_report().by_name("board heads")
    stream = HeadsStream(check, heads, KEY.hex(), engine)
    return check.failures, check.failure_count, len(stream.signed)


@pytest.mark.parametrize("count", [10, 90])
def test_both_engines_refuse_the_same_heads_with_the_same_message(count: int) -> None:
    kinds = ["ok", "torsion", "s+l", "flip", "small R", "non-canonical R"]
    heads = [head(size, kinds[size % len(kinds)] if size % 3 else "ok") for size in range(1, count + 1)]
    heads[4]["log_id"] = "00" * 32  # refused before any signature is looked at
    reference = failures(heads, native.REFERENCE)
    assert failures(heads, native.NATIVE) == reference
    assert reference[2] == count // 3  # the untouched heads (sizes 3, 6, …) and only they
    assert reference[1] == count - count // 3


def test_the_native_call_answers_per_pair_and_refuses_a_bad_key_by_name() -> None:
    message = tree_head_signing_bytes(LOG_ID, 1, bytes(32), 1)
    good = sign_raw(A, KEY, 7, base(7), message)
    assert native.verify_signatures(KEY, [(message, good), (message, good[:63]), (b"", good)]) == [
        True,
        False,
        False,
    ]
    assert native.verify_signatures(TORSION[1], [(message, good)]) == [False]
    with pytest.raises(native.EngineError, match="public key: expected 32 bytes"):
        native.verify_signatures(KEY[:31], [(message, good)])
