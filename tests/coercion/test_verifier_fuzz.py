"""The coercion-resistant verifier never crashes on a hostile record (as ``tests/core/test_verifier_fuzz.py``)."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite.record import events as ev
from plebiscite.record.store import RecordError
from plebiscite.verify.runner import verify_events

from ..core.test_verifier_fuzz import json_values, places, replace_at
from .conftest import CrElection


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_gives_a_report(cr_election: CrElection, data: st.DataObject) -> None:
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in cr_election.events]
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
