"""A restore streams the mirror (issue 14): memory that does not grow with the record, and a refusal found late in a
big record still leaves the database empty, on either backend (``board/restore.py``, ``Board.restore``).

The records here are synthetic (a manifest, then ballot-typed events of about 1 KB each, signed heads every 500
events under the board's key): a restore checks each line's canonical form and the board's heads and Merkle roots,
not the ballots' proofs, so the events need not make an election.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nacl.signing
import pytest

from plebiscite.board.restore import RestoreError, is_own_record, restore
from plebiscite.board.setup import open_election
from plebiscite.board.storage import Board
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.heads import sign_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import events as ev
from plebiscite.record import store

KEY = nacl.signing.SigningKey(b"\x42" * 32)
HEAD_EVERY = 500


def write_mirror(path: Path, events: int, key: nacl.signing.SigningKey = KEY) -> None:
    """A mirror of ``events`` events, written a line at a time, with a head signed every ``HEAD_EVERY`` events and
    at the end (what the board's log and ``plebiscite mirror`` keep)."""
    store.write_record(path, [], board_key=bytes(key.verify_key).hex())
    frontier = CompactRange()
    with open(path / store.EVENTS_FILE, "wb") as out, open(path / store.HEADS_FILE, "wb") as heads:
        for index in range(events):
            payload: dict[str, object] = {"n": index, "filler": f"{index:08x}" * 128}
            if index == 0:
                payload = {"manifest": {"election_id": "restore-streaming"}}
            raw = ev.make_event(index, ev.MANIFEST if index == 0 else ev.BALLOT, payload).raw
            out.write(raw + b"\n")
            frontier.append(leaf_hash(raw))
            if frontier.size % HEAD_EVERY == 0 or frontier.size == events:
                head = sign_tree_head(key, frontier.size, frontier.root(), 1_000 + frontier.size)
                heads.write(head.to_json().encode() + b"\n")


PEAK = """
import json, sys, tracemalloc
from pathlib import Path
import nacl.signing
from plebiscite.board.restore import is_own_record, restore
from plebiscite.board.storage import Board
board = Board.open(sys.argv[2], nacl.signing.SigningKey(b"\\x42" * 32))
tracemalloc.start()
assert is_own_record(Path(sys.argv[1]), board)
done = restore(board, Path(sys.argv[1]))
print(json.dumps({"entries": done.entries, "heads": done.heads, "peak": tracemalloc.get_traced_memory()[1]}))
"""


def _peak(record: Path, db: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(record), db], capture_output=True, text=True, check=True
    )
    result: dict[str, int] = json.loads(done.stdout)
    return result


def test_restore_memory_does_not_grow_with_the_record(tmp_path: Path) -> None:
    """2,000 against 10,000 events (≈ 1.1 KB a line), each restored in a fresh process: Python's peak is one chunk
    and the frontier, not the record (holding the lines alone would be +9 MB; parsed, several times that)."""
    small, large = tmp_path / "small", tmp_path / "large"
    write_mirror(small, 2_000)
    write_mirror(large, 10_000)
    a = _peak(small, f"sqlite:///{tmp_path / 'small.db'}")
    b = _peak(large, f"sqlite:///{tmp_path / 'large.db'}")
    assert (a["entries"], a["heads"], b["entries"], b["heads"]) == (2_000, 4, 10_000, 20)
    growth = (b["peak"] - a["peak"]) / 8_000
    assert growth < 100, f"{growth:.0f} bytes more per event"
    with Board.open(f"sqlite:///{tmp_path / 'large.db'}") as restored:
        assert restored.size() == 10_000 and len(restored.heads()) == 20


def _refused(db_url: str, mirror: Path, reason: str) -> None:
    with pytest.raises(RestoreError) as refused:
        open_election(db_url, KEY, mirror)
    assert reason in str(refused.value)
    with Board.open(db_url) as left:  # every chunk before the refusal was rolled back with it
        assert left.size() == 0 and left.heads() == [] and left.cosignatures() == {}


def test_a_late_refusal_leaves_the_database_empty(db_url: str, tmp_path: Path) -> None:
    """The last event of a 3,000-event mirror changed (still canonical): two chunks (2,000 events) are checked and
    written before its head's root disagrees; the refusal names that head, and nothing stays written."""
    mirror = tmp_path / "mirror"
    write_mirror(mirror, 3_000)
    lines = (mirror / store.EVENTS_FILE).read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b'"n":2999', b'"n":2998')
    (mirror / store.EVENTS_FILE).write_bytes(b"".join(lines))
    _refused(db_url, mirror, "the head of size 3000 does not match the record's first 3000 events")


def test_late_problems_in_the_heads_are_refused_with_their_line(db_url: str, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    write_mirror(mirror, 2_100)
    heads = (mirror / store.HEADS_FILE).read_bytes().splitlines(keepends=True)
    (mirror / store.HEADS_FILE).write_bytes(b"".join(heads[:-1]))
    _refused(db_url, mirror, "events 2000..2099 are covered by no signed head")
    beyond = sign_tree_head(KEY, 2_500, b"\0" * 32, 9_999).to_json().encode() + b"\n"
    (mirror / store.HEADS_FILE).write_bytes(b"".join([*heads, beyond]))
    _refused(db_url, mirror, "heads.jsonl line 6: signed size 2500, but the record has 2100 events")
    back = sign_tree_head(KEY, 2_100, b"\0" * 32, 5).to_json().encode() + b"\n"
    (mirror / store.HEADS_FILE).write_bytes(b"".join([*heads[:-1], back]))
    _refused(db_url, mirror, "heads.jsonl line 5: its timestamp is earlier than the head before it")


def test_a_streamed_restore_puts_back_every_entry_and_head(db_url: str, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    write_mirror(mirror, 2_000)  # a multiple of the chunk: the last head ends the last chunk exactly
    with Board.open(db_url, KEY) as board:
        assert is_own_record(mirror, board)
        done = restore(board, mirror)
        assert (done.entries, done.heads, done.cosignatures) == (2_000, 4, 0)
        assert board.size() == 2_000 and [h.tree_size for h in board.heads()] == [500, 1_000, 1_500, 2_000]
        lines = (mirror / store.EVENTS_FILE).read_bytes().splitlines()
        assert board.entry(1_999).leaf == lines[1_999] and board.check_integrity() == []


def test_a_zipped_export_restores_the_same(tmp_path: Path) -> None:
    """The board's own `GET /api/record.zip` is a record too: streamed from the zip's members."""
    mirror = tmp_path / "mirror"
    write_mirror(mirror, 1_200)
    store.export_zip(mirror, tmp_path / "record.zip")
    with Board.open(f"sqlite:///{tmp_path / 'z.db'}", KEY) as board:
        assert is_own_record(tmp_path / "record.zip", board)
        assert restore(board, tmp_path / "record.zip").entries == 1_200
        assert [h.tree_size for h in board.heads()] == [500, 1_000, 1_200] and board.check_integrity() == []
