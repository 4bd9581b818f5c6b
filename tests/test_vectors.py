"""The committed test vectors are exactly what the code produces (a second implementation relies on them)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from plebiscite.ballot.check import check_ballot
from plebiscite.setup.election import ElectionContext

HERE = Path(__file__).parent / "vectors"


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_vectors", HERE / "make_vectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name", ["group.json", "proofs.json", "ballot.json", "ceremony.json", "encodings.json"]
)
def test_vectors_reproduce(name: str) -> None:
    built = load_generator().build()[name]
    committed = json.loads((HERE / name).read_text())
    assert json.loads(json.dumps(built)) == committed


def test_vector_ballot_verifies() -> None:
    gen = load_generator()
    ctx, _, _, _ = gen.election_context()
    assert isinstance(ctx, ElectionContext)
    vec = json.loads((HERE / "ballot.json").read_text())
    ballot = check_ballot(vec["ballot"], ctx)
    assert ballot.tracking_code() == vec["tracking_code"]
    assert ballot.content_bytes().hex() == vec["content_bytes"]


def test_vector_announcement_verifies_and_binds_its_keys() -> None:
    from plebiscite.keyceremony.public import decode_announcement

    vec = json.loads((HERE / "ceremony.json").read_text())
    cfp = bytes.fromhex(vec["ceremony_fingerprint"])
    announcement = decode_announcement(vec["announcement"], 2, cfp)
    assert announcement.index == 2
    swapped = {**vec["announcement"], "box_key": "00" * 32}
    with pytest.raises(ValueError, match="proofs"):
        decode_announcement(swapped, 2, cfp)
