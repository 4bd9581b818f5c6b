"""The witness's own rules, without a board: what its state refuses, what survives a restart, its key file, and the
organiser naming witnesses with ``plebiscite init --witness-key``."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import nacl.signing
import pytest
from typer.testing import CliRunner

from plebiscite.cli.main import app
from plebiscite.merkle.compact import MerkleTree
from plebiscite.merkle.cosign import sign_cosignature, verify_cosignature
from plebiscite.merkle.heads import SignedTreeHead, sign_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.setup.samples import referendum
from plebiscite.witness.service import Witness
from plebiscite.witness.state import (
    KEY_FILE,
    RefusedHead,
    WitnessState,
    WitnessStateError,
    init_state,
    load_key,
)

BOARD = nacl.signing.SigningKey(b"\x09" * 32)
RUN = CliRunner()


def head(size: int, root: bytes) -> object:
    return sign_tree_head(BOARD, size, root, 1_700_000_000_000 + size)


def test_the_state_never_allows_two_roots_at_one_size_or_a_smaller_tree_even_after_a_restart(
    tmp_path: Path,
) -> None:
    public = init_state(tmp_path / "w")
    key = load_key(tmp_path / "w")
    assert bytes(key.verify_key) == bytes(public)
    state = WitnessState(tmp_path / "w")
    h5 = head(5, b"\x05" * 32)
    first = state.record(h5, sign_cosignature(key, h5, 1))  # type: ignore[arg-type]
    assert not first.posted and state.unposted() == [first]
    assert state.record(h5, sign_cosignature(key, h5, 2)).cosignature.cosigned_at == 1  # type: ignore[arg-type]
    state.close()
    restarted = WitnessState(
        tmp_path / "w"
    )  # a crash after the write, before the post: still there, still unposted
    assert restarted.last() == first and restarted.unposted() == [first]
    other5, h4 = head(5, b"\x06" * 32), head(4, b"\x04" * 32)
    with pytest.raises(RefusedHead, match="second root for size 5"):
        restarted.record(other5, sign_cosignature(key, other5, 3))  # type: ignore[arg-type]
    with pytest.raises(RefusedHead, match="smaller than the head of size 5"):
        restarted.record(h4, sign_cosignature(key, h4, 3))  # type: ignore[arg-type]
    restarted.mark_posted(5)
    assert restarted.unposted() == [] and restarted.last().posted  # type: ignore[union-attr]
    verify_cosignature(h5, restarted.last().cosignature)  # type: ignore[arg-type, union-attr]
    restarted.bind_board("aa" * 32)
    with pytest.raises(WitnessStateError, match="use one state directory per board"):
        restarted.bind_board("bb" * 32)
    restarted.close()


def test_witness_init_makes_a_private_key_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    result = RUN.invoke(app, ["witness", "init", "--state", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    public = bytes(load_key(tmp_path / "w").verify_key).hex()
    assert f"witness public key: {public}" in result.output
    assert stat.S_IMODE((tmp_path / "w" / KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "w").stat().st_mode) == 0o700
    again = RUN.invoke(app, ["witness", "init", "--state", str(tmp_path / "w")])
    assert again.exit_code == 2 and "refusing to overwrite" in again.output
    assert bytes(load_key(tmp_path / "w").verify_key).hex() == public
    missing = RUN.invoke(
        app,
        [
            "witness",
            "run",
            "--state",
            str(tmp_path / "none"),
            "--board",
            "http://127.0.0.1:1",
            "--board-key",
            "00" * 32,
            "--once",
        ],
    )
    assert missing.exit_code == 2 and "no witness key here" in missing.output


def test_init_names_witnesses_in_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(referendum("named").model_dump(mode="json")))
    keys = ["11" * 32, "22" * 32]

    def init(name: str, *extra: str) -> object:
        return RUN.invoke(
            app,
            [
                "init",
                str(tmp_path / name),
                "--manifest",
                str(manifest),
                "--trustees-dir",
                str(tmp_path / f"{name}-trustees"),
                "--passphrase-file",
                str(pw),
                *extra,
            ],
        )

    pw = tmp_path / "pw"
    pw.write_text("correct horse battery staple\n")
    result = init(
        "ok", "--witness-key", keys[0], "--witness-key", keys[1].upper(), "--witness-threshold", "1"
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    first = json.loads((tmp_path / "ok" / "events.jsonl").read_text().splitlines()[0])
    assert first["payload"]["manifest"]["witnesses"] == {"keys": keys, "threshold": 1}
    for args, says in [
        (["--witness-key", keys[0], "--witness-threshold", "2"], "witnesses.threshold"),
        (["--witness-key", keys[0], "--witness-key", keys[0]], "named twice"),
        (["--witness-key", "xyz"], "witnesses.keys[0]"),
        (["--witness-threshold", "1"], "--witness-threshold: give the witnesses"),
    ]:
        bad = init(f"bad-{says[:8]}", *args)
        assert bad.exit_code == 2 and says in bad.output, bad.output  # type: ignore[attr-defined]
        assert not (tmp_path / f"bad-{says[:8]}").exists()
    assert init("plain").exit_code == 0  # type: ignore[attr-defined]
    assert (
        "witnesses"
        not in json.loads((tmp_path / "plain" / "events.jsonl").read_text().splitlines()[0])["payload"][
            "manifest"
        ]
    )


class FakeBoard:
    """A board log in memory behind httpx.MockTransport: serves a chosen checkpoint and honest or bogus proofs."""

    def __init__(self, key: nacl.signing.SigningKey = BOARD) -> None:
        self.tree = MerkleTree(leaf_hash(bytes([i])) for i in range(8))
        self.key = key
        self.checkpoint = self.head(5)
        self.bogus_proofs = False
        self.posted: list[dict[str, object]] = []

    def head(self, size: int, key: nacl.signing.SigningKey | None = None) -> SignedTreeHead:
        return sign_tree_head(key or self.key, size, self.tree.root(size), 1_700_000_000_000 + size)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/board/checkpoint":
            return httpx.Response(200, json=self.checkpoint.model_dump())
        if path == "/api/board/consistency":
            first, second = int(request.url.params["first"]), int(request.url.params["second"])
            proof = [b"\x00" * 32] * 3 if self.bogus_proofs else self.tree.consistency_proof(first, second)
            return httpx.Response(
                200, json={"first": first, "second": second, "proof": [p.hex() for p in proof]}
            )
        if path == "/api/board/cosignatures":
            self.posted.append(json.loads(request.content))
            return httpx.Response(200, json={"stored": True})
        return httpx.Response(404, json={"detail": "no"})


def test_the_witness_cosigns_only_signed_consistent_heads(tmp_path: Path) -> None:
    init_state(tmp_path / "w")
    fake = FakeBoard()
    state = WitnessState(tmp_path / "w")
    client = httpx.Client(transport=httpx.MockTransport(fake.handle), base_url="http://board")
    w = Witness(tmp_path / "w", state, load_key(tmp_path / "w"), client, bytes(BOARD.verify_key))
    assert w.step().status == "cosigned" and fake.posted[-1]["tree_size"] == 5
    fake.checkpoint = fake.head(
        8, nacl.signing.SigningKey(b"\x0a" * 32)
    )  # another key: not this board's head
    assert w.step().status == "error" and state.last().head.tree_size == 5  # type: ignore[union-attr]
    fake.checkpoint = fake.head(8)
    fake.bogus_proofs = True  # a head that does not extend the last one cosigned: refused, evidence kept
    outcome = w.step()
    assert outcome.status == "refused" and outcome.evidence is not None and state.last().head.tree_size == 5  # type: ignore[union-attr]
    fake.bogus_proofs = False
    assert w.step().status == "cosigned" and state.last().head.tree_size == 8  # type: ignore[union-attr]
    fake.checkpoint = fake.head(5)  # an older head of the same history: stale, never cosigned
    assert w.step().status == "stale" and len(fake.posted) == 2
    state.close()
