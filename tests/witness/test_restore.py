"""A lost board restored from a mirror (``serve --record MIRROR`` on an empty database, same key) serves the same
signed heads with the same witnesses' cosignatures, and goes on consistently: old receipts check, the mirror and
the same witnesses (from their own state) accept its next heads. A mirror that does not check out is refused with a
named reason and nothing is written (docs/board.md §5, docs/operator.md §8)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from plebiscite.board.client import check_receipt, mirror
from plebiscite.board.restore import RestoreError
from plebiscite.board.setup import open_election
from plebiscite.board.storage import Board
from plebiscite.merkle.cosign import sign_cosignature
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.record import store
from plebiscite.verify.runner import verify_record
from tests.service.conftest import Setup

from .conftest import ADMIN, BOARD_KEY, Witnesses, board, witness


@pytest.fixture(scope="module")
def lost(
    tmp_path_factory: pytest.TempPathFactory, witnesses_setup: Setup, witness_keys: Witnesses
) -> dict[str, Any]:
    """A witnessed board, mirrored, then its database deleted: what it served, its mirror, its witnesses' state."""
    tmp = tmp_path_factory.mktemp("lost")
    states = [witness_keys.fresh(i, tmp) for i in (0, 1)]
    ballots = witnesses_setup.ballots(5, seed=11)
    out: dict[str, Any] = {"tmp": tmp, "states": states, "ballots": ballots}
    with board(tmp / "lost.db", witnesses_setup) as b:
        b.ok("POST", "/api/admin/open", headers=ADMIN)
        receipts = [b.ok("POST", "/api/ballots", json=x.json) for x in ballots[:2]]
        for later in ballots[2:4]:  # three witnessed checkpoints, a ballot after each of the first two
            for state in states:
                with witness(state, b.url) as w:
                    assert w.step().status == "cosigned"
            receipts.append(b.ok("POST", "/api/ballots", json=later.json))
        for state in states:
            with witness(state, b.url) as w:
                assert w.step().status == "cosigned"
        out["receipts"] = receipts
        out["heads"] = b.ok("GET", "/api/board/heads", params={"min_size": 0})
        out["witnessed"] = b.ok("GET", "/api/board/witnessed")
        mirror(b.url, tmp / "mirror")
    for name in ("lost.db", "lost.db-wal", "lost.db-shm"):
        (tmp / name).unlink(missing_ok=True)
    return out


def copy_of(lost: dict[str, Any], tmp_path: Path) -> Path:
    target = tmp_path / "mirror"
    shutil.copytree(lost["tmp"] / "mirror", target)
    return target


def test_a_restored_board_serves_the_same_heads_and_cosignatures_and_goes_on(
    lost: dict[str, Any], witnesses_setup: Setup, tmp_path: Path
) -> None:
    copy = copy_of(lost, tmp_path)
    assert len(store.read_cosignatures(copy)) >= 3  # the mirror kept the witnesses' evidence
    restored = dataclasses.replace(witnesses_setup, path=copy)  # serve --record MIRROR on an empty database
    with board(tmp_path / "restored.db", restored) as r:
        assert r.ok("GET", "/api/board/heads", params={"min_size": 0}) == lost["heads"]
        assert r.ok("GET", "/api/board/witnessed") == lost["witnessed"]
        for receipt in lost["receipts"]:
            assert check_receipt(receipt, r.url)["witnessed"]["status"] == "witnessed"
        r.ok("POST", "/api/ballots", json=lost["ballots"][4].json)  # voting goes on
        for state in lost[
            "states"
        ]:  # the witnesses, from their own state: the new head extends what they cosigned
            with witness(state, r.url) as w:
                assert w.step().status == "cosigned"
        again = mirror(r.url, copy)  # the same mirror: the new head is consistent with the ones it kept
        assert again.copied == 1 and again.witnessed.final
    report = verify_record(copy, workers=1)
    assert report.by_name("board heads").ok and report.by_name("record complete").ok, report.failed()


def _edit_cosignatures(copy: Path, edit: Any) -> None:
    lines = store.read_cosignatures(copy)
    edit(lines)
    store.write_cosignatures(copy, lines)


def _flip_signature(lines: list[dict[str, Any]]) -> None:
    sig = lines[0]["cosignatures"][0]["signature"]
    lines[0]["cosignatures"][0]["signature"] = ("1" if sig[0] == "0" else "0") + sig[1:]


def _stranger(lines: list[dict[str, Any]]) -> None:
    head = lines[0]["tree_size"]
    sth = SignedTreeHead.from_dict(
        next(h for h in store.read_heads(Path(lines[0]["_copy"])) if h["tree_size"] == head)
    )
    lines[0]["cosignatures"].append(
        sign_cosignature(nacl.signing.SigningKey(b"\x07" * 32), sth, 1).model_dump()
    )


BAD_COSIGNATURES = {
    "altered signature": (_flip_signature, "does not verify on the head of size"),
    "stranger": (_stranger, "is not a witness named in the manifest"),
    "repeated witness": (
        lambda lines: lines[0]["cosignatures"].append(dict(lines[0]["cosignatures"][0])),
        "counted once already",
    ),
    "head not held": (
        lambda lines: lines.append({"tree_size": 10_000, "cosignatures": lines[0]["cosignatures"]}),
        "a head the record does not hold",
    ),
    "moved to another head": (
        lambda lines: lines[1].__setitem__("cosignatures", lines[0]["cosignatures"]),
        "does not verify on the head of size",
    ),
    "malformed line": (lambda lines: lines[0].__setitem__("extra", 1), "expected {"),
}


@pytest.mark.parametrize("case", list(BAD_COSIGNATURES))
def test_a_bad_cosignature_refuses_the_restore_and_nothing_is_written(
    lost: dict[str, Any], witnesses_setup: Setup, tmp_path: Path, case: str
) -> None:
    copy = copy_of(lost, tmp_path)
    edit, reason = BAD_COSIGNATURES[case]

    def with_copy(lines: list[dict[str, Any]]) -> None:
        lines[0]["_copy"] = str(copy)
        edit(lines)
        lines[0].pop("_copy")

    _edit_cosignatures(copy, with_copy)
    _refused(tmp_path, copy, reason)


def _refused(tmp_path: Path, copy: Path, reason: str, key: nacl.signing.SigningKey = BOARD_KEY) -> None:
    db = f"sqlite:///{tmp_path / f'restored-{bytes(key.verify_key).hex()[:8]}.db'}"
    with pytest.raises(RestoreError) as refused:
        open_election(db, key, copy)
    assert reason in str(refused.value)
    with Board.open(db) as left:  # nothing half-imported
        assert left.size() == 0 and left.heads() == [] and left.cosignatures() == {}


def test_bad_heads_or_unsigned_events_refuse_the_restore(lost: dict[str, Any], tmp_path: Path) -> None:
    copy = copy_of(lost, tmp_path)
    heads = (copy / store.HEADS_FILE).read_bytes()
    lines = heads.splitlines(keepends=True)
    forged = json.loads(lines[-1])
    forged["root_hash"] = "00" * 32
    (copy / store.HEADS_FILE).write_bytes(b"".join([*lines[:-1], json.dumps(forged).encode() + b"\n"]))
    _refused(tmp_path, copy, f"heads.jsonl line {len(lines)}: bad signature")
    (copy / store.HEADS_FILE).write_bytes(b"".join(lines[:-1]))  # the last head gone: its events are unsigned
    _refused(tmp_path, copy, "are covered by no signed head")
    (copy / store.HEADS_FILE).write_bytes(heads)
    _refused(tmp_path, copy, "restored only under its own key", nacl.signing.SigningKey(b"\x31" * 32))
