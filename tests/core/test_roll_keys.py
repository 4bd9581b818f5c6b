"""The workers' compact roll (verify/roll_keys.py) answers membership exactly as a set of the same keys does."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from plebiscite.verify.roll_keys import RollKeys

KEYS = st.binary(min_size=32, max_size=32)
# Keys that differ only in trailing zero bytes are where fixed-width numpy strings could confuse two keys.
ZERO_TAILED = st.builds(lambda head, n: head[: 32 - n] + b"\0" * n, KEYS, st.integers(0, 32))
PROBES = st.one_of(KEYS, ZERO_TAILED, st.binary(max_size=40))


@given(st.lists(st.one_of(KEYS, ZERO_TAILED), max_size=40), st.lists(PROBES, max_size=40))
def test_membership_is_the_sets(keys: list[bytes], probes: list[bytes]) -> None:
    roll, reference = RollKeys(keys), set(keys)
    wanted = keys + probes + [k.rstrip(b"\0") for k in keys] + [k[:31] for k in keys]
    assert [k in roll for k in wanted] == [k in reference for k in wanted]
    assert roll.contains_many(wanted) == [k in reference for k in wanted]
    assert len(roll) == len(reference)
    again = pickle.loads(pickle.dumps(roll))
    assert again.contains_many(wanted) == roll.contains_many(wanted)


def test_a_key_is_not_its_prefix_or_padding() -> None:
    key = b"\x01" + b"\0" * 31
    roll = RollKeys([key])
    assert key in roll
    for other in (b"\x01", b"\x01" + b"\0" * 30, b"\x01" + b"\0" * 32, "x", None):
        assert other not in roll
        assert roll.contains_many([other]) == [False]  # type: ignore[list-item]


def test_keys_of_the_wrong_size_are_refused() -> None:
    for bad in ([b"\0" * 31], [b"\0" * 33], ["0" * 32]):
        try:
            RollKeys(bad)  # type: ignore[arg-type]
        except ValueError as exc:
            assert "32 bytes" in str(exc)
        else:
            raise AssertionError(f"accepted {bad!r}")


@given(st.lists(st.one_of(KEYS, ZERO_TAILED), min_size=1, max_size=20), st.data())
def test_repeated_keys_are_kept_once(keys: list[bytes], data: st.DataObject) -> None:
    """The table is sorted and deduplicated by all 32 bytes (a searchsorted over it finds every key)."""
    repeated = keys + [data.draw(st.sampled_from(keys)) for _ in range(5)]
    roll = RollKeys(repeated)
    assert len(roll) == len(set(keys))
    assert roll.contains_many(repeated) == [True] * len(repeated)
