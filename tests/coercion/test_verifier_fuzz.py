"""The coercion-resistant verifier never crashes on a hostile record (as ``tests/core/test_verifier_fuzz.py``)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..core.test_verifier_fuzz import change_one_value_and_verify
from .conftest import CrElection


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_gives_a_report(cr_election: CrElection, data: st.DataObject) -> None:
    change_one_value_and_verify(cr_election.events, data)
