"""Witnesses end to end on one honest board: cosign, serve, receipts witnessed (v2), mirror, record, verifier.

And the verifier's tamper tests for cosignatures: each alteration of ``cosignatures.jsonl`` fails check 18
("board heads") and nothing else.
"""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from typer.testing import CliRunner

from plebiscite.board.client import check_receipt, mirror
from plebiscite.board.witnessing import upgrade_receipt
from plebiscite.cli.main import app
from plebiscite.merkle.cosign import sign_cosignature
from plebiscite.merkle.heads import SignedTreeHead, sign_tree_head
from plebiscite.record import store
from plebiscite.verify.runner import verify_events, verify_record
from plebiscite.verify.witnesses import NOT_RUN
from plebiscite.witness.state import load_key
from tests.service.conftest import Setup

from .conftest import ADMIN, Witnesses, board, post_partials, witness


@pytest.fixture(scope="module")
def finished(
    tmp_path_factory: pytest.TempPathFactory, witnesses_setup: Setup, witness_keys: Witnesses
) -> dict[str, Any]:
    """One witnessed election, run once for the module: what each test looks at."""
    tmp = tmp_path_factory.mktemp("finished")
    states = [witness_keys.fresh(i, tmp) for i in (0, 1)]
    out: dict[str, Any] = {"tmp": tmp, "witness_keys": witness_keys.keys}
    with board(tmp / "board.db", witnesses_setup) as b:
        b.ok("POST", "/api/admin/open", headers=ADMIN)
        ballots = witnesses_setup.ballots(3, seed=7)
        receipts = [b.ok("POST", "/api/ballots", json=x.json) for x in ballots]
        out["before"] = check_receipt(receipts[0], b.url)
        rounds = []
        for state in states:
            with witness(state, b.url) as w:
                rounds.append(w.step())
        out["rounds"] = rounds
        out["head"] = b.ok("GET", "/api/board/head")
        out["after"] = check_receipt(receipts[0], b.url)
        v2 = upgrade_receipt(receipts[0], out["after"]["witnessed_block"])
        out["v2"] = v2
        out["v2_check"] = check_receipt(v2, b.url)
        with witness(states[0], b.url) as w:
            out["again"] = w.step()
        saved = tmp / "receipt.json"
        saved.write_text(json.dumps(receipts[1]))
        saved.chmod(0o600)
        out["cli_save"] = CliRunner().invoke(app, ["check-receipt", str(saved), "--board", b.url, "--save"])
        out["saved"] = (json.loads(saved.read_text()), stat.S_IMODE(saved.stat().st_mode))
        out["cli_v2"] = CliRunner().invoke(
            app, ["check-receipt", str(saved), "--board", b.url, "--require-witnessed"]
        )
        for step in ("close", "tally"):
            b.ok("POST", f"/api/admin/{step}", headers=ADMIN)
        post_partials(b.client, witnesses_setup, [1, 2])
        b.ok("POST", "/api/admin/result", headers=ADMIN)
        out["unwitnessed_mirror"] = mirror(b.url, tmp / "mirror-early")
        for state in states:
            with witness(state, b.url) as w:
                assert w.step().status == "cosigned"
        out["mirror"] = mirror(b.url, tmp / "mirror")
        out["v2_after_close"] = check_receipt(v2, b.url)
        (tmp / "record.zip").write_bytes(b.client.get("/api/record.zip").content)
    return out


def test_witnesses_cosign_and_the_board_serves_their_cosignatures(finished: dict[str, Any]) -> None:
    assert [r.status for r in finished["rounds"]] == ["cosigned", "cosigned"]
    cosigs = finished["head"]["cosignatures"]
    assert {c["witness"] for c in cosigs} == set(finished["witness_keys"])
    assert finished["again"].status == "unchanged"


def test_a_receipt_becomes_witnessed_and_a_v2_receipt_checks(finished: dict[str, Any]) -> None:
    assert finished["before"]["witnessed"]["status"] == "not yet witnessed"
    after = finished["after"]
    assert after["witnessed"] == {
        "status": "witnessed",
        "valid": 2,
        "witnesses": 2,
        "threshold": 2,
        "tree_size": after["witnessed"]["tree_size"],
    }
    assert "witnessed by 2 of 2" in after["witnessed_text"]
    assert finished["v2"]["format"] == "plebiscite-receipt/2"
    assert finished["v2_check"]["witnessed"]["status"] == "witnessed"
    assert finished["v2_after_close"]["witnessed"]["status"] == "witnessed"


def test_check_receipt_save_makes_a_v2_receipt_that_checks(finished: dict[str, Any]) -> None:
    assert finished["cli_save"].exit_code == 0, finished["cli_save"].output
    assert "included, witnessed by 2 of 2 witnesses" in finished["cli_save"].output
    receipt, mode = finished["saved"]
    assert receipt["format"] == "plebiscite-receipt/2" and mode == 0o600
    assert set(receipt["witnessed"]) == {"tree_head", "cosignatures", "consistency"}
    assert len(receipt["witnessed"]["cosignatures"]) == 2
    assert finished["cli_v2"].exit_code == 0 and "witnessed by 2 of 2" in finished["cli_v2"].output


def test_a_mirror_says_whether_its_latest_head_is_witnessed(finished: dict[str, Any]) -> None:
    early = finished["unwitnessed_mirror"].witnessed
    assert not early.final and "NOT WITNESSED YET" in early.text
    final = finished["mirror"].witnessed
    assert final.final and final.valid == 2
    report = verify_record(finished["tmp"] / "mirror", workers=1)
    assert report.ok, report.failed()
    assert NOT_RUN not in report.warnings


def _record(finished: dict[str, Any], tmp_path: Path) -> Path:
    target = tmp_path / "record"
    with zipfile.ZipFile(finished["tmp"] / "record.zip") as z:
        z.extractall(target)
    return target


def test_the_exported_record_verifies_with_its_cosignatures(finished: dict[str, Any], tmp_path: Path) -> None:
    record = _record(finished, tmp_path)
    lines = store.read_cosignatures(record)
    assert lines and all(set(line) == {"tree_size", "cosignatures"} for line in lines)
    report = verify_record(record, workers=1)
    assert report.ok, [report.by_name(n).failures for n in report.failed()]
    assert NOT_RUN not in report.warnings


def _final(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return max(lines, key=lambda line: line["tree_size"])


def _wrong_key(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    final = _final(lines)
    head = SignedTreeHead.from_dict(next(h for h in heads if h["tree_size"] == final["tree_size"]))
    stranger = sign_cosignature(nacl.signing.SigningKey(b"\x33" * 32), head, 1).model_dump()
    final["cosignatures"][0] = stranger


def _missing(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    lines.remove(_final(lines))


def _below_threshold(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    del _final(lines)["cosignatures"][1]


def _duplicate_witness(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    final = _final(lines)  # both witnesses still there: only the repetition is wrong
    final["cosignatures"].append(dict(final["cosignatures"][0]))


def _replayed_from_another_head(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    earlier = min(lines, key=lambda line: line["tree_size"])
    _final(lines)["cosignatures"] = earlier["cosignatures"]


def _replayed_from_another_election(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    """A genuine cosignature by a named witness, on another board's head of the same size (another election):
    it does not verify on this record's head."""
    final = _final(lines)
    head = SignedTreeHead.from_dict(next(h for h in heads if h["tree_size"] == final["tree_size"]))
    other = sign_tree_head(
        nacl.signing.SigningKey(b"\x44" * 32), head.tree_size, b"\x55" * 32, head.timestamp
    )
    final["cosignatures"][0] = sign_cosignature(
        witness_key, other, final["cosignatures"][0]["cosigned_at"]
    ).model_dump()


def _altered_signature(
    lines: list[dict[str, Any]], heads: list[dict[str, Any]], witness_key: nacl.signing.SigningKey
) -> None:
    cosig = _final(lines)["cosignatures"][0]
    cosig["signature"] = ("0" if cosig["signature"][0] != "0" else "1") + cosig["signature"][1:]


TAMPERINGS = {  # what is done, and what check 18 must say
    "wrong key": (_wrong_key, "is not a witness named in the manifest"),
    "missing": (_missing, "carries 0 valid cosignature(s)"),
    "below threshold": (_below_threshold, "carries 1 valid cosignature(s)"),
    "duplicate witness": (_duplicate_witness, "counted once already"),
    "replayed from another head": (_replayed_from_another_head, "does not verify on the head of size"),
    "replayed from another election": (
        _replayed_from_another_election,
        "does not verify on the head of size",
    ),
    "altered signature": (_altered_signature, "does not verify on the head of size"),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampered_cosignatures_fail_the_board_heads_check(
    finished: dict[str, Any], witness_keys: Witnesses, tmp_path: Path, name: str
) -> None:
    record = _record(finished, tmp_path)
    events, heads, key = store.read_all(record)
    lines = store.read_cosignatures(record)
    untouched = verify_events(
        events, heads, workers=1, board_key=key, cosignatures=json.loads(json.dumps(lines))
    )
    assert untouched.ok
    tamper, says = TAMPERINGS[name]
    tamper(lines, heads, load_key(witness_keys.dirs[0]))
    report = verify_events(events, heads, workers=1, board_key=key, cosignatures=lines)
    assert report.failed() == ["board heads"], name
    failures = report.by_name("board heads").failures
    assert any(says in f for f in failures), failures
