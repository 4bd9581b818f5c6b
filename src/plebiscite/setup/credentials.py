"""Voter credentials (Belenios-style): a credential is a secret key in the election's group (ristretto255); the roll
lists public keys only, and ballots carry the credential's Schnorr signature (docs/protocol.md §5, §7.1).

The registrar issues one credential per eligible voter and hands it over privately; only the registrar knows whose
public key is whose, and it cannot vote with a credential it has forgotten (it should forget the secrets after
handing them over). A credential travels as a file or as a *typed code*: base32 of the 32-byte seed and a 2-byte
checksum, in groups of five, so a mistyped code is caught before it is used.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from functools import cached_property

from plebiscite.hazmat.group import frame
from plebiscite.proofs import ballot_signature

ROLL_TAG = b"plebiscite/v1/roll"


class CredentialError(ValueError):
    """A credential code or file is malformed."""


@dataclass(frozen=True)
class Credential:
    """A voter's secret signing key, for one election."""

    election_id: str
    seed: bytes

    def __post_init__(self) -> None:
        if ballot_signature.secret_key(self.seed) == 0:  # probability 2^-252: such a seed is not a credential
            raise CredentialError("credential: this seed gives the zero key; it is not a credential")

    @staticmethod
    def generate(election_id: str) -> Credential:
        while True:
            try:
                return Credential(election_id, secrets.token_bytes(ballot_signature.SEED_BYTES))
            except CredentialError:  # pragma: no cover - the zero key, probability 2^-252
                continue

    @cached_property
    def public_key(self) -> bytes:
        """``X = x·G``, the key on the roll (kept once computed; the secret ``x`` is derived again for each use)."""
        return ballot_signature.public_key(ballot_signature.secret_key(self.seed))

    def sign(self, fingerprint: bytes, message: bytes, rho: bytes | None = None) -> bytes:
        """The credential's signature ``R ‖ s`` of the ballot bytes ``message`` (docs/protocol.md §7.1)."""
        x = ballot_signature.secret_key(self.seed)
        return ballot_signature.sign(x, self.public_key, fingerprint, message, rho)

    def code(self) -> str:
        """The typed form: ``XXXXX-XXXXX-…`` (base32 of seed and checksum)."""
        check = hashlib.sha256(b"plebiscite/v1/credential-check" + self.seed).digest()[:2]
        text = base64.b32encode(self.seed + check).decode().rstrip("=")
        return "-".join(text[i : i + 5] for i in range(0, len(text), 5))

    @staticmethod
    def from_code(election_id: str, code: str) -> Credential:
        text = "".join(ch for ch in code.upper() if ch.isalnum())
        if len(text) != 55:
            raise CredentialError("credential code: expected 55 letters and digits")
        try:
            raw = base64.b32decode(text + "=" * (-len(text) % 8))
        except ValueError:
            raise CredentialError("credential code: not base32") from None
        seed, check = raw[:32], raw[32:]
        if hashlib.sha256(b"plebiscite/v1/credential-check" + seed).digest()[:2] != check:
            raise CredentialError("credential code: checksum does not match (typing error?)")
        return Credential(election_id, seed)

    def to_json(self) -> dict[str, str]:
        return {"format": "plebiscite-credential/1", "election_id": self.election_id, "code": self.code()}

    @staticmethod
    def from_json(value: object) -> Credential:
        if not isinstance(value, dict) or value.get("format") != "plebiscite-credential/1":
            raise CredentialError("credential file: format must be 'plebiscite-credential/1'")
        eid, code = value.get("election_id"), value.get("code")
        if not isinstance(eid, str) or not isinstance(code, str):
            raise CredentialError("credential file: needs election_id and code")
        return Credential.from_code(eid, code)

    def __repr__(self) -> str:  # never print the seed
        return f"Credential(election_id={self.election_id!r}, public_key={self.public_key.hex()[:16]}…)"


def roll_hash(public_keys: list[bytes]) -> bytes:
    """Fingerprint of the roll: hash of the sorted public keys."""
    return hashlib.sha256(frame(ROLL_TAG, *sorted(public_keys))).digest()
