"""Opening a board for an election: keys from files, and importing a prepared record (ceremony and roll).

The key ceremony and registration are usually done offline (``plebiscite init/ceremony/register``); their record
is then imported into an empty board, which serves everything after it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import nacl.signing

from plebiscite.board.election import BoardElection
from plebiscite.board.errors import BoardCorruptError
from plebiscite.board.records import IntegrityProblem
from plebiscite.board.restore import Restored, is_own_record, restore
from plebiscite.board.storage import Board
from plebiscite.canonical import hex_bytes
from plebiscite.record import store
from plebiscite.record.store import RecordError
from plebiscite.secretfiles import SecretFileError, write_private_text


def _private_file(path: Path, make: str) -> str:
    """The secret in ``path``; a missing file is created (0600, never over another) holding ``make``."""
    if path.exists():
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise RecordError(f"{path}: empty")
        return text
    try:
        write_private_text(path, make + "\n")
    except SecretFileError as exc:
        raise RecordError(str(exc)) from None
    return make


def board_key(path: Path) -> nacl.signing.SigningKey:
    """The board's Ed25519 key, from a file holding the hex seed (created with a fresh key if absent)."""
    text = _private_file(path, secrets.token_bytes(32).hex())
    try:
        return nacl.signing.SigningKey(hex_bytes(text, 32, str(path)))
    except ValueError:
        raise RecordError(f"{path}: not a 32-byte hex seed") from None


def admin_token(path: Path) -> str:
    """The administrator's bearer token, from a file (created if absent)."""
    return _private_file(path, secrets.token_urlsafe(32))


def open_election(
    db: str,
    key: nacl.signing.SigningKey,
    record: Path | None = None,
    check_workers: int = 0,
    on_restore: Callable[[Restored], None] | None = None,
) -> BoardElection:
    """Open the board at ``db``; import ``record`` into it when the board is empty (or check it is a prefix).

    A ``record`` whose heads this board's key signed (a mirror of this board, or its export) is restored whole
    into an empty board — entries, signed heads and the witnesses' cosignatures, each checked first
    (``board/restore.py``; ``on_restore`` is told what was put back); a prepared record (signed offline) has its
    events imported. First the whole database is audited against the board's signed heads
    (:func:`refuse_if_tampered`): a board whose entries no longer hash to what it signed must not serve, nor sign
    new heads on top of them.
    """
    board = Board.open(db, key)
    try:
        refuse_if_tampered(board, db)
        if record is not None and board.size() == 0 and is_own_record(record, board):
            restore(board, record, on_restore)  # streamed: a national record is never held whole
        elif record is not None:
            events = store.read(record)
            size = board.size()
            if size == 0:
                board.append_many([(e.type, e.raw) for e in events])
            else:
                existing = [board.entry(i).leaf for i in range(min(size, len(events)))]
                if existing != [e.raw for e in events[: len(existing)]]:
                    raise RecordError(f"{record}: does not match what the board at {db} already holds")
        if board.size() == 0:
            raise RecordError("the board is empty: give --record with at least the manifest")
        return BoardElection(board, check_workers=check_workers)
    except BaseException:
        board.close()
        raise


def refuse_if_tampered(board: Board, db: str) -> None:
    """Raise :class:`BoardCorruptError` naming the first bad entry if the database contradicts its signed heads.

    The audit (``board/integrity.py``) recomputes every leaf hash, interior node and signed head's root from the
    entries. An entry edited in place is named by its index; when the editor also rewrote the derived hashes, the
    first head whose root no longer matches bounds it: after the last head that still matches, up to that head.
    """
    problems = board.check_integrity()
    if not problems:
        return
    first, where = _first_bad(board, problems)
    raise BoardCorruptError(
        f"{db}: the database no longer matches the board's signed heads; first bad entry: {where} "
        f"({first}); {len(problems)} problem(s) in all. Refusing to serve: restore the database from a backup "
        "or a mirror."
    )


_ENTRY_CODES = ("leaf_hash_mismatch", "missing_entry")
_NODE_CODES = ("node_mismatch", "missing_node", "unexpected_node")


def _first_bad(board: Board, problems: list[IntegrityProblem]) -> tuple[IntegrityProblem, str]:
    """The problem that locates the earliest bad entry, and where that entry is, as precisely as it is known."""

    def earliest(codes: tuple[str, ...]) -> IntegrityProblem | None:
        found = [p for p in problems if p.code in codes and p.index is not None]
        return min(found, key=lambda p: p.index or 0, default=None)

    if (entry := earliest(_ENTRY_CODES)) is not None:
        return entry, f"entry {entry.index}"
    if (beyond := earliest(("head_beyond_log",))) is not None:
        return beyond, f"entry {board.size()} (deleted: a signed head covers {beyond.index} entries)"
    if (node := earliest(_NODE_CODES)) is not None:
        return node, f"entry {node.index} or one after it (a stored node over it no longer matches)"
    head = min((p for p in problems if p.index is not None), key=lambda p: p.index or 0, default=problems[0])
    return head, _bounded_by_heads(board, head.index)


def _bounded_by_heads(board: Board, bad_head: int | None) -> str:
    """The entries between the last head that still matches and ``bad_head`` (the first that does not)."""
    if bad_head is None:
        return "unknown (no signed head locates it)"
    sizes = [h.tree_size for h in board.heads() if h.tree_size < bad_head]
    low = max(sizes, default=0)
    return f"one of entries {low}..{bad_head - 1} (the head of size {bad_head} no longer matches)"
