"""Opening a board for an election: keys from files, and importing a prepared record (ceremony and roll).

The key ceremony and registration are usually done offline (``plebiscite init/ceremony/register``); their record
is then imported into an empty board, which serves everything after it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import nacl.signing

from plebiscite.board.election import BoardElection
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
    db: str, key: nacl.signing.SigningKey, record: Path | None = None, check_workers: int = 0
) -> BoardElection:
    """Open the board at ``db``; import ``record`` into it when the board is empty (or check it is a prefix)."""
    board = Board.open(db, key)
    try:
        if record is not None:
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
