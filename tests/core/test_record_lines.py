"""Record lines: the orjson fast path of ``parse_event`` accepts exactly what the exact (json) path accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite.record.events import canonical_json
from plebiscite.record.store import RecordError, _exact_event, _fast_event, parse_event

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
event_types = st.sampled_from(["ballot", "manifest", "tally", "no-such-type"]) | json_values


def exact(line: bytes) -> object:
    try:
        event = _exact_event(0, line, "line")
    except RecordError as exc:
        return ("error", str(exc))
    return ("event", event.type, canonical_json(event.payload), event.raw)


def check_agreement(line: bytes) -> None:
    expected = exact(line)
    fast = _fast_event(0, line)
    if fast is not None:  # the fast path may only accept what the exact path accepts, as the same event
        assert expected == ("event", fast.type, canonical_json(fast.payload), fast.raw)
    try:
        got = parse_event(0, line, "line")
    except RecordError as exc:
        assert expected == ("error", str(exc))
    else:
        assert expected == ("event", got.type, canonical_json(got.payload), got.raw)


@settings(max_examples=400, deadline=None)
@given(kind=event_types, payload=st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_canonical_lines_agree(kind: object, payload: dict[str, object]) -> None:
    try:
        line = canonical_json({"type": kind, "payload": payload})
    except ValueError:
        return  # no canonical form (lone surrogate): such a line is tested below as bytes
    check_agreement(line)


@settings(max_examples=600, deadline=None)
@given(
    kind=event_types,
    payload=st.dictionaries(st.text(max_size=6), json_values, max_size=5),
    position=st.integers(min_value=0, max_value=10_000),
    edit=st.sampled_from(["insert", "delete", "replace"]),
    byte=st.sampled_from(list(b' "\\{}[],:.-+0159eEu\x00\x7f\xc3\xa9\xff')),
)
def test_mutated_lines_agree(
    kind: object, payload: dict[str, object], position: int, edit: str, byte: int
) -> None:
    try:
        line = bytearray(canonical_json({"type": kind, "payload": payload}))
    except ValueError:
        return
    i = position % (len(line) + 1)
    if edit == "insert":
        line.insert(i, byte)
    elif i < len(line):
        if edit == "delete":
            del line[i]
        else:
            line[i] = byte
    check_agreement(bytes(line))


@pytest.mark.parametrize(
    "line",
    [
        b'{"payload":{"n":18446744073709551616},"type":"ballot"}',  # beyond 64 bits: orjson reads a float
        b'{"payload":{"n":-9223372036854775809},"type":"ballot"}',
        b'{"payload":{"x":1e-07},"type":"ballot"}',  # Python's float format: canonical for the exact path
        b'{"payload":{"x":1e-7},"type":"ballot"}',  # orjson's: not canonical
        b'{"payload":{"x":"\\ud800"},"type":"ballot"}',  # lone surrogate
        b'{"payload":{"x":NaN},"type":"ballot"}',
        b'\xef\xbb\xbf{"payload":{},"type":"ballot"}',  # byte-order mark
        b'{"payload":{},"payload":{},"type":"ballot"}',  # duplicate key
        b'{"payload":{},"type":["ballot"]}',  # unhashable type: a named error, not a crash
        b'{"payload":{"s":"\\u001f\\n\\"\\\\\xc3\xa9\xe2\x80\xa8"},"type":"ballot"}',  # escapes, U+2028
    ],
)
def test_edge_lines_agree(line: bytes) -> None:
    check_agreement(line)


def test_unhashable_type_is_a_named_error() -> None:
    with pytest.raises(RecordError, match="unknown event type"):
        parse_event(0, b'{"payload":{},"type":{"a":1}}', "line 1")


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_orjson_writes_every_float_with_a_dot_or_a_signed_exponent(value: float) -> None:
    """What keeps floats off the fast path (``_may_hold_a_float``) relies on this."""
    import orjson

    text = orjson.dumps(value)
    assert b"." in text or b"e+" in text or b"e-" in text


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"payload":' + b"[" * 5_000 + b"]" * 5_000 + b',"type":"ballot"}', "nested too deeply"),
        (b'{"payload":{"n":' + b"9" * 5_000 + b'},"type":"ballot"}', "a number too large"),
    ],
)
def test_hostile_lines_get_a_named_error_not_a_crash(line: bytes, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_event(0, line, "events.jsonl line 1")


def test_hostile_heads_and_board_files_get_named_errors(tmp_path: Path) -> None:
    from plebiscite.record import store

    store.create(tmp_path)
    (tmp_path / store.HEADS_FILE).write_bytes(b"[" * 100_000 + b"\n")
    with pytest.raises(RecordError, match=r"heads\.jsonl line 1: not JSON \(nested too deeply\)"):
        store.read_all(tmp_path)
    (tmp_path / store.HEADS_FILE).unlink()
    (tmp_path / store.BOARD_FILE).write_bytes(b"9" * 5_000)
    with pytest.raises(RecordError, match=r"board\.json: not JSON \(a number too large\)"):
        store.read_all(tmp_path)
