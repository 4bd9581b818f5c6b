"""The verifier never crashes on a hostile record: any value anywhere in any payload gives a report (or a named
RecordError), never an exception — and a changed record never verifies."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite.record import events as ev
from plebiscite.record.store import RecordError
from plebiscite.verify.runner import verify_events

from .conftest import Election

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (keys and indexes), the root excluded."""
    out: list[tuple[Any, ...]] = []
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        out.append((*path, key))
        out += places(child, (*path, key))
    return out


def replace_at(payload: dict[str, Any], path: tuple[Any, ...], new: Any) -> None:
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new


def change_one_value_and_verify(original: list[ev.Event], data: st.DataObject) -> None:
    """Put a drawn value at a drawn place of a drawn event; the verifier must report (not raise) and not pass."""
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in original]
    event = data.draw(st.sampled_from([e for e in events if places(e.payload)]))
    path = data.draw(st.sampled_from(places(event.payload)))
    old = copy.deepcopy(event.payload)
    replace_at(event.payload, path, data.draw(json_values))
    if event.payload == old:
        return
    changed = [ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)]
    try:
        report = verify_events(changed, workers=1)
    except RecordError:
        return
    assert not report.ok, f"{event.type} {path}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_gives_a_report(election: Election, data: st.DataObject) -> None:
    change_one_value_and_verify(election.events, data)
