"""The verifier's per-ballot columns (``verify/outcomes.py``): rows added at once are the rows added one by one."""

from __future__ import annotations

import pytest

from plebiscite.verify.outcomes import Outcomes


def test_passed_rows_added_at_once_are_the_rows_added_one_by_one() -> None:
    rows = [(7, bytes([i]) * 32, bytes([100 + i]) * 32) for i in range(3)]
    one_by_one, at_once = Outcomes(), Outcomes()
    for index, code, credential in rows:
        one_by_one.add(index, code.hex(), credential, None, "")
    at_once.add_passed([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    assert at_once == one_by_one
    assert at_once.code(2) == rows[2][1].hex() and at_once.passed().all()


@pytest.mark.parametrize(
    "codes, credentials",
    [([b"c" * 31], [b"k" * 32]), ([b"c" * 32], [b"k" * 33]), ([b"c" * 32, b"c" * 32], [b"k" * 32])],
)
def test_a_row_that_is_not_32_bytes_a_column_is_refused(codes: list[bytes], credentials: list[bytes]) -> None:
    out = Outcomes()
    with pytest.raises(ValueError, match="32-byte"):
        out.add_passed([1], codes, credentials)
    assert len(out) == 0 and not out.codes and not out.credentials
