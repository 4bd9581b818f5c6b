"""A trustee's vault on its own machine: identity keys made once, and its secrets for each ceremony it joins.

Format (JSON, written 0600)::

    {"format": "plebiscite-trustee-vault/1",
     "public": {"signing_key": hex, "box_key": hex},
     "vault": seal({"signing_seed": hex, "box_secret": hex,
                    "ceremonies": {<ceremony fingerprint hex>: Trustee.to_secret()}})}

The identity keys are drawn by ``plebiscite trustee init`` before any manifest exists; the organiser copies the
public signing key into the manifest event, and the trustee publishes its fingerprint itself. One vault can serve
several elections: every ceremony post carries its ceremony's fingerprint, so a post cannot move between them, and
each ceremony's polynomial and share live under that fingerprint. ``public`` is there so that a trustee can show
its key without typing the passphrase; it is checked against the sealed seed on every open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.public
import nacl.signing

from plebiscite.keyceremony.trustee import Trustee
from plebiscite.keyceremony.vault import VaultError, seal, unseal
from plebiscite.secretfiles import SecretFileError, write_private_bytes

FORMAT = "plebiscite-trustee-vault/1"


@dataclass
class TrusteeVault:
    """The sealed contents of a vault (secrets: never printed, logged or sent)."""

    signing_seed: bytes = field(repr=False)
    box_secret: bytes = field(repr=False)
    ceremonies: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    extras: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """Mode-specific secrets per ceremony (the coercion-resistant tally's tag keys), beside its ``Trustee``."""

    @staticmethod
    def generate() -> TrusteeVault:
        return TrusteeVault(
            bytes(nacl.signing.SigningKey.generate()), bytes(nacl.public.PrivateKey.generate())
        )

    @property
    def signing_key(self) -> bytes:
        """The Ed25519 public key (what the manifest event names)."""
        return nacl.signing.SigningKey(self.signing_seed).verify_key.encode()

    @property
    def box_key(self) -> bytes:
        return nacl.public.PrivateKey(self.box_secret).public_key.encode()

    def trustee(self, ceremony: bytes) -> Trustee | None:
        """This trustee's state in the ceremony with fingerprint ``ceremony`` (None before it joined)."""
        data = self.ceremonies.get(ceremony.hex())
        return None if data is None else Trustee.from_secret(data)

    def keep(self, ceremony: bytes, trustee: Trustee) -> None:
        if trustee.signing_seed != self.signing_seed or trustee.box_secret != self.box_secret:
            raise VaultError("this vault's identity keys are not the trustee's")
        self.ceremonies[ceremony.hex()] = trustee.to_secret()

    def public(self) -> dict[str, str]:
        return {"signing_key": self.signing_key.hex(), "box_key": self.box_key.hex()}


def fingerprint_groups(key: bytes) -> str:
    """The key's hex in groups of four, for reading aloud or comparing by eye."""
    text = key.hex()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def create(path: Path, passphrase: str) -> TrusteeVault:
    """Make identity keys and write a new vault; refuses a path that exists (never overwrite a secret)."""
    vault = TrusteeVault.generate()
    _write(path, vault, passphrase, new=True)
    return vault


def load(path: Path, passphrase: str) -> TrusteeVault:
    """Open a vault; :class:`VaultError` naming the file when it is not one or the passphrase is wrong."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise VaultError(f"{path}: no such vault (make one with `plebiscite trustee init`)") from None
    except (OSError, ValueError):
        raise VaultError(f"{path}: not a trustee vault (not readable JSON)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("vault"), dict):
        raise VaultError(f"{path}: not a trustee vault (format must be {FORMAT!r})")
    secret = unseal(data["vault"], passphrase, str(path))
    try:
        vault = TrusteeVault(
            bytes.fromhex(secret["signing_seed"]),
            bytes.fromhex(secret["box_secret"]),
            dict(secret.get("ceremonies", {})),
            dict(secret.get("extras", {})),
        )
    except (KeyError, TypeError, ValueError):
        raise VaultError(f"{path}: damaged vault (identity keys missing)") from None
    if data.get("public") != vault.public():
        raise VaultError(f"{path}: the vault's public keys do not match its sealed keys (file altered?)")
    return vault


def save(path: Path, vault: TrusteeVault, passphrase: str) -> None:
    """Replace an existing vault atomically (a crash leaves the old or the new file, never half of one)."""
    _write(path, vault, passphrase, new=False)


def _write(path: Path, vault: TrusteeVault, passphrase: str, new: bool) -> None:
    sealed = seal(
        {
            "signing_seed": vault.signing_seed.hex(),
            "box_secret": vault.box_secret.hex(),
            "ceremonies": vault.ceremonies,
            "extras": vault.extras,
        },
        passphrase,
    )
    body = json.dumps({"format": FORMAT, "public": vault.public(), "vault": sealed}, indent=2).encode()
    if not new and not path.exists():
        raise VaultError(f"{path}: no such vault")
    try:
        write_private_bytes(path, body, replace=not new)  # an update replaces the vault whole, atomically
    except SecretFileError as exc:
        raise VaultError(str(exc)) from None
