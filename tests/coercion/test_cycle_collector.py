"""The tally steps pause Python's cyclic garbage collector and always restore it."""

from __future__ import annotations

import gc

import pytest

from plebiscite.coercion.parallel import without_cycle_collector


@without_cycle_collector
def _state(fail: bool) -> bool:
    if fail:
        raise RuntimeError("step failed")
    return gc.isenabled()


def test_collector_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    assert _state(False) is False
    assert gc.isenabled()


def test_collector_restored_after_a_failure() -> None:
    with pytest.raises(RuntimeError, match="step failed"):
        _state(True)
    assert gc.isenabled()


def test_collector_left_off_if_it_was_off() -> None:
    gc.disable()
    try:
        _state(False)
        assert not gc.isenabled()
    finally:
        gc.enable()
