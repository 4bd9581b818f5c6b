"""ristretto255 (RFC 9496) from libsodium, behind one small interface.

This is the only module that touches libsodium's group functions. It goes through ``pysodium``'s ctypes handle to
the system ``libsodium23`` but calls the C functions directly with preallocated buffers: the per-call wrappers of
pysodium cost more than the arithmetic on the hot paths (ballot verification does millions of multiplications).

Representation, chosen for speed and for a second implementation to match byte for byte:

* an **element** is its canonical 32-byte ristretto255 encoding (``bytes``); anything that crosses a trust boundary
  goes through :func:`element_from_bytes` or :func:`element_from_hex`, which reject non-canonical and invalid
  encodings. RFC 9496 §4.3.1 requires a decoder to refuse an encoding whose top bit (bit 255) is set; libsodium
  1.0.18 (Debian's) masks that bit and accepts the string as the point without it, so **every decoder here refuses
  the top bit itself**, whatever the libsodium version. Because each element then has exactly one encoding,
  comparing decoded elements as bytes is comparing them as elements;
* a **scalar** is a Python ``int`` in ``[0, ORDER)``; on the wire it is 32 bytes little-endian, and
  :func:`scalar_from_bytes` rejects values ``>= ORDER`` (canonical encodings only).

libsodium refuses a scalar multiplication whose result is the identity (returns -1). In a prime-order group that
happens exactly when the scalar is 0 or the point is the identity, so :func:`mul` handles both explicitly and never
has to divide or retry.
"""

from __future__ import annotations

import ctypes
import hashlib
import secrets
import threading

import pysodium

from plebiscite.canonical import EncodingError, hex_bytes

ORDER = 2**252 + 27742317777372353535851937790883648493
"""The prime order ℓ of ristretto255."""

ELEMENT_BYTES = 32
SCALAR_BYTES = 32
HASH_BYTES = 64

IDENTITY = bytes(32)
"""Canonical encoding of the identity element (all zero bytes)."""

_lib = pysodium.sodium
_mul_c = _lib.crypto_scalarmult_ristretto255
_mul_base_c = _lib.crypto_scalarmult_ristretto255_base
_add_c = _lib.crypto_core_ristretto255_add
_sub_c = _lib.crypto_core_ristretto255_sub
_valid_c = _lib.crypto_core_ristretto255_is_valid_point
_from_hash_c = _lib.crypto_core_ristretto255_from_hash

for _fn in (_mul_c, _mul_base_c, _add_c, _sub_c, _from_hash_c):
    _fn.restype = ctypes.c_int
_valid_c.restype = ctypes.c_int

_SCALAR_MASK = (1 << 256) - 1


class GroupError(ValueError):
    """An encoding is not a canonical group element or scalar."""


def _scalar_le(s: int) -> bytes:
    return (s % ORDER).to_bytes(32, "little")


_per_thread = threading.local()


def _out() -> ctypes.Array[ctypes.c_char]:
    """This thread's output buffer: each result is copied out (``.raw``) right after the call that wrote it.

    One per thread because ctypes releases the GIL during the C call; reusing it saves a buffer allocation on each
    of the million operations of a verification.
    """
    try:
        return _per_thread.buffer  # type: ignore[no-any-return]
    except AttributeError:
        _per_thread.buffer = ctypes.create_string_buffer(32)
        return _per_thread.buffer  # type: ignore[no-any-return]


def mul(point: bytes, s: int) -> bytes:
    """``s · point`` (constant time in libsodium); the identity when ``s ≡ 0`` or ``point`` is the identity."""
    s %= ORDER
    if s == 0 or point == IDENTITY:
        if not is_valid_element(point):  # callers rely on every operation refusing invalid encodings
            raise GroupError("scalar multiplication of an invalid point")
        return IDENTITY
    out = _out()
    if _mul_c(out, s.to_bytes(32, "little"), point) != 0:
        raise GroupError("scalar multiplication refused by libsodium (invalid point)")
    return out.raw


def mul_base(s: int) -> bytes:
    """``s · G`` for the ristretto255 base point ``G``."""
    s %= ORDER
    if s == 0:
        return IDENTITY
    out = _out()
    if _mul_base_c(out, s.to_bytes(32, "little")) != 0:  # pragma: no cover - only for s ≡ 0, handled above
        raise GroupError("base multiplication refused by libsodium")
    return out.raw


def add(p: bytes, q: bytes) -> bytes:
    """Group operation ``p + q``."""
    out = _out()
    if _add_c(out, p, q) != 0:
        raise GroupError("point addition refused by libsodium (invalid point)")
    return out.raw


def sub(p: bytes, q: bytes) -> bytes:
    """``p − q``."""
    out = _out()
    if _sub_c(out, p, q) != 0:
        raise GroupError("point subtraction refused by libsodium (invalid point)")
    return out.raw


def neg(p: bytes) -> bytes:
    """``−p``."""
    return sub(IDENTITY, p)


def small_multiple_base(m: int) -> bytes:
    """``m · G`` for a small, possibly secret, non-negative ``m`` (a vote).

    Computed as ``(m+1)·G − G`` so that ``m = 0`` takes the same calls as any other value.
    """
    return sub(mul_base(m + 1), GENERATOR)


def is_valid_element(data: bytes) -> bool:
    """True when ``data`` is a canonical encoding of a ristretto255 element (the identity included).

    The top-bit test is explicit: libsodium 1.0.18 ignores bit 255 (RFC 9496 says such a string must not decode).
    """
    return len(data) == ELEMENT_BYTES and data[31] < 0x80 and _valid_c(bytes(data)) == 1


def require_not_identity(element: bytes, what: str) -> bytes:
    """Refuse the identity where the protocol needs a non-trivial element (an election key, a ciphertext's ``a``).

    Callers pass canonically decoded elements, for which the identity has exactly one encoding (all zero bytes).
    """
    if element == IDENTITY:
        raise GroupError(f"{what}: the identity element is not allowed here")
    return element


def element_from_bytes(data: bytes, what: str = "element") -> bytes:
    """Validate an untrusted element encoding; raises :class:`GroupError` naming ``what``."""
    if not isinstance(data, bytes | bytearray) or len(data) != ELEMENT_BYTES:
        raise GroupError(f"{what}: expected {ELEMENT_BYTES} bytes")
    data = bytes(data)
    if data[31] >= 0x80:
        raise GroupError(f"{what}: not a canonical ristretto255 encoding (bit 255 set)")
    if not is_valid_element(data):
        raise GroupError(f"{what}: not a canonical ristretto255 encoding")
    return data


def element_from_hex(text: str, what: str = "element", validate: bool = True) -> bytes:
    """Decode a hex-encoded element, validated unless ``validate=False``.

    ``validate=False`` checks the hex, the length and the top bit (which libsodium's operations would silently
    ignore) but not the curve. It is for hot paths whose next step is a libsodium operation on the element (every
    operation here refuses an otherwise invalid encoding with :class:`GroupError`), so the curve check is not paid
    twice; the caller must not let an unchecked element reach anything else.
    """
    try:
        raw = hex_bytes(text, ELEMENT_BYTES, what)
    except EncodingError as exc:
        raise GroupError(str(exc)) from None
    if not validate:
        if raw[31] >= 0x80:
            raise GroupError(f"{what}: not a canonical ristretto255 encoding (bit 255 set)")
        return raw
    return element_from_bytes(raw, what)


def scalar_to_bytes(s: int) -> bytes:
    """Canonical 32-byte little-endian encoding of a scalar."""
    return _scalar_le(s)


def scalar_from_bytes(data: bytes, what: str = "scalar") -> int:
    """Decode a canonical scalar (``< ORDER``); raises :class:`GroupError` naming ``what``."""
    if not isinstance(data, bytes | bytearray) or len(data) != SCALAR_BYTES:
        raise GroupError(f"{what}: expected {SCALAR_BYTES} bytes")
    value = int.from_bytes(data, "little")
    if value >= ORDER:
        raise GroupError(f"{what}: not reduced modulo the group order")
    return value


def scalar_from_hex(text: str, what: str = "scalar") -> int:
    """Decode a hex-encoded canonical scalar (lowercase hex, 32 bytes, value ``< ORDER``)."""
    try:
        raw = hex_bytes(text, SCALAR_BYTES, what)
    except EncodingError as exc:
        raise GroupError(str(exc)) from None
    return scalar_from_bytes(raw, what)


def random_scalar() -> int:
    """A uniformly random non-zero scalar from the OS CSPRNG (64 bytes reduced: bias < 2^-250)."""
    while True:
        s = int.from_bytes(secrets.token_bytes(64), "little") % ORDER
        if s:
            return s


def scalar_from_wide(data: bytes) -> int:
    """Reduce 64 uniform bytes to a scalar (RFC 9496 §4.4 style wide reduction)."""
    if len(data) != HASH_BYTES:
        raise GroupError("wide scalar: expected 64 bytes")
    return int.from_bytes(data, "little") % ORDER


def element_from_uniform(data: bytes) -> bytes:
    """RFC 9496 one-way map from 64 uniform bytes to an element (libsodium's ``from_hash``)."""
    if len(data) != HASH_BYTES:
        raise GroupError("hash-to-element: expected 64 bytes")
    out = _out()
    _from_hash_c(out, bytes(data))
    return out.raw


def hash_to_element(domain: bytes, *parts: bytes) -> bytes:
    """Hash length-prefixed ``parts`` under ``domain`` to an element nobody knows the discrete log of."""
    return element_from_uniform(hashlib.sha512(frame(domain, *parts)).digest())


def hash_to_scalar(domain: bytes, *parts: bytes) -> int:
    """Hash length-prefixed ``parts`` under ``domain`` to a scalar."""
    return scalar_from_wide(hashlib.sha512(frame(domain, *parts)).digest())


_LENGTHS = tuple(n.to_bytes(8, "big") for n in range(129))  # the common prefixes, built once (hot path)


def frame(domain: bytes, *parts: bytes) -> bytes:
    """Unambiguous encoding: the domain and every part, each preceded by its 8-byte big-endian length."""
    lengths = _LENGTHS
    chunks = [len(domain).to_bytes(8, "big"), domain]
    for part in parts:
        n = len(part)
        chunks.append(lengths[n] if n <= 128 else n.to_bytes(8, "big"))
        chunks.append(part)
    return b"".join(chunks)


GENERATOR = mul_base(1)
"""The standard ristretto255 base point ``G``."""

NAME = "ristretto255"
"""Name recorded in the election parameters; a second group would be a sibling module with the same functions."""
