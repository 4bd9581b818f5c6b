"""Witness cosignatures (docs/board.md §4): the known answer, and every forged or misplaced cosignature refused."""

from __future__ import annotations

import hashlib

import nacl.signing
import pytest

from plebiscite.merkle.cosign import (
    Cosignature,
    CosignatureError,
    WitnessPolicy,
    cosignature_signing_bytes,
    sign_cosignature,
    split_served_head,
    verify_cosignature,
    witnessed_by,
)
from plebiscite.merkle.heads import TreeHeadError, sign_tree_head

BOARD = nacl.signing.SigningKey(bytes(range(32)))
WITNESS = nacl.signing.SigningKey(bytes(range(32, 64)))
HEAD = sign_tree_head(BOARD, 5, hashlib.sha256(b"root").digest(), 1700000000000)
KAT_BYTES = (
    "0000000000000019706c65626973636974652f636f7369676e61747572652f7631"
    "000000000000002056475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c"
    "00000000000000080000000000000005"
    "00000000000000204813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2"
    "00000000000000080000018bcfe56800"
    "00000000000000080000018bcfe569f4"
)
KAT_SIGNATURE = (
    "9c89128ae3f03c8b00ea241e2c7b4c70e8e57e2fa22cef0e214b8cc184052eca"
    "570a88e7cd3c1e628a37cdd80d35d796de736a024c497755b55ab3f08192a402"
)


def test_known_answer() -> None:
    assert cosignature_signing_bytes(HEAD, 1700000000500).hex() == KAT_BYTES
    cosig = sign_cosignature(WITNESS, HEAD, 1700000000500)
    assert cosig.witness == "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7"
    assert cosig.signature == KAT_SIGNATURE
    verify_cosignature(HEAD, cosig)


def test_a_cosignature_verifies_only_on_its_own_head_and_time() -> None:
    cosig = sign_cosignature(WITNESS, HEAD, 7)
    others = [
        sign_tree_head(BOARD, 6, HEAD.root, HEAD.timestamp),  # another size
        sign_tree_head(BOARD, 5, b"\x01" * 32, HEAD.timestamp),  # another root
        sign_tree_head(BOARD, 5, HEAD.root, HEAD.timestamp + 1),  # another board timestamp
        sign_tree_head(nacl.signing.SigningKey(b"\x02" * 32), 5, HEAD.root, HEAD.timestamp),  # another log
    ]
    for head in others:
        with pytest.raises(CosignatureError):
            verify_cosignature(head, cosig)
    with pytest.raises(CosignatureError):
        verify_cosignature(HEAD, cosig.model_copy(update={"cosigned_at": 8}))
    with pytest.raises(CosignatureError):
        verify_cosignature(HEAD, cosig.model_copy(update={"witness": "00" * 32}))  # not even a valid point
    # an STH signature by the same key is no cosignature (domain separation)
    sth_sig = nacl.signing.SigningKey(bytes(WITNESS)).sign(HEAD.signing_bytes()).signature.hex()
    with pytest.raises(CosignatureError):
        verify_cosignature(HEAD, cosig.model_copy(update={"signature": sth_sig}))


def test_counting_named_distinct_valid_witnesses() -> None:
    w2 = nacl.signing.SigningKey(b"\x05" * 32)
    stranger = nacl.signing.SigningKey(b"\x06" * 32)
    policy = WitnessPolicy((bytes(WITNESS.verify_key).hex(), bytes(w2.verify_key).hex()), 2)
    good = [sign_cosignature(WITNESS, HEAD, 1), sign_cosignature(w2, HEAD, 2)]
    assert len(witnessed_by(HEAD, good, policy)[0]) == 2
    valid, problems = witnessed_by(
        HEAD,
        [good[0], sign_cosignature(WITNESS, HEAD, 3), sign_cosignature(stranger, HEAD, 1), {"witness": "x"}],
        policy,
    )
    assert len(valid) == 1 and len(problems) == 3
    assert "counted once" in problems[0] and "not a witness named" in problems[1]
    assert "invalid cosignature" in problems[2]


def test_malformed_input_is_refused_with_the_field() -> None:
    with pytest.raises(CosignatureError, match="cosigned_at"):
        Cosignature.from_dict({"witness": "00" * 32, "cosigned_at": -1, "signature": "00" * 64})
    with pytest.raises(CosignatureError, match="x: Extra inputs"):
        Cosignature.from_dict({"witness": "00" * 32, "cosigned_at": 1, "signature": "00" * 64, "x": 1})
    for bad in (
        {"keys": ["00" * 32], "threshold": 2},
        {"keys": ["00" * 32] * 2, "threshold": 1},
        {"keys": []},
    ):
        with pytest.raises(CosignatureError, match=r"manifest\.witnesses"):
            WitnessPolicy.from_manifest({"witnesses": bad})
    assert WitnessPolicy.from_manifest({"title": {}}) is None
    head, cosigs = split_served_head({**HEAD.model_dump(), "cosignatures": [1]})
    assert head == HEAD and cosigs == [1]
    with pytest.raises(TreeHeadError):
        split_served_head({**HEAD.model_dump(), "cosignatures": "x"})
