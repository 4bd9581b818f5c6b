"""The fast decoder of well-formed ballots accepts exactly what the full, error-naming decoder accepts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import BallotError, _fast_ballot, ballot_from_json

from .conftest import Election

CHOICE = {"q1": ["no"], "q2": ["bi"], "q3": ["roads", "clinics"]}

REPLACEMENTS = st.sampled_from(
    [
        None,
        0,
        1.5,
        "",
        "zz",
        "00" * 31,
        "00" * 32,
        "ff" * 32,
        "01" + "00" * 31,
        "00" * 64,
        [],
        {},
        ["00" * 32],
    ]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of the JSON tree (dict keys and list indices)."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(value: Any, path: tuple[Any, ...], action: str, replacement: Any) -> Any:
    value = copy.deepcopy(value)
    if not path:
        return replacement
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "extra" and isinstance(parent, dict):
        parent["extra"] = replacement
    elif action == "extra" and isinstance(parent, list):
        parent.append(replacement)
    else:
        parent[last] = replacement
    return value


def _outcome(value: Any, counts: list[tuple[int, int | None]], validate: bool) -> Any:
    try:
        return ballot_from_json(value, counts, validate)
    except BallotError:
        return None


@pytest.fixture(scope="module")
def sample(election: Election) -> tuple[dict[str, Any], list[tuple[int, int | None]]]:
    ballot, _ = encrypt_ballot(election.ctx, election.credentials[0], CHOICE)
    return ballot.to_json(), branch_counts(election.ctx.layouts)


def test_fast_path_decodes_a_valid_ballot(
    sample: tuple[dict[str, Any], list[tuple[int, int | None]]],
) -> None:
    value, counts = sample
    fast = _fast_ballot(value, counts, validate=True)
    assert fast is not None and fast.to_json() == value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), validate=st.booleans())
def test_fast_path_never_accepts_what_the_full_decoder_refuses(
    sample: tuple[dict[str, Any], list[tuple[int, int | None]]], data: st.DataObject, validate: bool
) -> None:
    value, counts = sample
    path = data.draw(st.sampled_from(_paths(value)))
    action = data.draw(st.sampled_from(["replace", "delete", "extra"] if path else ["replace"]))
    mutated = _mutate(value, path, action, data.draw(REPLACEMENTS))
    fast = _fast_ballot(mutated, counts, validate)
    full = _outcome(mutated, counts, validate)
    if fast is not None:
        assert full is not None and fast == full
