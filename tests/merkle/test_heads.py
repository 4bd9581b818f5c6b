"""Signed tree heads: exact byte format, sign/verify, tamper and wrong-key rejection, fork evidence."""

from __future__ import annotations

import hashlib
import json

import nacl.signing
import pytest

from plebiscite.merkle import (
    EMPTY_ROOT,
    STH_TAG,
    ForkDetected,
    ForkEvidence,
    MerkleProofError,
    MerkleTree,
    SignedTreeHead,
    TreeHeadError,
    leaf_hash,
    log_id_for,
    sign_tree_head,
    tree_head_signing_bytes,
    verify_heads_consistent,
    verify_tree_head,
)

KEY = nacl.signing.SigningKey(bytes(range(32)))
OTHER_KEY = nacl.signing.SigningKey(bytes(range(1, 33)))
ROOT = hashlib.sha256(b"root").digest()
TREE = MerkleTree(leaf_hash(b"entry %d" % i) for i in range(20))

# Known answer for a second implementation (also quoted in docs/board.md).
KAT_SIGNATURE = (
    "26579bdb66163be9007333eda8eac734e4ad7f1fdaa3c2d43a4e1e1c7e357ec1"
    "266bc234e1fe878acfce30c39aa3cf3b87f90aa6b54bb348cdb4d7526847b90d"
)


def test_signing_bytes_layout_is_exactly_as_documented() -> None:
    log_id = log_id_for(KEY.verify_key)
    assert log_id == hashlib.sha256(bytes(KEY.verify_key)).hexdigest()
    expected = (
        (17).to_bytes(8, "big")
        + b"plebiscite/sth/v1"
        + (32).to_bytes(8, "big")
        + bytes.fromhex(log_id)
        + (8).to_bytes(8, "big")
        + (5).to_bytes(8, "big")
        + (32).to_bytes(8, "big")
        + ROOT
        + (8).to_bytes(8, "big")
        + (1_700_000_000_000).to_bytes(8, "big")
    )
    assert STH_TAG == b"plebiscite/sth/v1"
    assert tree_head_signing_bytes(log_id, 5, ROOT, 1_700_000_000_000) == expected
    sth = sign_tree_head(KEY, 5, ROOT, 1_700_000_000_000)
    assert sth.signing_bytes() == expected
    nacl.signing.VerifyKey(bytes(KEY.verify_key)).verify(expected, bytes.fromhex(sth.signature))
    assert sth.signature == KAT_SIGNATURE  # Ed25519 is deterministic: a fixed key and message pin it


def test_sign_verify_and_json_round_trip() -> None:
    sth = sign_tree_head(KEY, 20, TREE.root(), 1_700_000_000_123)
    verify_tree_head(sth, KEY.verify_key)
    verify_tree_head(sth, bytes(KEY.verify_key))
    again = SignedTreeHead.from_json(sth.to_json())
    assert again == sth
    assert set(json.loads(sth.to_json())) == {"log_id", "tree_size", "root_hash", "timestamp", "signature"}
    verify_tree_head(sign_tree_head(KEY, 0, EMPTY_ROOT, 0), KEY.verify_key)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tree_size", 21),
        ("root_hash", hashlib.sha256(b"other").hexdigest()),
        ("timestamp", 1_700_000_000_124),
        ("log_id", log_id_for(OTHER_KEY.verify_key)),
        ("signature", "00" * 64),
    ],
)
def test_every_altered_field_is_rejected(field: str, value: object) -> None:
    sth = sign_tree_head(KEY, 20, TREE.root(), 1_700_000_000_123)
    tampered = SignedTreeHead.from_dict({**sth.model_dump(), field: value})
    with pytest.raises(TreeHeadError):
        verify_tree_head(tampered, KEY.verify_key)


def test_a_single_flipped_signature_bit_is_rejected() -> None:
    sth = sign_tree_head(KEY, 20, TREE.root(), 1)
    raw = bytearray(bytes.fromhex(sth.signature))
    raw[63] ^= 0x01
    with pytest.raises(TreeHeadError, match="bad signature"):
        verify_tree_head(
            SignedTreeHead.from_dict({**sth.model_dump(), "signature": raw.hex()}), KEY.verify_key
        )


def test_wrong_key_is_rejected_even_with_a_matching_log_id_claim() -> None:
    sth = sign_tree_head(KEY, 20, TREE.root(), 1)
    with pytest.raises(TreeHeadError, match="not from log"):
        verify_tree_head(sth, OTHER_KEY.verify_key)
    forged = sign_tree_head(OTHER_KEY, 20, TREE.root(), 1)
    relabelled = SignedTreeHead.from_dict({**forged.model_dump(), "log_id": sth.log_id})
    with pytest.raises(TreeHeadError, match="bad signature"):
        verify_tree_head(relabelled, KEY.verify_key)


@pytest.mark.parametrize(
    "patch",
    [
        {"tree_size": -1},
        {"tree_size": 2**63},
        {"tree_size": "5"},
        {"tree_size": True},
        {"root_hash": "AB" * 32},
        {"root_hash": "ab" * 31},
        {"signature": "zz" * 64},
        {"extra": 1},
    ],
)
def test_malformed_heads_are_refused_naming_the_field(patch: dict[str, object]) -> None:
    good = sign_tree_head(KEY, 1, ROOT, 1).model_dump()
    with pytest.raises(TreeHeadError, match=next(iter(patch))):
        SignedTreeHead.from_json(json.dumps({**good, **patch}))


def test_signing_refuses_out_of_range_values() -> None:
    with pytest.raises(TreeHeadError, match="timestamp"):
        sign_tree_head(KEY, 1, ROOT, -5)
    with pytest.raises(TreeHeadError, match="root_hash"):
        sign_tree_head(KEY, 1, ROOT[:16], 1)


def test_consistent_heads_pass_in_either_order() -> None:
    old = sign_tree_head(KEY, 7, TREE.root(7), 1)
    new = sign_tree_head(KEY, 20, TREE.root(20), 2)
    proof = TREE.consistency_proof(7, 20)
    verify_heads_consistent(old, new, proof, KEY.verify_key)
    verify_heads_consistent(new, old, proof, KEY.verify_key)
    verify_heads_consistent(new, new, [], KEY.verify_key)


def test_a_forked_log_yields_evidence_with_both_heads() -> None:
    forked = MerkleTree([*(TREE.leaf_hash(i) for i in range(6)), leaf_hash(b"rewritten"), leaf_hash(b"x")])
    old = sign_tree_head(KEY, 7, forked.root(7), 1)
    new = sign_tree_head(KEY, 20, TREE.root(20), 2)
    with pytest.raises(ForkDetected) as caught:
        verify_heads_consistent(new, old, TREE.consistency_proof(7, 20), KEY.verify_key)
    evidence = caught.value.evidence
    assert (evidence.first, evidence.second) == (old, new)
    assert "first root" in evidence.reason
    assert ForkEvidence.from_json(evidence.to_json()) == evidence

    twin = sign_tree_head(KEY, 7, TREE.root(7), 3)
    with pytest.raises(ForkDetected, match="two different roots"):
        verify_heads_consistent(old, twin, [], KEY.verify_key)


def test_unsigned_heads_or_garbage_proofs_are_not_evidence() -> None:
    old = sign_tree_head(KEY, 7, TREE.root(7), 1)
    stranger = sign_tree_head(OTHER_KEY, 20, TREE.root(20), 2)
    with pytest.raises(TreeHeadError):
        verify_heads_consistent(old, stranger, TREE.consistency_proof(7, 20), KEY.verify_key)
    new = sign_tree_head(KEY, 20, TREE.root(20), 2)
    with pytest.raises(MerkleProofError, match="element #1"):
        verify_heads_consistent(old, new, [TREE.root(), b"short"], KEY.verify_key)
