"""Secret files: 0600 in a 0700 directory the user named, never over an existing file, never half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plebiscite.board.setup import admin_token, board_key
from plebiscite.cli.main import app
from plebiscite.keyceremony.vault import write_private as vault_write_private
from plebiscite.record.store import RecordError
from plebiscite.secretfiles import SecretFileError, write_private, write_private_text

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_written_0600_in_a_new_0700_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "secret.json"
    write_private(target, {"k": 1})
    assert json.loads(target.read_text()) == {"k": 1}
    assert mode(target) == 0o600 and mode(target.parent) == 0o700 and mode(target.parent.parent) == 0o700
    assert os.listdir(target.parent) == ["secret.json"]  # no temporary file left


def test_an_existing_secret_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    for writer in (write_private, vault_write_private):  # the vault's name for it is the same function
        target.write_text("handed out already")
        with pytest.raises(SecretFileError, match="already exists; refusing to overwrite it"):
            writer(target, {"k": 2})
        assert target.read_text() == "handed out already"
        target.unlink()
    target.symlink_to(tmp_path / "elsewhere")  # a dangling link is refused too, not followed
    with pytest.raises(SecretFileError):
        write_private_text(target, "x")
    assert not (tmp_path / "elsewhere").exists()
    assert sorted(os.listdir(tmp_path)) == ["secret.json"]


def test_a_deliberate_update_replaces(tmp_path: Path) -> None:
    target = tmp_path / "vault.json"
    write_private(target, {"v": 1})
    write_private(target, {"v": 2}, replace=True)
    assert json.loads(target.read_text()) == {"v": 2} and mode(target) == 0o600


def test_board_key_and_token_are_created_once_then_reused(tmp_path: Path) -> None:
    key = board_key(tmp_path / "s" / "board-key.hex")
    token = admin_token(tmp_path / "s" / "admin-token.txt")
    assert board_key(tmp_path / "s" / "board-key.hex").encode() == key.encode()
    assert admin_token(tmp_path / "s" / "admin-token.txt") == token
    assert mode(tmp_path / "s") == 0o700 and mode(tmp_path / "s" / "board-key.hex") == 0o600
    (tmp_path / "s" / "admin-token.txt").write_text("\n")
    with pytest.raises(RecordError, match="empty"):
        admin_token(tmp_path / "s" / "admin-token.txt")


def test_register_refuses_before_writing_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pass.txt").write_text("a passphrase\n")
    rec, trustees, creds = tmp_path / "rec", tmp_path / "trustees", tmp_path / "creds"
    common = ("--trustees-dir", trustees, "--passphrase-file", tmp_path / "pass.txt")
    assert (
        run("init", rec, "--manifest", EXAMPLES / "yesno.json", "--trustees", 2, "--threshold", 1, *common)[0]
        == 0
    )
    assert all(mode(p) == 0o600 for p in trustees.iterdir()) and mode(trustees) == 0o700
    code, out = run("init", tmp_path / "rec2", "--manifest", EXAMPLES / "yesno.json", *common)
    assert code == 2 and "already exists" in out and not (tmp_path / "rec2").exists()
    assert run("ceremony", rec, *common)[0] == 0  # updates the files init made (deliberately)
    creds.mkdir()
    (creds / "credential-000003.json").write_text("handed out already")
    events = (rec / "events.jsonl").read_bytes()
    code, out = run("register", rec, "--voters", 5, "--out-dir", creds)
    assert code == 2 and "credential-000003.json: already exists" in out
    assert os.listdir(creds) == ["credential-000003.json"] and (rec / "events.jsonl").read_bytes() == events
    code, out = run("register", rec, "--voters", 5, "--out-dir", tmp_path / "fresh")
    assert code == 0 and len(os.listdir(tmp_path / "fresh")) == 5
    assert all(mode(p) == 0o600 for p in (tmp_path / "fresh").iterdir())
    assert run("open", rec)[0] == 0
    cred = tmp_path / "fresh" / "credential-000001.json"
    opening = tmp_path / "opening.json"
    opening.write_text("an earlier opening")
    code, out = run(
        "vote",
        rec,
        "--credential",
        cred,
        "--choice",
        "q1=yes",
        "--out",
        tmp_path / "b.json",
        "--opening-out",
        opening,
    )
    assert code == 2 and "opening.json: already exists" in out and opening.read_text() == "an earlier opening"
    assert not (tmp_path / "b.json").exists()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    code, out = run("vote", rec, "--credential", cred, "--choice", "q1=yes", "--out", tmp_path / "b.json")
    assert code == 0 and os.listdir(tmp_path / "cwd") == []  # the secret opening only where named
