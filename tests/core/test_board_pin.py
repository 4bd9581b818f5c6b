"""`verify --board-key/--log-id`: a record whose heads were re-signed with another key passes checks 18 and 19 under
that key, so the reader pins the key they trust; then only "board heads" fails, naming both keys."""

from __future__ import annotations

import json
from pathlib import Path

import nacl.signing
import pytest

from plebiscite.merkle.heads import SignedTreeHead, log_id_for, sign_tree_head
from plebiscite.record import store

from .test_cli import run, run_json

FORGER = nacl.signing.SigningKey(b"\x42" * 32)


def genuine(record: Path) -> tuple[str, str]:
    key = store.read_board_key(record)
    assert key is not None
    return key, log_id_for(bytes.fromhex(key))


def resign(record: Path, key: nacl.signing.SigningKey) -> None:
    """What someone who rewrote a record does: sign every head again with their own key, and name it in board.json."""
    heads = [SignedTreeHead.from_dict(h) for h in store.read_heads(record)]
    forged = [sign_tree_head(key, h.tree_size, h.root, h.timestamp).model_dump() for h in heads]
    store.write_extras(record, forged, bytes(key.verify_key).hex())


def failed(out: str) -> list[str]:
    return [c["name"] for c in json.loads(out)["checks"] if c["failures"]]


def test_heads_resigned_by_another_key_fail_only_when_the_key_is_pinned(record_copy: Path) -> None:
    key, log_id = genuine(record_copy)
    resign(record_copy, FORGER)
    code, _ = run("verify", record_copy, "--workers", "1")
    assert code == 0  # the gap the pin closes: under its own key the re-signed record is complete
    forger_key = bytes(FORGER.verify_key).hex()
    for option, value in (("--board-key", key), ("--log-id", log_id)):
        code, out = run_json("verify", record_copy, "--json", "--workers", "1", option, value)
        assert code == 1
        assert failed(out) == ["board heads"]
        heads = next(c for c in json.loads(out)["checks"] if c["name"] == "board heads")
        message = heads["failures"][-1]
        assert "another key" in message and log_id in message and forger_key in message
        assert json.loads(out)["expected_board"]["log_id"] == log_id
    code, out = run("verify", record_copy, "--workers", "1", "--board-key", key)
    assert code == 1 and "NOT VERIFIED" in out and "NOT the expected" in out


def test_the_genuine_key_or_log_id_verifies(record_copy: Path) -> None:
    key, log_id = genuine(record_copy)
    code, out = run_json(
        "verify", record_copy, "--json", "--workers", "1", "--board-key", key.upper(), "--log-id", log_id
    )
    assert code == 0, out
    assert json.loads(out)["expected_board"] == {"board_key": key, "log_id": log_id}
    code, out = run("verify", record_copy, "--workers", "1", "--log-id", log_id)
    assert code == 0 and "the key expected" in out


def test_a_pinned_key_needs_signed_heads(record_copy: Path) -> None:
    key, _ = genuine(record_copy)
    (record_copy / store.HEADS_FILE).unlink()
    (record_copy / store.BOARD_FILE).unlink()
    code, out = run_json(
        "verify", record_copy, "--json", "--workers", "1", "--allow-unsigned-legacy", "--board-key", key
    )
    assert code == 1 and failed(out) == ["board heads"]
    assert "carries no signed heads" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--board-key", "xyz"], "--board-key: expected the board's Ed25519 public key as 64 hex digits"),
        (["--board-key", "ab" * 31], "--board-key: expected"),
        (["--log-id", "g" * 64], "--log-id: expected the log id"),
        (["--board-key", "11" * 32, "--log-id", "22" * 32], "they name different boards"),
    ],
)
def test_malformed_pins_are_a_usage_error(record_copy: Path, args: list[str], message: str) -> None:
    code, out = run("verify", record_copy, *args)
    assert code == 2 and message in out and "Traceback" not in out
