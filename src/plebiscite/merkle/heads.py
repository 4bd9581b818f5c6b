"""Signed tree heads (STHs): the board's Ed25519-signed statement "my log had this root at this size".

Signed bytes (version 1), every field preceded by its length as an 8-byte big-endian unsigned integer::

    len || b"plebiscite/sth/v1"          17-byte domain-separation tag
    len || log_id                       32 raw bytes = SHA-256(raw 32-byte Ed25519 public key)
    len || tree_size                    8 bytes, unsigned big-endian
    len || root_hash                    32 raw bytes (RFC 9162 MTH)
    len || timestamp                    8 bytes, unsigned big-endian, milliseconds since the Unix epoch

The tag keeps these signatures from ever being valid for another message type signed with the same key; the
length prefixes make the encoding injective without relying on fixed field sizes.  The signature is the plain
64-byte Ed25519 signature (RFC 8032) over those bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated, Any

import nacl.exceptions
import nacl.signing
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plebiscite.merkle.tree import HASH_SIZE, MerkleProofError, verify_consistency

__all__ = [
    "STH_TAG",
    "ForkDetected",
    "ForkEvidence",
    "SignedTreeHead",
    "TreeHeadError",
    "log_id_for",
    "sign_tree_head",
    "tree_head_signing_bytes",
    "verify_heads_consistent",
    "verify_tree_head",
]

STH_TAG = b"plebiscite/sth/v1"
_U64_LIMIT = 1 << 63  # stay inside signed 64-bit so every SQL backend can store the value

Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="32 bytes, lowercase hex")]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{128}$", description="64 bytes, lowercase hex")]
U63 = Annotated[int, Field(ge=0, lt=_U64_LIMIT, strict=True)]


class TreeHeadError(ValueError):
    """A tree head is malformed, signed by another key, or its signature does not verify."""


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _u64(value: int, what: str) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _U64_LIMIT:
        raise TreeHeadError(f"{what} must be an int in [0, 2**63), got {value!r}")
    return value.to_bytes(8, "big")


def _raw_public_key(public_key: nacl.signing.VerifyKey | bytes) -> bytes:
    raw = bytes(public_key) if isinstance(public_key, nacl.signing.VerifyKey) else public_key
    if not isinstance(raw, bytes) or len(raw) != 32:
        raise TreeHeadError("public key must be a nacl VerifyKey or 32 raw bytes")
    return raw


def log_id_for(public_key: nacl.signing.VerifyKey | bytes) -> str:
    """The log id: lowercase hex SHA-256 of the raw Ed25519 public key."""
    return hashlib.sha256(_raw_public_key(public_key)).hexdigest()


def tree_head_signing_bytes(log_id: str, tree_size: int, root_hash: bytes, timestamp: int) -> bytes:
    """The exact bytes an STH signature covers (see the module docstring)."""
    try:
        log_id_raw = bytes.fromhex(log_id)
    except (TypeError, ValueError):
        raise TreeHeadError(f"log_id must be hex, got {log_id!r}") from None
    if len(log_id_raw) != 32:
        raise TreeHeadError(f"log_id must be 32 bytes, got {len(log_id_raw)}")
    if not isinstance(root_hash, bytes) or len(root_hash) != HASH_SIZE:
        raise TreeHeadError(f"root_hash must be {HASH_SIZE} bytes")
    return b"".join(
        _field(part)
        for part in (
            STH_TAG,
            log_id_raw,
            _u64(tree_size, "tree_size"),
            root_hash,
            _u64(timestamp, "timestamp"),
        )
    )


class SignedTreeHead(BaseModel):
    """A signed tree head as published by the board and kept in receipts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_id: Hex32
    tree_size: U63
    root_hash: Hex32
    timestamp: U63
    signature: Hex64

    @property
    def root(self) -> bytes:
        """The root hash as raw bytes."""
        return bytes.fromhex(self.root_hash)

    def signing_bytes(self) -> bytes:
        """The bytes the signature covers."""
        return tree_head_signing_bytes(self.log_id, self.tree_size, self.root, self.timestamp)

    def to_json(self) -> str:
        """Compact JSON with exactly the five fields."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> SignedTreeHead:
        """Parse and validate JSON; raises :class:`TreeHeadError` naming the bad field."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise TreeHeadError(f"invalid signed tree head: {_describe(exc)}") from None

    @classmethod
    def from_dict(cls, data: object) -> SignedTreeHead:
        """Validate a parsed JSON object; raises :class:`TreeHeadError` naming the bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise TreeHeadError(f"invalid signed tree head: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())


def sign_tree_head(
    signing_key: nacl.signing.SigningKey, tree_size: int, root_hash: bytes, timestamp: int
) -> SignedTreeHead:
    """Sign (tree_size, root_hash, timestamp) under ``signing_key``; the log id is derived from its key."""
    if not isinstance(signing_key, nacl.signing.SigningKey):
        raise TypeError(f"signing_key must be a nacl SigningKey, not {type(signing_key).__name__}")
    log_id = log_id_for(signing_key.verify_key)
    message = tree_head_signing_bytes(log_id, tree_size, root_hash, timestamp)
    signature = signing_key.sign(message).signature
    return SignedTreeHead(
        log_id=log_id,
        tree_size=tree_size,
        root_hash=root_hash.hex(),
        timestamp=timestamp,
        signature=signature.hex(),
    )


def verify_tree_head(sth: SignedTreeHead, public_key: nacl.signing.VerifyKey | bytes) -> None:
    """Raise :class:`TreeHeadError` unless ``sth`` carries a valid signature by ``public_key``'s log."""
    if not isinstance(sth, SignedTreeHead):
        raise TreeHeadError(f"expected a SignedTreeHead, not {type(sth).__name__}")
    raw = _raw_public_key(public_key)
    if sth.log_id != log_id_for(raw):
        raise TreeHeadError(f"tree head is from log {sth.log_id}, not from log {log_id_for(raw)}")
    try:
        nacl.signing.VerifyKey(raw).verify(sth.signing_bytes(), bytes.fromhex(sth.signature))
    except nacl.exceptions.BadSignatureError:
        raise TreeHeadError(f"bad signature on tree head of size {sth.tree_size}") from None


class ForkEvidence(BaseModel):
    """Two validly signed heads of one log that cannot both be honest, and why.

    Publishable as is: anyone holding the log's public key can re-run :func:`verify_heads_consistent` on it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    first: SignedTreeHead
    second: SignedTreeHead
    proof: list[Hex32]
    reason: str
    cosignatures: dict[str, list[dict[str, Any]]] | None = None
    """Optional: the witnesses' cosignatures known on ``first`` and ``second`` (docs/board.md §4), as seen."""
    witness: dict[str, Any] | None = None
    """Optional: in a witness's evidence, its key and the last head it cosigned (which the refused head contradicts)."""

    def to_json(self) -> str:
        """JSON with both heads, the (failing) proof and the reason (and the optional members when present)."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, data: str | bytes) -> ForkEvidence:
        """Parse evidence JSON; raises :class:`TreeHeadError` on malformed input."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise TreeHeadError(f"invalid fork evidence: {_describe(exc)}") from None


class ForkDetected(Exception):
    """Two signed heads of the same log are inconsistent; ``evidence`` proves it to third parties."""

    def __init__(self, evidence: ForkEvidence) -> None:
        super().__init__(
            f"fork: heads of size {evidence.first.tree_size} and {evidence.second.tree_size} "
            f"are inconsistent: {evidence.reason}"
        )
        self.evidence = evidence


def verify_heads_consistent(
    a: SignedTreeHead,
    b: SignedTreeHead,
    proof: Sequence[bytes],
    public_key: nacl.signing.VerifyKey | bytes,
) -> None:
    """Check that two heads of one log are consistent, in either order, given PROOF(smaller, larger).

    Both signatures are checked first: a head that is not validly signed raises :class:`TreeHeadError` and is
    *not* evidence of anything, and a proof that is not a list of 32-byte hashes raises
    :class:`MerkleProofError`.  If both heads are genuine and the proof does not verify — or the heads give
    two roots for one size — :class:`ForkDetected` is raised carrying :class:`ForkEvidence`.  Two roots for
    one size convict the log on their own; a failing proof between different sizes is an accusation the log
    can only answer by publishing a proof that verifies (it cannot exist if the log really forked).
    """
    verify_tree_head(a, public_key)
    verify_tree_head(b, public_key)
    if isinstance(proof, bytes | str) or not isinstance(proof, Sequence):
        raise MerkleProofError(f"proof must be a sequence of hashes, not {type(proof).__name__}")
    for i, p in enumerate(proof):
        if not isinstance(p, bytes) or len(p) != HASH_SIZE:
            raise MerkleProofError(f"proof element #{i} is not a {HASH_SIZE}-byte hash")
    first, second = (a, b) if a.tree_size <= b.tree_size else (b, a)
    try:
        verify_consistency(first.tree_size, second.tree_size, first.root, second.root, list(proof))
    except MerkleProofError as exc:
        evidence = ForkEvidence(first=first, second=second, proof=[p.hex() for p in proof], reason=str(exc))
        raise ForkDetected(evidence) from None
