"""Trustee secrets at rest, encrypted under a passphrase (Argon2id + XSalsa20-Poly1305 from libsodium/PyNaCl).

A wrong passphrase and a tampered file look the same to the cipher; both give :class:`VaultError` with a message
that names the file, never the secret or the passphrase.
"""

from __future__ import annotations

import json
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from plebiscite.canonical import hex_bytes
from plebiscite.secretfiles import write_private

__all__ = [
    "VaultError",
    "seal",
    "unseal",
    "write_private",
]  # write_private: secretfiles.py, kept here for importers

KDF = "argon2id"
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


class VaultError(ValueError):
    """The secret file cannot be opened (wrong passphrase, damaged or not a vault)."""


def seal(secret: dict[str, Any], passphrase: str) -> dict[str, Any]:
    """Encrypt a JSON-able secret under ``passphrase``."""
    if not passphrase:
        raise VaultError("the passphrase is empty")
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, OPSLIMIT, MEMLIMIT
    )
    box = nacl.secret.SecretBox(key)
    sealed = box.encrypt(json.dumps(secret).encode())
    return {
        "kdf": KDF,
        "opslimit": OPSLIMIT,
        "memlimit": MEMLIMIT,
        "salt": salt.hex(),
        "box": bytes(sealed).hex(),
    }


def unseal(vault: dict[str, Any], passphrase: str, where: str) -> dict[str, Any]:
    """Decrypt a vault; ``where`` names the file in errors."""
    try:
        if vault.get("kdf") != KDF:
            raise VaultError(f"{where}: unknown key derivation {vault.get('kdf')!r}")
        salt = hex_bytes(vault["salt"], None, f"{where}: salt")
        key = nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode(),
            salt,
            int(vault["opslimit"]),
            int(vault["memlimit"]),
        )
        plain = nacl.secret.SecretBox(key).decrypt(hex_bytes(vault["box"], None, f"{where}: box"))
    except nacl.exceptions.CryptoError:
        raise VaultError(f"{where}: wrong passphrase or damaged file") from None
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, VaultError):
            raise
        raise VaultError(f"{where}: not a trustee secret file (missing or malformed field)") from None
    value = json.loads(plain)
    if not isinstance(value, dict):
        raise VaultError(f"{where}: damaged secret")
    return value
