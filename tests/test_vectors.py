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
    named = vec["manifest_event"]["trustee_keys"]
    announcement = decode_announcement(vec["announcement"], 2, cfp, named)
    assert announcement.index == 2
    # a swapped box key, even re-signed by the trustee's own key, breaks the proofs (their context holds it)
    from nacl.signing import SigningKey

    from plebiscite.record.signing import sign

    swapped = {k: v for k, v in vec["announcement"].items() if k != "signature"} | {"box_key": "00" * 32}
    swapped = sign("trustee", swapped, SigningKey(bytes.fromhex(vec["trustee"]["signing_seed"])))
    with pytest.raises(ValueError, match="proofs"):
        decode_announcement(swapped, 2, cfp, named)
    # the same announcement under a manifest naming another key for trustee 2: refused (nobody stands in)
    with pytest.raises(ValueError, match="not the key the manifest event names"):
        decode_announcement(vec["announcement"], 2, cfp, [named[0], named[2], named[1]])
