"""Ed25519 signatures on record payloads (trustees' posts, ballots use their own binary encoding).

A signed payload carries ``"signature"``; the signed bytes are a domain tag and the canonical JSON of the payload
without that field, length-prefixed, so a signature for one kind of post can never be replayed as another kind.
"""

from __future__ import annotations

from typing import Any

import nacl.exceptions
import nacl.signing

from plebiscite.canonical import hex_bytes
from plebiscite.hazmat.group import frame
from plebiscite.record.events import canonical_json

_TAG = b"plebiscite/v1/signed-post/"


class SignatureError(ValueError):
    """A signature is missing, malformed or wrong."""


def signed_bytes(kind: str, payload: dict[str, Any]) -> bytes:
    body = {k: v for k, v in payload.items() if k != "signature"}
    return frame(_TAG + kind.encode(), canonical_json(body))


def sign(kind: str, payload: dict[str, Any], key: nacl.signing.SigningKey) -> dict[str, Any]:
    """Return ``payload`` with its signature added."""
    sig = key.sign(signed_bytes(kind, payload)).signature
    return {**payload, "signature": sig.hex()}


def verify(kind: str, payload: dict[str, Any], public_key_hex: str) -> None:
    """Raise :class:`SignatureError` unless ``payload`` is signed by ``public_key_hex``."""
    try:
        key = nacl.signing.VerifyKey(hex_bytes(public_key_hex, 32, "signing key"))
        sig = hex_bytes(payload["signature"], 64, "signature")
        key.verify(signed_bytes(kind, payload), sig)
    except KeyError:
        raise SignatureError("signature: missing") from None
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        raise SignatureError("signature: does not verify") from None
