"""Ed25519 in the native engine (the board's signed heads since ballots are Schnorr-signed, docs/native.md §2)
answers exactly as the reference, PyNaCl's ``VerifyKey.verify`` (libsodium's ``crypto_sign_open``: what
``verify/heads.py`` falls back on), adversarial inputs included: mixed-order and small-order points, non-canonical
encodings, ``s ≥ ℓ``. Points are built with libsodium's own Edwards functions."""

from __future__ import annotations

import ctypes
import hashlib

import pysodium
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from plebiscite import native

from .conftest import needs_native

pytestmark = needs_native

L = 2**252 + 27742317777372353535851937790883648493
P = 2**255 - 19
_lib = pysodium.sodium
TORSION = [  # the encodings of points of order 1, 2, 4 and 8 (libsodium's blocklist, canonical ones)
    bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000000"),
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    bytes.fromhex("0000000000000000000000000000000000000000000000000000000000000000"),
    bytes.fromhex("0000000000000000000000000000000000000000000000000000000000000080"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
]


def base(n: int) -> bytes:
    out = ctypes.create_string_buffer(32)
    assert _lib.crypto_scalarmult_ed25519_base_noclamp(out, (n % L).to_bytes(32, "little")) == 0
    return out.raw


def add(p: bytes, q: bytes) -> bytes:
    out = ctypes.create_string_buffer(32)
    assert _lib.crypto_core_ed25519_add(out, p, q) == 0
    return out.raw


def sign_raw(a: int, key: bytes, r: int, r_point: bytes, message: bytes, s_extra: int = 0) -> bytes:
    k = int.from_bytes(hashlib.sha512(r_point + key + message).digest(), "little") % L
    return r_point + ((r + k * a) % L + s_extra).to_bytes(32, "little")


def reference(key: bytes, message: bytes, signature: bytes) -> bool:
    """PyNaCl's answer (a wrong length is no signature: PyNaCl would raise on it)."""
    if len(key) != 32 or len(signature) != 64:
        return False
    try:
        VerifyKey(key).verify(message, signature)
    except BadSignatureError:
        return False
    return True


def agree(key: bytes, message: bytes, signature: bytes) -> bool:
    ref = reference(key, message, signature)
    assert native.verify_signature(key, message, signature) == ref
    return ref


def test_honest_signatures_and_their_alterations() -> None:
    sk = SigningKey.generate()
    key, sig = bytes(sk.verify_key), sk.sign(b"ballot").signature
    assert agree(key, b"ballot", sig)
    assert not agree(key, b"ballou", sig)
    assert not agree(key, b"ballot", sig[:63])
    a, r = 0x1234567, 0x7654321
    key = base(a)
    sig = sign_raw(a, key, r, base(r), b"m")
    assert agree(key, b"m", sig)
    assert not agree(key, b"m", sign_raw(a, key, r, base(r), b"m", s_extra=L))  # s + ℓ: same point, refused


def test_r_off_by_a_torsion_point_is_refused_by_both() -> None:
    """The signature a cofactorless batch (ed25519-dalek's verify_batch) could pass: R' = r·B + T."""
    a, r = 99, 12345
    key = base(a)
    for t in TORSION[1:]:
        if t[31] & 0x80:  # an encoding of x = 0 with the sign bit set: not a point to add
            continue
        r_point = add(base(r), t)
        assert not agree(key, b"m", sign_raw(a, key, r, r_point, b"m"))


def test_mixed_order_keys_get_the_same_answer() -> None:
    """A = a·B + T: the equation holds exactly when k·T = 0; both engines must say the same each time."""
    a = 4242
    answers = set()
    for t in TORSION[1:]:
        if t[31] & 0x80:
            continue
        key = add(base(a), t)
        answers |= {
            agree(key, bytes([m]), sign_raw(a, key, m + 1, base(m + 1), bytes([m]))) for m in range(24)
        }
    assert answers == {True, False}  # both kinds of answer were compared


def test_small_order_and_non_canonical_keys_and_r() -> None:
    sk = SigningKey.generate()
    key, sig = bytes(sk.verify_key), sk.sign(b"x").signature
    for t in TORSION:
        assert not agree(t, b"x", sig)
        assert not agree(t, b"x", t + bytes(32))  # R small order, s = 0: [0]B − k·T = R for some k
        assert not agree(key, b"x", t + sig[32:])
    for y in range(19):  # y + p < 2^255: non-canonical encodings, some of them points
        encoding = (y + P).to_bytes(32, "little")
        assert not agree(encoding, b"x", sig)
        assert not agree(key, b"x", encoding + sig[32:])


@settings(max_examples=200, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), flips=st.lists(st.integers(0, 8 * 160 - 1), max_size=3))
def test_random_alterations_agree(seed: bytes, flips: list[int]) -> None:
    sk = SigningKey(seed)
    blob = bytearray(bytes(sk.verify_key) + sk.sign(b"m" * 64).signature + b"m" * 64)
    for bit in flips:
        blob[bit // 8] ^= 1 << (bit % 8)
    agree(bytes(blob[:32]), bytes(blob[96:]), bytes(blob[32:96]))


def times(point: bytes, n: int) -> bytes:
    """``n·point`` for a small ``n`` (torsion points), by repeated addition from the identity."""
    out = TORSION[0]
    for _ in range(n):
        out = add(out, point)
    return out


def test_a_small_order_r_that_satisfies_the_equation_is_refused_by_both() -> None:
    """With a mixed-order key ``A = a·B + T`` and ``s = k·a``, ``[s]B − [k]A = −k·T`` has small order: when ``R`` is
    that point's encoding the equation holds, and only the small-order rule on ``R`` refuses the signature."""
    a = 777
    found = 0
    for t in TORSION[1:]:
        if t[31] & 0x80:
            continue
        key = add(base(a), t)
        for m in range(64):
            message = bytes([m])
            for r_point in TORSION:
                k = int.from_bytes(hashlib.sha512(r_point + key + message).digest(), "little") % L
                if times(t, (-k) % 8) != r_point:
                    continue
                found += 1
                assert not agree(key, message, r_point + (k * a % L).to_bytes(32, "little"))
    assert found >= 10
