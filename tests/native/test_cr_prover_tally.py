"""The tally's main-process shortcuts of issue 16 (docs/native.md §7.7): each gives exactly what the plain path
gives, and on irregular input the plain path's error."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from plebiscite.coercion.ballot import tally_view, tally_views
from plebiscite.hazmat import group as G


def _payload(votes: int) -> dict[str, Any]:
    def ct() -> list[str]:
        return [G.mul_base(G.random_scalar()).hex(), G.mul_base(G.random_scalar()).hex()]

    return {
        "credential": ct(),
        "mac": ct(),
        "answers": [{"choices": [ct() for _ in range(votes)]}, {"choices": [ct()]}],
    }


def test_bulk_decoding_is_tally_view() -> None:
    payloads = [_payload(v) for v in (1, 2, 1, 3)]
    assert tally_views(payloads) == [tally_view(p) for p in payloads]
    assert tally_views([]) == []


def _error(fn: Any) -> str:
    with pytest.raises(Exception) as info:
        fn()
    return f"{type(info.value).__name__}: {info.value}"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: p["credential"].__setitem__(0, p["credential"][0].upper()),  # not lowercase
        lambda p: p["mac"].__setitem__(1, p["mac"][1][:-2] + "f0"),  # bit 255 set
        lambda p: p["answers"][0]["choices"][0].__setitem__(
            0, p["answers"][0]["choices"][0][0][:62]
        ),  # short
        lambda p: p["answers"][1]["choices"][0].__setitem__(1, "zz" * 32),  # not hex
        lambda p: p["credential"].__setitem__(1, " " + p["credential"][1][1:]),  # a space
        lambda p: p["credential"].__setitem__(  # 31 and 33 bytes: the joined hex is unchanged
            slice(None), [p["credential"][0][:62], p["credential"][0][62:] + p["credential"][1]]
        ),
        lambda p: p.pop("mac"),  # a field missing
        lambda p: p["answers"][0].__setitem__("choices", [7]),  # a wrong type
    ],
)
def test_irregular_ballots_give_tally_views_error(spoil: Any) -> None:
    payloads = [_payload(1) for _ in range(3)]
    bad = copy.deepcopy(payloads)
    spoil(bad[1])
    expected = _error(lambda: [tally_view(p) for p in bad])
    assert _error(lambda: tally_views(bad)) == expected
