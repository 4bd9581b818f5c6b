"""Signed heads for records written offline (``plebiscite demo``, the step-by-step CLI, the coercion tally).

A record's events alone cannot show that none was dropped, swapped or repeated after the fact: a record without its
``close`` event or one of its ``challenge`` events is still a well-formed election. The bulletin board closes that
gap with signed tree heads (``docs/board.md``); a record written without a board now does the same, signing as a
board would: after every event it appends, :class:`RecordSigner` signs a tree head (``merkle/heads.py``, the same
bytes as the board's) over the whole record so far and appends it to ``heads.jsonl``, and the public key goes into
``board.json``. The verifier's check 18 then ties every head to the record's first ``tree_size`` events and check
19 (record complete) demands a head over all of them.

The signing key is a secret and never part of what is published: it is a 32-byte Ed25519 seed in hex, in the file
:func:`key_path` names — *next to* the record directory (``<record>.board-key``), created ``0600`` and never
overwritten, so publishing or zipping the directory cannot leak it. Whoever holds it can sign another history, so
it belongs to the organiser, like the board's own key.

Crash safety: each event line is fsynced before its head, so a crash can leave at most one event without a head;
reopening signs a head over that one event, and refuses a record whose uncovered tail is longer or whose heads no
longer match its events (it was changed after it was signed).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from pathlib import Path

import nacl.signing

from plebiscite.canonical import hex_bytes
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, sign_tree_head, verify_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import store
from plebiscite.record.store import RecordError
from plebiscite.secretfiles import SecretFileError, write_private_text

__all__ = ["RecordSigner", "key_path", "read_or_create_key"]

KEY_SUFFIX = ".board-key"
_CRASH_TAIL = 1
"""Events a crash can leave without a head: one (its line is fsynced before its head's)."""


def key_path(record: Path) -> Path:
    """Where the offline board key of the record directory ``record`` lives: beside it, never inside it."""
    resolved = record.resolve()
    return resolved.with_name(resolved.name + KEY_SUFFIX)


def read_or_create_key(path: Path, create: bool = True) -> nacl.signing.SigningKey:
    """The Ed25519 key whose hex seed is in ``path``; a fresh one is created (0600) there if ``create`` and absent."""
    if not path.exists():
        if not create:
            raise RecordError(
                f"{path}: the record's board signing key is missing (it signs the record's heads)"
            )
        try:
            write_private_text(path, secrets.token_bytes(32).hex() + "\n")  # 0600, never over another file
        except SecretFileError as exc:
            raise RecordError(str(exc)) from None
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise RecordError(f"{path}: empty")
    try:
        return nacl.signing.SigningKey(hex_bytes(text, 32, str(path)))
    except ValueError:
        raise RecordError(f"{path}: not a 32-byte hex seed") from None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class RecordSigner:
    """Signs a head over a record directory after each appended event (see the module docstring)."""

    def __init__(
        self, path: Path, key: nacl.signing.SigningKey, frontier: CompactRange, timestamp: int
    ) -> None:
        self.path = path
        self.key = key
        self.frontier = frontier
        self.timestamp = timestamp

    @staticmethod
    def create(path: Path, key: nacl.signing.SigningKey) -> RecordSigner:
        """For a new, empty record signed by ``key`` (:func:`read_or_create_key` of :func:`key_path`): its public
        key goes into ``board.json``."""
        store.write_extras(path, [], key.verify_key.encode().hex())
        return RecordSigner(path, key, CompactRange(), 0)

    @staticmethod
    def open(path: Path, lines: Iterable[bytes]) -> RecordSigner:
        """For an existing record whose event lines are ``lines``: check its heads, sign a crash-left tail.

        A record written before records carried heads (no ``heads.jsonl``, no ``board.json``) is adopted: a key is
        made and a head signed over everything in it, which is what the organiser, who ran it, vouches for.
        """
        heads, board_key = store.read_heads(path), store.read_board_key(path)
        legacy = not heads and board_key is None
        key = read_or_create_key(key_path(path), create=legacy)
        public = key.verify_key.encode().hex()
        if legacy:
            store.write_extras(path, [], public)
        elif board_key != public:
            raise RecordError(f"{path}/{store.BOARD_FILE}: public key is not the one of {key_path(path)}")
        signer = RecordSigner(path, key, CompactRange(), 0)
        covered = signer._replay(heads, lines)
        tail = signer.frontier.size - covered
        if tail > (signer.frontier.size if legacy else _CRASH_TAIL):
            raise RecordError(
                f"{path}/{store.EVENTS_FILE}: events {covered}..{signer.frontier.size - 1} are not covered by a "
                "signed head (appended after the record was signed?)"
            )
        if tail:
            signer.sign()
        return signer

    def _replay(self, heads: list[dict[str, object]], lines: Iterable[bytes]) -> int:
        """Rebuild the frontier from ``lines``, checking every head on the way; the size the last head covers."""
        wanted: dict[int, list[tuple[int, SignedTreeHead]]] = {}
        for number, raw in enumerate(heads, start=1):
            where = f"{self.path}/{store.HEADS_FILE} line {number}"
            try:
                sth = SignedTreeHead.from_dict(raw)
                verify_tree_head(sth, self.key.verify_key)
            except TreeHeadError as exc:
                raise RecordError(f"{where}: {exc}") from None
            wanted.setdefault(sth.tree_size, []).append((number, sth))
            self.timestamp = max(self.timestamp, sth.timestamp)
        covered = max(wanted, default=0)

        def compare() -> None:
            for number, sth in wanted.pop(self.frontier.size, []):
                if sth.root != self.frontier.root():
                    raise RecordError(
                        f"{self.path}/{store.EVENTS_FILE}: the first {sth.tree_size} events no longer hash to the "
                        f"root signed in {store.HEADS_FILE} line {number} (the record changed after it was signed)"
                    )

        for line in lines:
            compare()
            self.frontier.append(leaf_hash(line))
        compare()
        if wanted:
            size = min(wanted)
            raise RecordError(
                f"{self.path}/{store.HEADS_FILE} line {wanted[size][0][0]}: signs {size} events but the record "
                f"has {self.frontier.size}"
            )
        return covered

    def leaf(self, line: bytes) -> None:
        """The event ``line`` was appended (and fsynced): sign a head over the record including it."""
        self.frontier.append(leaf_hash(line))
        self.sign()

    def extend(self, lines: Iterable[bytes]) -> None:
        """Event lines appended in bulk, bypassing the sink (a benchmark writing millions of ballots); the next
        :meth:`sign` (or :meth:`leaf`) covers them."""
        for line in lines:
            self.frontier.append(leaf_hash(line))

    def sign(self) -> SignedTreeHead:
        """Sign a head over the whole record so far and append it to ``heads.jsonl`` (fsynced)."""
        self.timestamp = max(self.timestamp, _now_ms())
        sth = sign_tree_head(self.key, self.frontier.size, self.frontier.root(), self.timestamp)
        store.append_head(self.path, sth.model_dump())
        return sth
