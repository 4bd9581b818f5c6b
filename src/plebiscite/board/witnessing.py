"""The witness side of a board's clients: what receipts, mirrors and voters' tools check (docs/board.md §4).

* :func:`election_witnesses` reads the witnesses from the manifest event the board holds at index 0, proven by an
  inclusion proof into a head the caller already trusts (the board's latest head, once proven to extend the
  receipt's): a board cannot name other witnesses to one voter without also forking the log under that voter's own
  receipt.
* :func:`latest_witnessed` fetches ``GET /api/board/witnessed`` and counts its valid cosignatures.
* :func:`witness_receipt` decides "witnessed by k of n" / "not yet witnessed" for a receipt, and builds the
  ``witnessed`` block of a ``plebiscite-receipt/2``; :func:`check_witnessed_block` re-checks one offline.
* :class:`ForkWithCosignatures` is :class:`ForkDetected` carrying the witnesses' cosignatures on both heads, which
  go into the saved evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from plebiscite.canonical import hex_bytes
from plebiscite.merkle.cosign import (
    CosignatureError,
    WitnessPolicy,
    cosignature_dicts,
    split_served_head,
    witnessed_by,
)
from plebiscite.merkle.heads import (
    ForkDetected,
    ForkEvidence,
    SignedTreeHead,
    verify_heads_consistent,
    verify_tree_head,
)
from plebiscite.merkle.tree import leaf_hash, verify_inclusion
from plebiscite.record import events as ev
from plebiscite.record import store

__all__ = [
    "RECEIPT_V1",
    "RECEIPT_V2",
    "ForkWithCosignatures",
    "WitnessStatus",
    "WitnessingError",
    "check_witnessed_block",
    "consistency",
    "consistent_or_fork",
    "election_witnesses",
    "latest_witnessed",
    "upgrade_receipt",
    "witness_receipt",
]

RECEIPT_V1 = "plebiscite-receipt/1"
RECEIPT_V2 = "plebiscite-receipt/2"


class WitnessingError(ValueError):
    """The board's answers about witnesses are malformed or do not prove what they should."""


class ForkWithCosignatures(ForkDetected):
    """A fork, with the witnesses' cosignatures known on each of the two heads (``extra`` for the evidence file)."""

    def __init__(self, evidence: ForkEvidence, first: Sequence[object], second: Sequence[object]) -> None:
        super().__init__(evidence)
        self.extra = {"cosignatures": {"first": list(first), "second": list(second)}}


def _get(client: httpx.Client, path: str, **params: Any) -> tuple[int, Any]:
    try:
        response = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise WitnessingError(f"board unreachable: {exc}") from None
    if response.status_code != 200:
        return response.status_code, response.text[:200]
    return 200, response.json()


def _hashes(raw: object, what: str) -> list[bytes]:
    if not isinstance(raw, list):
        raise WitnessingError(f"{what}: not a list of hashes")
    try:
        return [hex_bytes(h, 32, what) for h in raw]
    except (TypeError, ValueError) as exc:
        raise WitnessingError(f"{what}: {exc}") from None


def election_witnesses(client: httpx.Client, head: SignedTreeHead) -> WitnessPolicy | None:
    """The witnesses named by the manifest at index 0 of the log, proven included in ``head`` (already verified)."""
    status, answer = _get(client, "/api/board/inclusion", index=0, size=head.tree_size)
    if status != 200 or not isinstance(answer, dict):
        raise WitnessingError(f"GET /api/board/inclusion?index=0: {status} {answer}")
    try:
        leaf = hex_bytes(answer["leaf"], None, "inclusion.leaf")
    except (KeyError, TypeError, ValueError) as exc:
        raise WitnessingError(f"board: malformed inclusion answer ({exc})") from None
    verify_inclusion(
        leaf_hash(leaf), 0, head.tree_size, _hashes(answer.get("proof"), "inclusion.proof"), head.root
    )
    event = store.parse_event(0, leaf, "board entry 0")
    if event.type != ev.MANIFEST:
        raise WitnessingError("board entry 0 is not the manifest")
    try:
        return WitnessPolicy.from_manifest(event.payload.get("manifest"))
    except CosignatureError as exc:
        raise WitnessingError(str(exc)) from None


def latest_witnessed(
    client: httpx.Client, key: bytes, policy: WitnessPolicy
) -> tuple[SignedTreeHead, list[object], int] | None:
    """The board's latest witnessed head (signature verified), its cosignatures and how many are valid; None if the
    board has none yet."""
    status, answer = _get(client, "/api/board/witnessed")
    if status == 404:
        return None
    if status != 200:
        raise WitnessingError(f"GET /api/board/witnessed: {status} {answer}")
    head, cosigs = split_served_head(answer)
    verify_tree_head(head, key)
    valid, _ = witnessed_by(head, cosigs, policy)
    return head, cosigs, len(valid)


def consistency(client: httpx.Client, first: int, second: int) -> list[bytes]:
    if first >= second:
        return []
    status, answer = _get(client, "/api/board/consistency", first=first, second=second)
    if status != 200 or not isinstance(answer, dict):
        raise WitnessingError(f"GET /api/board/consistency: {status} {answer}")
    return _hashes(answer.get("proof"), "consistency proof")


def consistent_or_fork(
    a: SignedTreeHead,
    b: SignedTreeHead,
    proof: list[bytes],
    key: bytes,
    a_cosigs: Sequence[object],
    b_cosigs: Sequence[object],
) -> None:
    """:func:`verify_heads_consistent`, raising :class:`ForkWithCosignatures` (cosignatures in the evidence)."""
    try:
        verify_heads_consistent(a, b, proof, key)
    except ForkDetected as exc:
        first, second = (a_cosigs, b_cosigs) if exc.evidence.first == a else (b_cosigs, a_cosigs)
        raise ForkWithCosignatures(exc.evidence, first, second) from None


@dataclass
class WitnessStatus:
    """Whether a receipt's head is witnessed: ``status`` is ``witnessed``, ``not yet witnessed`` or ``not run``."""

    status: str
    policy: WitnessPolicy | None
    valid: int = 0
    head: SignedTreeHead | None = None
    block: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self.policy is None:
            return "witness check not run: the election's manifest names no witnesses"
        if self.status == "witnessed":
            return (
                f"witnessed by {self.valid} of {len(self.policy.keys)} witnesses (threshold "
                f"{self.policy.threshold}, head of size {self.head.tree_size if self.head else '?'})"
            )
        return f"not yet witnessed ({self.policy.summary} cosignatures needed on a head covering it)"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "valid": self.valid,
            "witnesses": None if self.policy is None else len(self.policy.keys),
            "threshold": None if self.policy is None else self.policy.threshold,
            "tree_size": None if self.head is None else self.head.tree_size,
        }


def check_witnessed_block(
    block: object, receipt_head: SignedTreeHead, key: bytes, policy: WitnessPolicy | None
) -> tuple[SignedTreeHead, list[object], int]:
    """Check a ``plebiscite-receipt/2``'s ``witnessed`` block offline: the head is the board's, extends the
    receipt's head (the stored consistency proof) and carries ``w`` valid cosignatures. Returns (head, cosignatures,
    valid count); raises :class:`WitnessingError`, ``TreeHeadError`` or :class:`ForkDetected`."""
    if not isinstance(block, dict) or set(block) != {"tree_head", "cosignatures", "consistency"}:
        raise WitnessingError("receipt.witnessed: expected tree_head, cosignatures and consistency")
    head = SignedTreeHead.from_dict(block["tree_head"])
    cosigs = block["cosignatures"]
    if not isinstance(cosigs, list):
        raise WitnessingError("receipt.witnessed.cosignatures: expected a list")
    if head.tree_size < receipt_head.tree_size:
        raise WitnessingError("receipt.witnessed.tree_head: smaller than the receipt's head")
    proof = _hashes(block["consistency"], "receipt.witnessed.consistency")
    consistent_or_fork(receipt_head, head, proof, key, [], cosigs)
    if policy is None:
        raise WitnessingError("receipt.witnessed: the election's manifest names no witnesses")
    valid, problems = witnessed_by(head, cosigs, policy)
    if len(valid) < policy.threshold:
        why = f" ({problems[0]})" if problems else ""
        raise WitnessingError(
            f"receipt.witnessed: {len(valid)} valid cosignature(s) by distinct named witnesses, "
            f"{policy.summary} needed{why}"
        )
    return head, cosigs, len(valid)


def witness_receipt(
    client: httpx.Client,
    key: bytes,
    receipt: dict[str, Any],
    receipt_head: SignedTreeHead,
    latest: SignedTreeHead,
    latest_cosigs: list[object],
) -> WitnessStatus:
    """Is the receipt's head witnessed? Uses the receipt's own ``witnessed`` block if it has one, else the board's
    latest witnessed head; either way that head must be consistent with the receipt's head and with the board's
    latest head (a fork otherwise: :class:`ForkWithCosignatures`)."""
    policy = election_witnesses(client, latest)  # latest is proven to extend the receipt's head: same entry 0
    if policy is None:
        return WitnessStatus("not run", None)
    if receipt.get("format") == RECEIPT_V2 and "witnessed" in receipt:
        head, cosigs, valid = check_witnessed_block(receipt["witnessed"], receipt_head, key, policy)
        _against_latest(client, key, head, cosigs, latest, latest_cosigs)
        return WitnessStatus("witnessed", policy, valid, head, receipt["witnessed"])
    found = latest_witnessed(client, key, policy)
    if found is None or found[0].tree_size < receipt_head.tree_size or found[2] < policy.threshold:
        return WitnessStatus("not yet witnessed", policy, 0 if found is None else found[2])
    head, cosigs, valid = found
    proof = consistency(client, receipt_head.tree_size, head.tree_size)
    consistent_or_fork(receipt_head, head, proof, key, [], cosigs)
    _against_latest(client, key, head, cosigs, latest, latest_cosigs)
    valid_cosigs, _ = witnessed_by(head, cosigs, policy)
    block = {
        "tree_head": head.model_dump(),
        "cosignatures": cosignature_dicts(valid_cosigs),
        "consistency": [h.hex() for h in proof],
    }
    return WitnessStatus("witnessed", policy, valid, head, block)


def _against_latest(
    client: httpx.Client,
    key: bytes,
    head: SignedTreeHead,
    cosigs: list[object],
    latest: SignedTreeHead,
    latest_cosigs: list[object],
) -> None:
    """The witnessed head and the board's latest head must be one history."""
    low, high = (head, latest) if head.tree_size <= latest.tree_size else (latest, head)
    proof = consistency(client, low.tree_size, high.tree_size)
    consistent_or_fork(head, latest, proof, key, cosigs, latest_cosigs)


def upgrade_receipt(receipt: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    """The receipt as ``plebiscite-receipt/2`` with its ``witnessed`` block (docs/board.md §4)."""
    return {**receipt, "format": RECEIPT_V2, "witnessed": block}
