"""Every record proves it is complete: remove, swap or repeat any event of any type — verify fails, naming the check.

Records written offline (``Conduct`` with its ``FileSink``: ``plebiscite demo``, the step-by-step CLI, the
coercion-resistant tally) sign a head after every event (``record/signer.py``); the verifier ties every head to the
record (check 18, board heads) and demands one over all of it (check 19, record complete). One small finished
record of each mode is built once; each mutation is verified in memory with the record's own heads.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.signer import key_path
from plebiscite.verify.runner import verify_events, verify_record
from tests.coercion.conftest import build as build_coercion
from tests.core.conftest import build_election

HEAD_CHECKS = {"board heads", "record complete"}

Mutation = Callable[[list[ev.Event], int], list[ev.Event]]


def remove(events: list[ev.Event], i: int) -> list[ev.Event]:
    return events[:i] + events[i + 1 :]


def swap(events: list[ev.Event], i: int) -> list[ev.Event]:
    j = i + 1 if i + 1 < len(events) else i - 1  # with the next event (the last: with the one before)
    out = list(events)
    out[i], out[j] = out[j], out[i]
    return out


def duplicate(events: list[ev.Event], i: int) -> list[ev.Event]:
    return events[: i + 1] + events[i:]


MUTATIONS: dict[str, Mutation] = {"remove": remove, "swap": swap, "duplicate": duplicate}


def renumber(events: list[ev.Event]) -> list[ev.Event]:
    """The same lines at their new positions (the bytes, hence the Merkle leaves, unchanged)."""
    return [ev.Event(i, e.type, e.payload, e.raw) for i, e in enumerate(events)]


@pytest.fixture(scope="module", params=["standard", "coercion-resistant"])
def record(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp(str(request.param)) / "record"
    if request.param == "standard":
        build_election(path)
    else:
        build_coercion(path)
    return path


def test_an_offline_record_signs_a_head_after_every_event(record: Path) -> None:
    events, heads, board_key = store.read_all(record)
    assert [h["tree_size"] for h in heads] == list(range(1, len(events) + 1))
    assert board_key is not None and key_path(record).stat().st_mode & 0o777 == 0o600
    assert not any(p.name.endswith(".board-key") for p in record.iterdir())  # the secret is not published
    report = verify_record(record, workers=1)
    assert report.ok and {c.name for c in report.checks if c.ran} >= HEAD_CHECKS, report.failed()
    assert report.board_key == board_key and report.to_json()["board_key"] == board_key


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_event_type_removed_swapped_or_repeated_fails(record: Path, mutation: str) -> None:
    events, heads, board_key = store.read_all(record)
    first_of_type: dict[str, int] = {}
    for e in events:
        first_of_type.setdefault(e.type, e.index)
    verified = []
    for kind, i in first_of_type.items():
        report = verify_events(renumber(MUTATIONS[mutation](events, i)), heads, 1, board_key)
        if report.ok or not HEAD_CHECKS & set(report.failed()):
            verified.append((kind, report.failed()))
    assert len(first_of_type) >= 10
    assert not verified, f"{mutation} of these event types was not caught by checks 18/19: {verified}"


def test_the_last_event_repeated_is_caught_by_record_complete(record: Path) -> None:
    """Every head still matches its prefix; only check 19 sees an event no head covers."""
    events, heads, board_key = store.read_all(record)
    report = verify_events(renumber(duplicate(events, len(events) - 1)), heads, 1, board_key)
    assert "record complete" in report.failed() and "board heads" not in report.failed()


def without_heads(record: Path, tmp_path: Path) -> Path:
    """A copy of ``record`` as a legacy record: no ``heads.jsonl``."""
    copy = tmp_path / "legacy"
    shutil.copytree(record, copy)
    (copy / store.HEADS_FILE).unlink()
    return copy


def test_a_record_without_heads_fails_record_complete_unless_legacy_is_allowed(
    record: Path, tmp_path: Path
) -> None:
    copy = without_heads(record, tmp_path)
    report = verify_record(copy, workers=1)
    assert report.failed() == ["record complete"] and not report.warnings and report.board_key is None
    assert "no signed heads" in report.by_name("record complete").failures[0]
    legacy = verify_record(copy, workers=1, allow_unsigned=True)
    assert legacy.ok and not legacy.by_name("record complete").ran
    assert legacy.warnings and "UNSIGNED LEGACY RECORD" in legacy.warnings[0]
    assert legacy.to_json()["warnings"] == legacy.warnings


def test_dropping_an_event_and_its_heads_is_caught(record: Path, tmp_path: Path) -> None:
    """Whoever drops the ``close`` event cannot re-sign: the later heads still sign the original history."""
    events, heads, board_key = store.read_all(record)
    close = next(e.index for e in events if e.type == ev.CLOSE)
    kept_heads = [h for h in heads if h["tree_size"] != close + 1]
    report = verify_events(renumber(remove(events, close)), kept_heads, 1, board_key)
    assert "board heads" in report.failed()


def test_verify_cli_names_record_complete_and_warns_loudly_for_a_legacy_record(
    record: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from plebiscite.cli.main import app

    copy = without_heads(record, tmp_path)
    refused = CliRunner().invoke(app, ["verify", str(copy)])
    assert (
        refused.exit_code == 1
        and "19 record complete:" in refused.output
        and "no signed heads" in refused.output
    )
    accepted = CliRunner().invoke(app, ["verify", str(copy), "--allow-unsigned-legacy"])
    assert accepted.exit_code == 0 and "WARNING: UNSIGNED LEGACY RECORD" in accepted.output


def _copy_with_key(record: Path, target: Path) -> Path:
    shutil.copytree(record, target)
    shutil.copy(key_path(record), key_path(target))
    return target


def _lines(path: Path) -> list[bytes]:
    return (path / store.EVENTS_FILE).read_bytes().splitlines(keepends=True)


def test_reopening_checks_the_record_against_its_heads(record: Path, tmp_path: Path) -> None:
    """The next step of the CLI (``Conduct.open_record``) refuses a record changed after it was signed."""
    from plebiscite.record.signer import RecordSigner

    copy = _copy_with_key(record, tmp_path / "r")
    lines = _lines(copy)
    RecordSigner.open(copy, (line.rstrip(b"\n") for line in lines))  # untouched: accepted
    lines[3], lines[4] = lines[4], lines[3]
    (copy / store.EVENTS_FILE).write_bytes(b"".join(lines))
    with pytest.raises(store.RecordError, match=r"no longer hash to the root signed in heads\.jsonl line 4"):
        RecordSigner.open(copy, (line.rstrip(b"\n") for line in lines))


def test_a_crash_between_an_event_and_its_head_is_repaired_but_a_longer_tail_is_refused(
    record: Path, tmp_path: Path
) -> None:
    from plebiscite.record.signer import RecordSigner

    copy = _copy_with_key(record, tmp_path / "r")
    heads = (copy / store.HEADS_FILE).read_bytes().splitlines(keepends=True)
    (copy / store.HEADS_FILE).write_bytes(b"".join(heads[:-1]))  # the last event's head was never written
    lines = [line.rstrip(b"\n") for line in _lines(copy)]
    RecordSigner.open(copy, lines)
    assert verify_record(copy, workers=1).ok
    (copy / store.HEADS_FILE).write_bytes(b"".join(heads[:-2]))
    with pytest.raises(store.RecordError, match="are not covered by a signed head"):
        RecordSigner.open(copy, lines)


def test_a_record_whose_key_is_missing_or_another_is_refused(record: Path, tmp_path: Path) -> None:
    from plebiscite.record.signer import RecordSigner

    copy = tmp_path / "r"
    shutil.copytree(record, copy)
    lines = [line.rstrip(b"\n") for line in _lines(copy)]
    with pytest.raises(store.RecordError, match="board signing key is missing"):
        RecordSigner.open(copy, lines)
    key_path(copy).write_text("11" * 32)
    with pytest.raises(store.RecordError, match="public key is not the one of"):
        RecordSigner.open(copy, lines)


def test_reading_a_record_needs_no_signing_key_and_writes_nothing(record: Path, tmp_path: Path) -> None:
    """A voter's copy (``vote``, ``check-challenge``) has no key: it is read, never signed or appended to."""
    from plebiscite.conduct import Conduct

    copy = tmp_path / "r"
    shutil.copytree(record, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    conduct = Conduct.read_record(copy)
    assert conduct.context.fingerprint
    with pytest.raises(store.RecordError, match="read only"):
        conduct.post(ev.CLOSE, {"ballots": 0})
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before
    assert not key_path(copy).exists()
