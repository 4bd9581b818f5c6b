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
    stream = HeadsStream(check, heads, board_key)
    for e in events:
        stream.leaf(e.raw)
    stream.finish()


class HeadsStream:
    """Check 18 fed one line at a time, as the verifier streams the record: every signed head is verified first,
    then compared with the Merkle root of the record's first ``tree_size`` lines when the stream gets there."""

    def __init__(self, check: Check, heads: list[dict[str, Any]], board_key: str | None) -> None:
        self.check = check
        self.size = 0
        self.frontier = CompactRange()
        self.wanted: dict[int, list[SignedTreeHead]] = {}
        self.numbers: dict[int, int] = {}
        self.usable = self._read(heads, board_key)

    def _read(self, heads: list[dict[str, Any]], board_key: str | None) -> bool:
        check = self.check
        if board_key is None:
            check.fail("board.json: the board's public key is missing, signed heads cannot be checked")
            return False
        try:
            key = hex_bytes(board_key, 32, "board.json.public_key")
            log_id = log_id_for(key)
        except (ValueError, TreeHeadError):
            check.fail("board.json.public_key: not a 32-byte Ed25519 public key in hex")
            return False
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
            self.wanted.setdefault(sth.tree_size, []).append(sth)
            self.numbers[id(sth)] = number
        return True

    def leaf(self, line: bytes) -> None:
        """The record's next line."""
        if not self.usable:
            return
        self._compare()
        self.frontier.append(leaf_hash(line))
        self.size += 1

    def _compare(self) -> None:
        for sth in self.wanted.pop(self.size, []):
            if self.frontier.root() != sth.root:
                self.check.fail(
                    f"signed head of size {self.size}: root differs from the record's first {self.size} events"
                )

    def finish(self) -> None:
        """The record ended: heads of this size are compared, heads beyond it fail."""
        if not self.usable:
            return
        self._compare()
        for size, sths in sorted(self.wanted.items()):
            for sth in sths:
                self.check.fail(
                    f"heads.jsonl line {self.numbers[id(sth)]}: signed size {size} but the record has "
                    f"{self.size} events"
                )
