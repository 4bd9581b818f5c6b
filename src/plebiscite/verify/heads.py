"""Checks 18 and 19, board heads and record complete: the record is the log the board signed, all of it.

When a record comes from the bulletin board (or a mirror), it carries the board's signed tree heads
(``heads.jsonl``) and the board's public key (``board.json``). Every head must be signed by that key, and its root
must be the RFC 9162 Merkle root of the record's first ``tree_size`` events — so a record with an event dropped,
changed or reordered after the board signed it fails here, and voters' receipts (signed heads with inclusion
proofs) pin the board to it. Compare the key's log id with the one in your receipt.

Check 19 (record complete) asks for more: some head must cover *every* event of the record. Without it, events
appended (or a repeated event at the end), and a record with no heads at all, prove nothing about what was left
out. Records written offline (``plebiscite demo``, the step-by-step CLI) sign heads as a board does
(``record/signer.py``), so only a legacy record lacks them, and the verifier accepts one only when asked to
(``--allow-unsigned-legacy``), saying so loudly.
"""

from __future__ import annotations

from typing import Any

from plebiscite import native
from plebiscite.canonical import hex_bytes
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, log_id_for, verify_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record.events import Event
from plebiscite.verify.report import Check


def check_heads(
    check: Check,
    events: list[Event],
    heads: list[dict[str, Any]],
    board_key: str | None,
    engine: str = native.REFERENCE,
) -> None:
    stream = HeadsStream(check, heads, board_key, engine)
    for e in events:
        stream.leaf(e.raw)
    stream.finish()


class HeadsStream:
    """Check 18 fed one line at a time, as the verifier streams the record: every signed head is verified first,
    then compared with the Merkle root of the record's first ``tree_size`` lines when the stream gets there.

    With the native ``engine`` the heads' signatures (one per event in an offline record) are checked in one call
    to the extension, by the reference's rules; a head it refuses is checked again by the reference, whose
    message is the one reported."""

    final_root: bytes | None = None
    """The root of the whole record, when :meth:`settle` was given it (else the frontier's)."""

    def __init__(
        self,
        check: Check,
        heads: list[dict[str, Any]],
        board_key: str | None,
        engine: str = native.REFERENCE,
    ) -> None:
        self.engine = engine
        self.check = check
        self.size = 0
        self.frontier = CompactRange()
        self.wanted: dict[int, list[SignedTreeHead]] = {}
        self.numbers: dict[int, int] = {}
        self.covered = 0
        """The largest size at which a validly signed head matched the record."""
        self.signed: dict[int, SignedTreeHead] = {}
        """A validly signed head of each size (what the witnesses' cosignatures are checked against)."""
        self.matched: dict[int, SignedTreeHead] = {}
        """The validly signed heads whose root matched the record, by size."""
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
        parsed: list[SignedTreeHead | TreeHeadError] = []
        for raw in heads:
            check.item()
            try:
                sth = SignedTreeHead.from_dict(raw)
                if sth.log_id != log_id:
                    raise TreeHeadError("log_id is not the board key's")
            except TreeHeadError as exc:
                parsed.append(exc)
                continue
            parsed.append(sth)
        accepted = self._natively_signed(key, [h for h in parsed if isinstance(h, SignedTreeHead)])
        for number, head in enumerate(parsed, start=1):
            try:
                if isinstance(head, TreeHeadError):
                    raise head
                sth = head
                if not accepted.get(id(sth), False):
                    verify_tree_head(sth, key)
                    if self.engine == native.NATIVE:  # the reference accepts what native refused
                        raise TreeHeadError(native.disagreement_on("this head's signature"))
            except TreeHeadError as exc:
                check.fail(f"heads.jsonl line {number}: {exc}")
                continue
            self.wanted.setdefault(sth.tree_size, []).append(sth)
            self.signed.setdefault(sth.tree_size, sth)
            self.numbers[id(sth)] = number
        return True

    def _natively_signed(self, key: bytes, heads: list[SignedTreeHead]) -> dict[int, bool]:
        """By ``id``, the heads whose signature the native engine accepts (none with the reference engine)."""
        if self.engine != native.NATIVE or not heads:
            return {}
        pairs = [(sth.signing_bytes(), bytes.fromhex(sth.signature)) for sth in heads]
        answers = native.verify_signatures(key, pairs)
        return {id(sth): ok for sth, ok in zip(heads, answers, strict=True)}

    def leaf(self, line: bytes) -> None:
        """The record's next line."""
        if not self.usable:
            return
        self._compare()
        self.frontier.append(leaf_hash(line))
        self.size += 1

    def wanted_sizes(self) -> list[int] | None:
        """The tree sizes whose root the signed heads name (``None`` when no head is usable: no tree is needed).
        For a first pass that computes the roots itself (``verify/scan_native.py``), then calls :meth:`settle`."""
        return sorted(self.wanted) if self.usable else None

    def settle(self, size: int, roots: dict[int, bytes]) -> None:
        """All ``size`` lines were read elsewhere, which gave the roots at :meth:`wanted_sizes` up to ``size``:
        the same comparisons, in the same order, as :meth:`leaf` on every line (then call :meth:`finish`)."""
        if not self.usable:
            return
        for at in sorted(s for s in self.wanted if s < size):
            self.size = at
            self._compare(roots[at])
        self.size = size
        self.final_root = roots.get(size)

    def _compare(self, root: bytes | None = None) -> None:
        for sth in self.wanted.pop(self.size, []):
            if (self.frontier.root() if root is None else root) != sth.root:
                self.check.fail(
                    f"signed head of size {self.size}: root differs from the record's first {self.size} events"
                )
            else:
                self.covered = self.size
                self.matched[self.size] = sth

    def finish(self) -> None:
        """The record ended: heads of this size are compared, heads beyond it fail."""
        if not self.usable:
            return
        self._compare(self.final_root)
        for size, sths in sorted(self.wanted.items()):
            for sth in sths:
                self.check.fail(
                    f"heads.jsonl line {self.numbers[id(sth)]}: signed size {size} but the record has "
                    f"{self.size} events"
                )

    @property
    def final(self) -> SignedTreeHead | None:
        """After :meth:`finish`: the signed head that matches the whole record, if one does."""
        return self.matched.get(self.size) if self.usable else None

    def check_complete(self, complete: Check) -> None:
        """Check 19, after :meth:`finish`: a signed head matched the record at its full size."""
        complete.item()
        if not self.usable:
            complete.fail("no usable signed head (see check 18), so nothing shows the record is complete")
        elif self.covered != self.size:
            complete.fail(
                f"events {self.covered}..{self.size - 1} are covered by no signed head that matches the record "
                f"(the last head that does covers {self.covered} of {self.size} events)"
            )


NO_HEADS = (
    "heads.jsonl: the record carries no signed heads, so nothing shows it is complete (an event could have been "
    "removed, reordered or repeated); a record made before records carried heads can be checked with "
    "--allow-unsigned-legacy"
)
LEGACY_WARNING = (
    "UNSIGNED LEGACY RECORD: accepted without signed heads (--allow-unsigned-legacy); nothing shows that no event "
    "was removed, reordered or repeated"
)


def check_complete_without_heads(complete: Check, allow_unsigned: bool) -> str | None:
    """Check 19 for a record that has no signed heads: it fails, unless the reader accepts a legacy record — then
    the check is not run and the returned warning must be shown with the report."""
    if allow_unsigned:
        return LEGACY_WARNING
    complete.fail(NO_HEADS)
    return None
