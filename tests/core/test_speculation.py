"""The native first pass (``verify/scan_native.py``) and the speculative check of the ballots while it reads
(``verify/speculate.py``): the same scan, heads' answers and report as the Python pass and the checks after it."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from plebiscite import native
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.signer import key_path
from plebiscite.record.stream import EventLines
from plebiscite.verify import counting, runner, scan_native, speculate
from plebiscite.verify.heads import HeadsStream
from plebiscite.verify.report import new_report
from plebiscite.verify.runner import verify_record
from plebiscite.verify.scan import scan_lines

from .conftest import Election

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="the native extension is not built")


def _copy(election: Election, tmp_path: Path) -> Path:
    target = tmp_path / "record"
    shutil.copytree(election.path, target)
    shutil.copy(key_path(election.path), key_path(target))
    return target


def _edit(path: Path, change: Any) -> None:
    """Rewrite ``events.jsonl`` (or ``heads.jsonl``) line by line with ``change(lines)``."""
    lines = path.read_bytes().splitlines()
    change(lines)
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _ballot_at(lines: list[bytes], n: int = 0) -> int:
    return [i for i, line in enumerate(lines) if line.endswith(b',"type":"ballot"}')][n]


def _upper_hex(lines: list[bytes]) -> None:
    at = _ballot_at(lines, 2)
    lines[at] = (
        lines[at]
        .replace(b'"signature":"', b'"signature":"AB', 1)
        .replace(b'"signature":"ABab', b'"signature":"AB')
    )


def _wrong_root(lines: list[bytes]) -> None:
    head = json.loads(lines[5])
    head["root"] = "00" * 32
    lines[5] = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()


def _too_long(lines: list[bytes]) -> None:
    head = json.loads(lines[-1])
    head["tree_size"] += 3
    lines[-1] = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()


CHANGES = {
    "untouched": (store.EVENTS_FILE, lambda lines: None),
    "ballot hex case": (store.EVENTS_FILE, _upper_hex),
    "event dropped": (store.EVENTS_FILE, lambda lines: lines.pop(_ballot_at(lines, 3))),
    "head root": (store.HEADS_FILE, _wrong_root),
    "head beyond the record": (store.HEADS_FILE, _too_long),
}


def _scan_both(path: Path) -> tuple[Any, Any]:
    def one(native_pass: bool) -> Any:
        source = EventLines(path)
        report = new_report()
        stream = HeadsStream(report.by_name("board heads"), source.heads(), source.board_key(), native.NATIVE)
        if native_pass:
            scan = scan_native.scan_blocks(source, frozenset({ev.BALLOT}), stream)
        else:
            scan = scan_lines(source, "r", frozenset({ev.BALLOT}), stream.leaf)
            stream.finish()
        complete = report.by_name("record complete")
        stream.check_complete(complete)
        heads = report.by_name("board heads")
        return (
            scan.types,
            [(e.index, e.type, e.raw) for e in scan.events],
            scan.ballots,
            scan.not_normal,
            scan.ballot_digest,
            heads.failures,
            complete.failures,
            sorted(stream.matched),
            stream.covered,
        )

    return one(False), one(True)


@pytest.mark.parametrize("name", list(CHANGES))
def test_the_native_first_pass_is_the_python_one(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Types, kept events, ballot count, normal form, digest and the heads' answers (blocks of 700 bytes: many
    blocks, and lines longer than a block)."""
    record = _copy(election, tmp_path)
    where, change = CHANGES[name]
    _edit(record / where, change)
    monkeypatch.setattr(scan_native, "BLOCK", 700)
    python, rust = _scan_both(record)
    assert rust == python
    if name != "untouched":  # the change shows: in the normal form or in the heads' answers
        assert python[3] or python[5] or python[6]


def test_a_truncated_record_is_refused_by_the_native_pass(election: Election, tmp_path: Path) -> None:
    record = _copy(election, tmp_path)
    events = record / store.EVENTS_FILE
    events.write_bytes(events.read_bytes()[:-1])
    with pytest.raises(store.RecordError, match="truncated"):
        verify_record(record, 1, engine=native.NATIVE)


class _Spy:
    """Counts the speculations whose results were kept."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.kept = 0
        original = speculate.Speculation.result

        def result(spec: speculate.Speculation, *args: Any) -> Any:
            found = original(spec, *args)
            self.kept += found is not None
            return found

        monkeypatch.setattr(speculate.Speculation, "result", result)


def _without_speculation(
    path: Path, monkeypatch: pytest.MonkeyPatch, unsigned: bool = False
) -> dict[str, Any]:
    with monkeypatch.context() as m:
        m.setattr(speculate, "CHUNK", 10**9)
        return verify_record(path, 2, engine=native.NATIVE, allow_unsigned=unsigned).to_json()


TAMPERINGS = {
    "untouched": None,
    "ballot ciphertext": (
        ev.BALLOT,
        lambda p: p["answers"][1]["choices"][0].__setitem__(1, p["answers"][1]["choices"][1][1]),
    ),
    "ballot hex case": (ev.BALLOT, lambda p: p.__setitem__("signature", p["signature"].upper())),
    "aggregate": (ev.TALLY, lambda p: p["aggregate"][1].__setitem__(0, p["aggregate"][1][1])),
    "no tally": (ev.TALLY, None),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_checked_while_reading_gives_the_same_report(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Chunks of 3 ballots (10 ballots: the last chunk is short): the workers check while the first pass reads,
    and the report is the one the checks after the first pass give (the record has revotes: the left-out ballots
    are read again, digest checked)."""
    tampering = TAMPERINGS[name]
    if tampering is None:
        record, unsigned = _copy(election, tmp_path), False
    else:
        kind, change = tampering
        events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in election.events]
        if change is None:  # the record stops before the tally: no sums folded
            events = [e for e in events if e.type not in (ev.TALLY, ev.PARTIAL_DECRYPTION, ev.RESULT)]
        else:
            change(next(e for e in events if e.type == kind).payload)
        events = [ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)]
        record, unsigned = tmp_path / "r", True
        store.write_record(record, events)
    plain = _without_speculation(record, monkeypatch, unsigned)
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(speculate, "CHUNK", 3)
    ahead = verify_record(record, 2, engine=native.NATIVE, allow_unsigned=unsigned).to_json()
    assert spy.kept == 1
    assert ahead == plain
    assert ahead["ok"] == (name == "untouched")


def test_a_speculation_under_another_job_is_dropped(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the setup read at the first ballot gives another job than the whole record's, the ballots are checked
    again under the right one (here the speculative job has another fingerprint: every ballot would fail)."""
    record = _copy(election, tmp_path)
    plain = _without_speculation(record, monkeypatch)
    spy = _Spy(monkeypatch)
    context = runner._speculative_context

    def other(events: list[ev.Event], memo: Any = None) -> Any:
        ctx = context(events, memo)
        return None if ctx is None else dataclasses.replace(ctx, fingerprint=bytes(32))

    monkeypatch.setattr(runner, "_speculative_context", other)
    monkeypatch.setattr(speculate, "CHUNK", 3)
    assert verify_record(record, 2, engine=native.NATIVE).to_json() == plain
    assert spy.kept == 0 and plain["ok"]


def test_a_file_changed_after_the_checks_while_reading_is_refused(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ballots were read once, but the revotes left out of the tally are read again: if the file changed in
    between (a ballot line dropped), the native pass's digest differs from the second reading's, and the verifier
    refuses the record rather than mixing old and new."""
    record = _copy(election, tmp_path)
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(speculate, "CHUNK", 3)
    challenges = counting.check_challenges

    def change_then_check(*args: Any) -> Any:
        _edit(record / store.EVENTS_FILE, lambda lines: lines.pop(_ballot_at(lines, 1)))
        return challenges(*args)

    monkeypatch.setattr(counting, "check_challenges", change_then_check)
    with pytest.raises(store.RecordError, match="changed while it was being verified"):
        verify_record(record, 2, engine=native.NATIVE)
    assert spy.kept == 1


def test_the_progress_of_the_checks_while_reading_ends_at_every_ballot(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's bars: ``ballots`` grows chunk by chunk while the first pass reads, and ends at the total."""
    record = _copy(election, tmp_path)
    monkeypatch.setattr(speculate, "CHUNK", 3)
    seen: list[tuple[str, int, int | None]] = []
    verify_record(record, 2, engine=native.NATIVE, progress=lambda *a: seen.append(a))
    ballots = [s for s in seen if s[0] == "ballots"]
    assert ballots[-1] == ("ballots", 10, 10)
    assert [done for _, done, _ in ballots] == sorted(done for _, done, _ in ballots)
