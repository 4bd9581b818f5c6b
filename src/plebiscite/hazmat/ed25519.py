"""Ed25519 signature verification for the ballot hot path, from the same ``libsodium23`` as the group.

Signing, keys and every other signature check use PyNaCl. The per-ballot check calls libsodium's
``crypto_sign_verify_detached`` here instead because PyNaCl's ``VerifyKey(...).verify`` goes through
``crypto_sign_open``: it builds a key object and copies signature and message into a new buffer, about 5 µs per
ballot (1 % of a ballot's whole check, which the verifier does a million times). The C function is the one
``crypto_sign_open`` itself calls, so the rules are identical: non-canonical ``s``, small-order ``R`` and
small-order public keys are refused (libsodium 1.0.18).

The C function reads exactly 64 signature bytes and 32 key bytes, so lengths are checked here before the call.
"""

from __future__ import annotations

import ctypes

import pysodium

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

_verify_c = pysodium.sodium.crypto_sign_verify_detached
_verify_c.restype = ctypes.c_int
_verify_c.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True iff ``signature`` is a valid Ed25519 signature of ``message`` under ``public_key``."""
    if type(public_key) is not bytes or type(signature) is not bytes or type(message) is not bytes:
        raise TypeError("Ed25519 verification takes bytes")
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    return _verify_c(signature, message, len(message), public_key) == 0
