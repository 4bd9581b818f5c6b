"""`mirror` keeps evidence of every fork it sees in the mirror directory, under names that never collide."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nacl.signing
import pytest
from typer.testing import CliRunner

from plebiscite.board import client as board_client
from plebiscite.cli.main import app
from plebiscite.merkle import ForkDetected, ForkEvidence, sign_tree_head, verify_heads_consistent

KEY = nacl.signing.SigningKey(b"\x33" * 32)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file named in the same second, the hardest case for names that must not collide."""
    epoch = time.gmtime(1_800_000_000)
    monkeypatch.setattr(board_client.time, "gmtime", lambda *_a: epoch)


def fork(root_byte: int) -> ForkDetected:
    """Two validly signed heads of size 5 with different roots: a fork on its own."""
    a = sign_tree_head(KEY, 5, b"\x01" * 32, 1000)
    b = sign_tree_head(KEY, 5, bytes([root_byte]) * 32, 2000)
    with pytest.raises(ForkDetected) as caught:
        verify_heads_consistent(a, b, [], KEY.verify_key)
    return caught.value


def test_each_fork_gets_its_own_file_in_the_mirror_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = iter([fork(2), fork(3), fork(3)])

    def forked_mirror(_url: str, _target: Path, **_options: object) -> None:
        raise next(forks)

    monkeypatch.setattr(board_client, "mirror", forked_mirror)
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "copy"
    target.mkdir()
    outputs = []
    for _ in range(3):
        result = CliRunner().invoke(app, ["mirror", "http://127.0.0.1:1", str(target)])
        assert result.exit_code == 3 and "FORK" in result.output
        outputs.append(result.output)
    files = sorted(target.glob("fork-evidence-*.json"))
    assert len(files) == 2  # the third run saw the second fork again: kept once, nothing overwritten
    roots = {ForkEvidence.from_json(f.read_bytes()).second.root_hash for f in files}
    assert roots == {"02" * 32, "03" * 32}
    assert not (tmp_path / "fork-evidence.json").exists() and os.listdir(tmp_path) == ["copy"]
    assert all(any(f.name in " ".join(out.split()) for f in files) for out in outputs)


def test_a_name_taken_by_other_evidence_is_never_overwritten(tmp_path: Path) -> None:
    first = board_client.save_evidence(tmp_path, fork(2).evidence)
    other = first.read_bytes().replace(b"02" * 32, b"04" * 32)
    first.write_bytes(other)  # another fork already holds that name (same second, same hash prefix)
    second = board_client.save_evidence(tmp_path, fork(2).evidence)
    assert second != first and first.read_bytes() == other
    assert second.name.endswith("-2.json")
