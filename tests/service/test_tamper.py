"""Editing or deleting rows of the ``entries`` table by hand, behind the service's back (the append-only triggers
dropped first, as an administrator could): caught by a mirror (it recomputes the roots from the entries it is
served), by ``plebiscite verify`` on the exported record (checks 18 and 19), by the voter whose receipt
covers the entry, by ``Board.check_integrity()``, and by ``serve``, which refuses to start on such a database."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from plebiscite.board import Board, BoardCorruptError
from plebiscite.board.client import BoardClientError, check_receipt, mirror
from plebiscite.board.election import BoardElection
from plebiscite.board.setup import open_election
from plebiscite.merkle import ForkDetected, MerkleError, leaf_hash, root_of
from plebiscite.record import events as ev
from plebiscite.record.store import RecordError
from plebiscite.verify.runner import verify_record

from .conftest import BOARD_KEY, Ballot, LiveService, RawDb, Setup, live_service


def unaudited_service(db_url: str, setup: Setup) -> contextlib.AbstractContextManager[LiveService]:
    """The board's app served without ``open_election``'s start-up audit (which ``serve`` always runs)."""
    return live_service(db_url, setup, election=BoardElection(Board.open(db_url, BOARD_KEY)))


CAST = 24
VICTIM = 10  # the receipt whose ballot is tampered with (edits) or deleted (delete-middle)

# what check_integrity must report for each kind of tampering
EXPECTED = {
    "edit": {"leaf_hash_mismatch", "head_root_mismatch"},
    "edit-and-rehash": {"node_mismatch", "head_root_mismatch"},
    "delete-middle": {"missing_entry"},
    "delete-last": {"head_beyond_log"},
}


def tamper(raw: RawDb, kind: str, index: int, last: int, forged: bytes) -> None:
    if kind == "edit":  # another valid ballot event in its place; the stored hash is left as it was
        raw.execute("UPDATE entries SET leaf = %s WHERE idx = %s", (forged, index))
    elif kind == "edit-and-rehash":  # ... and the stored leaf hash made to match (interior nodes left alone)
        raw.execute(
            "UPDATE entries SET leaf = %s, leaf_hash = %s WHERE idx = %s", (forged, leaf_hash(forged), index)
        )
    elif kind == "delete-middle":
        raw.execute("DELETE FROM entries WHERE idx = %s", (index,))
    else:
        raw.execute("DELETE FROM entries WHERE idx = %s", (last,))


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_tampering_with_entries_is_detected(
    kind: str, db_url: str, yesno_setup: Setup, yesno_ballots: list[Ballot], tmp_path: Path
) -> None:
    with live_service(db_url, yesno_setup) as svc:
        svc.open()
        client = svc.client()
        receipts: list[dict[str, Any]] = []
        for ballot in yesno_ballots[:CAST]:
            r = client.post("/api/ballots", json=ballot.json)
            assert r.status_code == 200, r.text
            receipts.append(r.json())
        before = tmp_path / "before"
        mirror(svc.url, before)  # an honest copy, for comparison
        assert verify_record(before, workers=1).by_name("board heads").failure_count == 0
        assert svc.election.board.check_integrity() == []

        victim = receipts[VICTIM]
        forged = ev.make_event(0, ev.BALLOT, yesno_ballots[-1].json).raw  # a valid ballot never cast
        tamper(RawDb(db_url), kind, victim["index"], receipts[-1]["index"], forged)

        # 1. the board's own audit
        codes = {p.code for p in svc.election.board.check_integrity()}
        assert EXPECTED[kind] <= codes, codes

        # 2. a mirror copying the board now: the entries served do not hash to the roots the board signed
        with pytest.raises((BoardClientError, ForkDetected, MerkleError, RecordError)) as caught:
            mirror(svc.url, tmp_path / "after")
        assert "root" in str(caught.value) or "serves only" in str(caught.value), caught.value

        # 3. the exported record fails verification at check 18
        zipped = client.get("/api/record.zip")
        assert zipped.status_code == 200
        (tmp_path / "record.zip").write_bytes(zipped.content)
        report = verify_record(tmp_path / "record.zip", workers=1)
        heads = report.by_name("board heads")
        assert heads.ran and heads.failure_count > 0, heads
        assert not report.ok
        if kind.startswith(
            "edit"
        ):  # the forged ballot is itself valid: only the signed heads expose the edit
            failed = {c.name for c in report.checks if c.failure_count}
            assert failed == {"board heads", "record complete"}, failed
            with zipfile.ZipFile(io.BytesIO(zipped.content)) as z:
                assert forged in z.read("events.jsonl").splitlines()

        # 4. the voter whose ballot was replaced or removed: the receipt no longer checks out
        target = victim if kind != "delete-last" else receipts[-1]
        with pytest.raises((BoardClientError, ForkDetected, MerkleError)):
            check_receipt(target, svc.url)
        # proofs come from the stored interior nodes, so other receipts still check out, unless the log shrank
        # below the board's latest signed head (then it cannot prove anything against that head)
        if kind != "delete-last":
            assert check_receipt(receipts[0], svc.url)["ok"] is True
        else:
            with pytest.raises(BoardClientError, match="beyond the log"):
                check_receipt(receipts[0], svc.url)


def test_a_consistent_rewrite_is_refused_and_detected_after_a_restart(
    db_url: str, yesno_setup: Setup, yesno_ballots: list[Ballot], tmp_path: Path
) -> None:
    """While the service is down, rewrite an entry *and* its stored hash *and* every interior node above it, so the
    database is self-consistent again. Only the signed heads still tell: the restarted service refuses to sign a
    head over the rewritten log (503 on the next cast), and its audit and a fresh mirror report it."""
    with live_service(db_url, yesno_setup) as svc:
        svc.open()
        client = svc.client()
        receipts = [client.post("/api/ballots", json=b.json).json() for b in yesno_ballots[:12]]
        leaves = [e["leaf"].encode() for e in client.get("/api/board/entries", params={"limit": 1000}).json()]
    index = receipts[3]["index"]
    leaves[index] = ev.make_event(0, ev.BALLOT, yesno_ballots[-1].json).raw
    raw = RawDb(db_url)
    tamper(raw, "edit-and-rehash", index, len(leaves) - 1, leaves[index])
    hashes = [leaf_hash(leaf) for leaf in leaves]
    level = 1
    while (1 << level) <= len(leaves):
        i = index >> level
        if (i + 1) << level <= len(leaves):  # a complete subtree: stored as a node
            node = root_of(hashes[i << level : (i + 1) << level])
            raw.execute("UPDATE nodes SET hash = %s WHERE level = %s AND idx = %s", (node, level, i))
        level += 1

    # `serve` audits the database at start and refuses it, locating the entry by the heads that still match
    with pytest.raises(BoardCorruptError, match=r"first bad entry: one of entries (\d+)\.\.(\d+)") as refused:
        open_election(db_url, BOARD_KEY, yesno_setup.path)
    low, high = map(int, re.search(r"entries (\d+)\.\.(\d+)", str(refused.value)).groups())  # type: ignore[union-attr]
    assert low <= index <= high, (low, index, high)

    # an operator who skips the audit: the board still refuses to sign over it, and every check reports it
    with unaudited_service(db_url, yesno_setup) as svc:
        codes = {p.code for p in svc.election.board.check_integrity()}
        assert "head_root_mismatch" in codes and not codes & {"leaf_hash_mismatch", "node_mismatch"}, codes
        with pytest.raises((BoardClientError, ForkDetected, MerkleError)):
            mirror(svc.url, tmp_path / "copy")
        size = svc.size()
        r = svc.client().post("/api/ballots", json=yesno_ballots[20].json)
        assert r.status_code == 503, r.text
        assert r.json()["detail"].startswith("board: refusing to sign a head inconsistent with the last one")
        # The ballot and its head are one transaction: refusing the head rolls the ballot back too.
        assert svc.size() == size
