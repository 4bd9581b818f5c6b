"""The hot-path Ed25519 check (hazmat/ed25519.py) agrees with PyNaCl and refuses every alteration."""

from __future__ import annotations

import nacl.exceptions
import nacl.signing
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite.hazmat import ed25519

KEY = nacl.signing.SigningKey(bytes(range(32)))
PUBLIC = bytes(KEY.verify_key)


def pynacl_accepts(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return False
    return True


def test_valid_signature_verifies() -> None:
    message = b"a ballot's signed bytes"
    assert ed25519.verify(PUBLIC, message, KEY.sign(message).signature)


@pytest.mark.parametrize("part", ["key", "message", "signature R", "signature s"])
def test_every_alteration_is_refused(part: str) -> None:
    message = b"a ballot's signed bytes"
    public, sig = bytearray(PUBLIC), bytearray(KEY.sign(message).signature)
    msg = bytearray(message)
    target = {"key": public, "message": msg, "signature R": sig, "signature s": sig}[part]
    target[40 if part == "signature s" else 3] ^= 0x01
    assert not ed25519.verify(bytes(public), bytes(msg), bytes(sig))


def test_wrong_lengths_are_refused_before_libsodium_reads_them() -> None:
    message = b"m"
    sig = KEY.sign(message).signature
    assert not ed25519.verify(PUBLIC[:31], message, sig)
    assert not ed25519.verify(PUBLIC + b"\x00", message, sig)
    assert not ed25519.verify(PUBLIC, message, sig[:63])
    assert not ed25519.verify(PUBLIC, message, sig + b"\x00")
    with pytest.raises(TypeError):
        ed25519.verify(PUBLIC, "m", sig)  # type: ignore[arg-type]


def test_small_order_key_and_non_canonical_s_are_refused_like_pynacl() -> None:
    identity_key = bytes([1]) + bytes(31)  # the neutral point: a small-order public key
    sig = bytes(32) + bytes(32)
    assert ed25519.verify(identity_key, b"m", sig) is pynacl_accepts(identity_key, b"m", sig) is False
    message = b"m"
    good = KEY.sign(message).signature
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(good[32:], "little") + order  # same s modulo the order, non-canonical encoding
    bad = good[:32] + s.to_bytes(32, "little")
    assert ed25519.verify(PUBLIC, message, bad) is pynacl_accepts(PUBLIC, message, bad) is False


@settings(max_examples=300, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(max_size=200),
    flip=st.integers(min_value=-1, max_value=64 * 8 - 1),
)
def test_agrees_with_pynacl(seed: bytes, message: bytes, flip: int) -> None:
    key = nacl.signing.SigningKey(seed)
    sig = bytearray(key.sign(message).signature)
    if flip >= 0:
        sig[flip // 8] ^= 1 << (flip % 8)
    public = bytes(key.verify_key)
    assert ed25519.verify(public, message, bytes(sig)) is pynacl_accepts(public, message, bytes(sig))
