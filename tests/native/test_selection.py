"""Choosing the engine: the vectors through the native path, ``verify --engine``, the report's ``engine``, and a
machine without the extension (everything on the reference, asking for native is a clear error)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from plebiscite import native
from plebiscite.cli.main import app
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from tests.core.conftest import Election
from tests.test_vectors import HERE, load_generator

from .conftest import needs_native


@needs_native
def test_the_ballot_vector_passes_through_the_native_path() -> None:
    """tests/vectors/ballot.json (three questions: yes/no, 1-of-3 with blank, approval) byte for byte."""
    ctx, _, _, _ = load_generator().election_context()
    vec = json.loads((HERE / "ballot.json").read_text())
    content, signature = bytes.fromhex(vec["content_bytes"]), bytes.fromhex(vec["ballot"]["signature"])
    layouts = native.layouts_for_native(ctx.layouts)
    statuses, sums = native.check_ballots(ctx.fingerprint, ctx.public_key, layouts, [(content, signature)])
    assert statuses == b"\0"
    choices = [[Ciphertext.from_json(c) for c in a["choices"]] for a in vec["ballot"]["answers"]]
    assert sums == [[(ct.a, ct.b) for ct in row] for row in choices]
    tampered = bytearray(content)
    tampered[-40] ^= 1  # a response of the last proof
    statuses, sums = native.check_ballots(
        ctx.fingerprint, ctx.public_key, layouts, [(bytes(tampered), signature)]
    )
    assert statuses != b"\0" and all(a == b == G.IDENTITY for row in sums for a, b in row)


@pytest.mark.parametrize("engine", native.ENGINES)
def test_verify_says_its_engine(election: Election, engine: str) -> None:
    if engine == native.NATIVE and not native.AVAILABLE:
        pytest.skip("the native engine is not built")
    out = CliRunner().invoke(app, ["verify", str(election.path), "--json", "--engine", engine])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["engine"] == engine
    out = CliRunner().invoke(app, ["verify", str(election.path), "--engine", engine])
    assert f"engine: {engine}" in out.output


def test_an_unknown_engine_is_a_clear_error(election: Election) -> None:
    out = CliRunner().invoke(app, ["verify", str(election.path), "--engine", "fast"])
    assert out.exit_code != 0 and "'fast' is not one of native, reference" in out.output


def test_without_the_extension_everything_runs_on_the_reference(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(native, "_module", None)
    monkeypatch.setattr(native, "AVAILABLE", False)
    monkeypatch.delenv("PLEBISCITE_ENGINE", raising=False)
    assert native.default_engine() == native.REFERENCE
    with pytest.raises(native.EngineError, match="native is not built"):
        native.resolve(native.NATIVE)
    out = CliRunner().invoke(app, ["verify", str(election.path), "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["engine"] == native.REFERENCE
    out = CliRunner().invoke(app, ["verify", str(election.path), "--engine", "native"])
    assert out.exit_code != 0 and "native is not built" in out.output


def test_the_engine_variable_picks_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEBISCITE_ENGINE", native.REFERENCE)
    assert native.default_engine() == native.REFERENCE
    monkeypatch.setenv("PLEBISCITE_ENGINE", "turbo")
    with pytest.raises(native.EngineError, match="turbo"):
        native.default_engine()


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    from tests.core.conftest import build_election

    return build_election(tmp_path_factory.mktemp("select") / "record", voters=4, seed=3)


@needs_native
def test_the_range_proof_vectors_pass_through_the_native_path() -> None:
    """tests/vectors/proofs.json: [0, 1] and [1, 3] proofs, each accepted, and refused once altered."""
    import plebiscite_native

    vec = json.loads((HERE / "proofs.json").read_text())
    fp, context = bytes.fromhex(vec["fingerprint"]), bytes.fromhex(vec["context"])
    for case in vec["range"]:
        key = bytes.fromhex(case["public_key"])
        a, b = (bytes.fromhex(x) for x in case["ciphertext"])
        proof = case["proof"]
        branches = b"".join(
            bytes.fromhex(x)
            for j in range(len(proof["c"]))
            for x in (proof[k][j] for k in ("A", "B", "c", "z"))
        )
        args = (fp, key, context, a, b, case["lo"], case["hi"])
        assert plebiscite_native.check_range_proof(*args, branches)
        for at in (0, 40, 70, len(branches) - 1):  # an A, a B, a c, the last z
            altered = bytearray(branches)
            altered[at] ^= 1
            assert not plebiscite_native.check_range_proof(*args, bytes(altered))
        assert not plebiscite_native.check_range_proof(
            fp, key, context + b"!", a, b, case["lo"], case["hi"], branches
        )
        assert not plebiscite_native.check_range_proof(*args[:-1], case["hi"] + 1, branches)
