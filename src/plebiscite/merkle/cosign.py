"""Witness cosignatures on signed tree heads (docs/board.md §4, "Witness cosignatures"): pure, no I/O.

A witness is an independent observer holding its own Ed25519 key. It cosigns the *content* of a board's tree head
(log id, size, root, the board's timestamp) plus its own clock, never the board's signature: the statement is
about the tree, and a board re-signing the same head changes nothing. Signed bytes, every field preceded by its
length as an 8-byte big-endian unsigned integer, integers 8-byte big-endian::

    len || b"plebiscite/cosignature/v1"     25-byte domain-separation tag
    len || log_id                           32 raw bytes
    len || tree_size
    len || root_hash                        32 raw bytes
    len || timestamp                        the board's STH timestamp
    len || cosigned_at                      the witness's clock, ms since the epoch

The election names its witnesses and how many must cosign (``"witnesses": {"keys": [...], "threshold": w}`` in the
manifest); :func:`witnessed_by` counts the valid cosignatures by distinct named witnesses on exactly one head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.signing
from pydantic import BaseModel, ConfigDict, ValidationError

from plebiscite.merkle.heads import U63, Hex32, Hex64, SignedTreeHead, TreeHeadError, _describe, _field, _u64

__all__ = [
    "COSIGNATURE_TAG",
    "Cosignature",
    "CosignatureError",
    "WitnessPolicy",
    "cosignature_dicts",
    "cosignature_signing_bytes",
    "sign_cosignature",
    "split_served_head",
    "verify_cosignature",
    "witnessed_by",
]

COSIGNATURE_TAG = b"plebiscite/cosignature/v1"


class CosignatureError(ValueError):
    """A cosignature is malformed, by a key that is not a named witness, or does not verify on the head."""


class Cosignature(BaseModel):
    """One witness's cosignature, as posted to the board and kept in receipts and records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    witness: Hex32
    cosigned_at: U63
    signature: Hex64

    @classmethod
    def from_dict(cls, data: object) -> Cosignature:
        """Validate a parsed JSON object; raises :class:`CosignatureError` naming the bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise CosignatureError(f"invalid cosignature: {_describe(exc)}") from None


def cosignature_signing_bytes(head: SignedTreeHead, cosigned_at: int) -> bytes:
    """The exact bytes a witness signs for ``head`` at ``cosigned_at`` (see the module docstring)."""
    try:
        return b"".join(
            _field(part)
            for part in (
                COSIGNATURE_TAG,
                bytes.fromhex(head.log_id),
                _u64(head.tree_size, "tree_size"),
                head.root,
                _u64(head.timestamp, "timestamp"),
                _u64(cosigned_at, "cosigned_at"),
            )
        )
    except TreeHeadError as exc:
        raise CosignatureError(str(exc)) from None


def sign_cosignature(key: nacl.signing.SigningKey, head: SignedTreeHead, cosigned_at: int) -> Cosignature:
    """Cosign ``head``'s content with the witness's ``key``. The caller checks the head first (witness/)."""
    signature = key.sign(cosignature_signing_bytes(head, cosigned_at)).signature
    return Cosignature(
        witness=bytes(key.verify_key).hex(), cosigned_at=cosigned_at, signature=signature.hex()
    )


def verify_cosignature(head: SignedTreeHead, cosignature: Cosignature) -> None:
    """Raise :class:`CosignatureError` unless ``cosignature`` is its witness's valid signature on ``head``."""
    message = cosignature_signing_bytes(head, cosignature.cosigned_at)
    try:
        nacl.signing.VerifyKey(bytes.fromhex(cosignature.witness)).verify(
            message, bytes.fromhex(cosignature.signature)
        )
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        raise CosignatureError(
            f"cosignature by witness {cosignature.witness[:16]}… does not verify on the head of size "
            f"{head.tree_size}"
        ) from None


@dataclass(frozen=True)
class WitnessPolicy:
    """The manifest's ``witnesses``: the named keys (hex) and how many must cosign a head."""

    keys: tuple[str, ...]
    threshold: int

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any] | None) -> WitnessPolicy | None:
        """The policy of a manifest (the ``manifest`` object of the manifest event), None if it names none.

        The manifest model validates the field; this only reads it, and refuses what it cannot use.
        """
        if not isinstance(manifest, dict) or manifest.get("witnesses") is None:
            return None
        raw = manifest["witnesses"]
        keys = raw.get("keys") if isinstance(raw, dict) else None
        threshold = raw.get("threshold") if isinstance(raw, dict) else None
        if (
            not isinstance(keys, list)
            or not all(isinstance(k, str) for k in keys)
            or not isinstance(threshold, int)
            or not 1 <= threshold <= len(keys)
            or len(set(keys)) != len(keys)
        ):
            raise CosignatureError("manifest.witnesses: need distinct keys and 1 <= threshold <= len(keys)")
        return cls(tuple(keys), threshold)

    @property
    def summary(self) -> str:
        return f"{self.threshold} of {len(self.keys)}"


def witnessed_by(
    head: SignedTreeHead, cosignatures: Iterable[object], policy: WitnessPolicy
) -> tuple[list[Cosignature], list[str]]:
    """The valid cosignatures on ``head`` by distinct named witnesses, and why each other one was not counted.

    A witness counts once however many cosignatures it made; a cosignature on another head (another election,
    another size, another root or timestamp) does not verify here and is reported.
    """
    named = set(policy.keys)
    valid: dict[str, Cosignature] = {}
    problems: list[str] = []
    for number, raw in enumerate(cosignatures, start=1):
        try:
            cosig = raw if isinstance(raw, Cosignature) else Cosignature.from_dict(raw)
        except CosignatureError as exc:
            problems.append(f"cosignature #{number}: {exc}")
            continue
        if cosig.witness not in named:
            problems.append(
                f"cosignature #{number}: {cosig.witness[:16]}… is not a witness named in the manifest"
            )
            continue
        if cosig.witness in valid:
            problems.append(f"cosignature #{number}: witness {cosig.witness[:16]}… counted once already")
            continue
        try:
            verify_cosignature(head, cosig)
        except CosignatureError as exc:
            problems.append(f"cosignature #{number}: {exc}")
            continue
        valid[cosig.witness] = cosig
    return list(valid.values()), problems


def split_served_head(data: object) -> tuple[SignedTreeHead, list[object]]:
    """A head as the board serves it (``GET /api/board/head``: the STH's five fields, ``cosignatures`` added when
    some exist) split into the STH and its raw cosignature list. Raises :class:`TreeHeadError` on a bad head."""
    if not isinstance(data, dict):
        raise TreeHeadError("invalid signed tree head: expected an object")
    rest = dict(data)
    cosigs = rest.pop("cosignatures", [])
    if not isinstance(cosigs, list):
        raise TreeHeadError("invalid signed tree head: cosignatures must be a list")
    return SignedTreeHead.from_dict(rest), cosigs


def cosignature_dicts(cosignatures: Sequence[Cosignature]) -> list[dict[str, Any]]:
    """JSON-ready cosignatures, sorted by witness key (one stable order for records and receipts)."""
    return [c.model_dump() for c in sorted(cosignatures, key=lambda c: c.witness)]
