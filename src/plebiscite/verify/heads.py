"""Check 18, board heads: the record is the log the board signed.

When a record comes from the bulletin board (or a mirror), it carries the board's signed tree heads
(``heads.jsonl``) and the board's public key (``board.json``). Every head must be signed by that key, and its root
must be the RFC 9162 Merkle root of the record's first ``tree_size`` events — so a record with an event dropped,
changed or reordered after the board signed it fails here, and voters' receipts (signed heads with inclusion
proofs) pin the board to it. Compare the key's log id with the one in your receipt.
"""

from __future__ import annotations

from typing import Any

from plebiscite.canonical import hex_bytes
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, log_id_for, verify_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record.events import Event
from plebiscite.verify.report import Check


def check_heads(
    check: Check, events: list[Event], heads: list[dict[str, Any]], board_key: str | None
) -> None:
    if board_key is None:
        check.fail("board.json: the board's public key is missing, signed heads cannot be checked")
        return
    try:
        key = hex_bytes(board_key, 32, "board.json.public_key")
        log_id = log_id_for(key)
    except (ValueError, TreeHeadError):
        check.fail("board.json.public_key: not a 32-byte Ed25519 public key in hex")
        return
    parsed: list[SignedTreeHead] = []
    for number, raw in enumerate(heads, start=1):
        check.item()
        try:
            sth = SignedTreeHead.from_dict(raw)
            if sth.log_id != log_id:
                raise TreeHeadError("log_id is not the board key's")
            verify_tree_head(sth, key)
        except TreeHeadError as exc:
            check.fail(f"heads.jsonl line {number}: {exc}")
            continue
        if sth.tree_size > len(events):
            check.fail(
                f"heads.jsonl line {number}: signed size {sth.tree_size} but the record has {len(events)} events"
            )
            continue
        parsed.append(sth)
    wanted: dict[int, list[SignedTreeHead]] = {}
    for sth in parsed:
        wanted.setdefault(sth.tree_size, []).append(sth)
    frontier = CompactRange()
    for size in range(len(events) + 1):
        for sth in wanted.get(size, []):
            if frontier.root() != sth.root:
                check.fail(f"signed head of size {size}: root differs from the record's first {size} events")
        if size < len(events):
            frontier.append(leaf_hash(events[size].raw))
