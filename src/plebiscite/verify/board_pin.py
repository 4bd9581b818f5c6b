"""Check 18's pin: the record's heads must be signed by the board key the reader expected, not only by *a* key.

Checks 18 and 19 prove the record is complete *as the key in* ``board.json`` *signed it*; whoever rewrites a record
can sign new heads with a key of their own and put that key in ``board.json``. The reader closes the gap by naming
the key they trust — the one the organiser published (``--board-key``), or the log id in their receipt
(``--log-id``, the SHA-256 of that key, ``merkle/heads.py``). Then heads signed by any other key, or a record
without heads, fail check 18 ("board heads") with both keys named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plebiscite.merkle.heads import TreeHeadError, log_id_for
from plebiscite.verify.report import Report

CHECK = "board heads"
_HEX32 = re.compile(r"[0-9a-f]{64}")


class PinError(ValueError):
    """An expected board key or log id that is not 32 bytes of hex, or the two not naming the same key."""


@dataclass(frozen=True)
class ExpectedBoard:
    """What the reader expects: the board key (hex), or only its log id."""

    board_key: str | None
    log_id: str

    @classmethod
    def parse(cls, board_key: str | None, log_id: str | None) -> ExpectedBoard | None:
        """From the reader's values (None: nothing expected); raises :class:`PinError` naming the bad one."""
        key = _hex32(board_key, "--board-key", "the board's Ed25519 public key")
        wanted = _hex32(log_id, "--log-id", "the log id, SHA-256 of the board key")
        if key is None:
            return None if wanted is None else cls(None, wanted)
        try:
            key_log = log_id_for(bytes.fromhex(key))
        except TreeHeadError:  # pragma: no cover - 32 bytes of hex always hash
            raise PinError("--board-key: not a 32-byte Ed25519 public key") from None
        if wanted is not None and wanted != key_log:
            raise PinError(
                f"--log-id {wanted} is not the log id of --board-key {key} (that is {key_log}): they name "
                "different boards"
            )
        return cls(key, key_log)

    @property
    def text(self) -> str:
        if self.board_key is None:
            return f"log id {self.log_id} (--log-id)"
        return f"board key {self.board_key} (log id {self.log_id}, --board-key)"

    def to_json(self) -> dict[str, str | None]:
        return {"board_key": self.board_key, "log_id": self.log_id}


def _hex32(value: str | None, option: str, what: str) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if not _HEX32.fullmatch(text):
        raise PinError(f"{option}: expected {what} as 64 hex digits, got {value!r}")
    return text


def check_expected_board(report: Report, expected: ExpectedBoard) -> None:
    """Fail check 18 unless the heads it accepted are signed by the expected key.

    ``report.board_key`` is the key checks 18 and 19 verified the heads against (``board.json``'s); a record with no
    heads has none, and fails too: nothing in it is signed by the board the reader trusts.
    """
    check = report.by_name(CHECK)
    check.item()
    found = report.board_key
    if found is None:
        check.fail(f"expected heads signed by {expected.text}, but the record carries no signed heads")
        return
    found_log = _log_id_or_none(found)
    if found_log != expected.log_id:  # the log id is the key's SHA-256: equal ids, equal keys
        check.fail(
            f"heads signed by another key: expected {expected.text}, found board key {found} "
            f"(log id {found_log or 'unreadable'}) in board.json"
        )


def _log_id_or_none(key_hex: str) -> str | None:
    try:
        return log_id_for(bytes.fromhex(key_hex))
    except (ValueError, TreeHeadError):
        return None
