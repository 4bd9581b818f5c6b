"""A trustee's rows computed while voting runs, kept on its machine between ``trustee ahead`` and ``trustee tally``.

Two kinds, each a map ``C1.a ‖ C1.b → (x, y)`` (64 + 64 bytes): ``fold`` (``E_t = w·C1``, ``w = λ_t s_t``) and
``dedup`` (the first trustee's pass ``(z·C1.a, z·C1.b − u·C1.a)``). They live in ``<mirror>/cr-rows/`` as segment
files, one a round, never rewritten:

    file      = nonce (24 bytes) ‖ XSalsa20-Poly1305(key, nonce, plaintext)      (PyNaCl's SecretBox)
    plaintext = MAGIC ‖ kind (1 byte: 1 fold, 2 dedup) ‖ exponent id (32) ‖ count (u32 LE) ‖ count × (C1 64 ‖ row 64)
    key       = BLAKE2b-256(key = SHA-512(z_dedup ‖ u_dedup ‖ z_match ‖ u_match), person "cr-rows-ahead",
                            msg = election fingerprint ‖ int8(trustee))
    id        = BLAKE2b-256(key = key, person "cr-rows-exponent", msg = kind ‖ the exponent's scalars)

Why encrypted: a ``dedup`` row is ``z·V`` encrypted under the election key *with this trustee's share removed*;
read before close by someone who also holds the other tally trustees' shares, equal ``z·V`` link a voter's
ballots (a revote) — which, without the file, needs this trustee's tag key, sealed in its vault. So the rows get
the protection the tag keys have: a key derived from them (never stored), with authentication. ``fold`` rows are
encryptions under the full election key (nothing without a threshold of shares) and are encrypted the same way
for simplicity. The authentication also makes every damaged, truncated or foreign file detectable: such a segment
is named, removed and its ballots' rows are computed again — never trusted. Writes are atomic (a temporary file,
``fsync``, ``os.replace``, the directory ``fsync``): a crash leaves a whole segment or none. A row that is
nevertheless wrong would make a chunk proof that the board refuses (the proofs are checked, not the rows).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils
from nacl.encoding import RawEncoder

from plebiscite.board.trustee_client import TrusteeBoardError
from plebiscite.coercion import steps, turns
from plebiscite.coercion.trustees import TallyTrustee
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.remote import Step

DIRECTORY = "cr-rows"
MAGIC = b"plebiscite/cr-rows/1\n"
KINDS = {"fold": 1, "dedup": 2}
ROW = 128  # C1 (64) ‖ row (64)
COMPACT_AFTER = 32  # segments of one kind: merged into one when there are more
Rows = dict[bytes, tuple[bytes, bytes]]


def rows_key(tag_keys: dict[str, tuple[int, int]], fingerprint: bytes, trustee: int) -> bytes:
    """The segments' key, derived from this trustee's secret tag keys (which exist from ``cr-tally-keys`` on)."""
    secret = b"".join(G.scalar_to_bytes(x) for stage in ("dedup", "match") for x in tag_keys[stage])
    root = hashlib.sha512(secret).digest()
    return nacl.hash.blake2b(
        fingerprint + bytes([trustee]), digest_size=32, key=root, person=b"cr-rows-ahead", encoder=RawEncoder
    )


class RowStore:
    """The segments of one trustee in one election (``directory`` = ``<mirror>/cr-rows``)."""

    def __init__(self, directory: Path, key: bytes, say: Callable[[str], None] = lambda _m: None) -> None:
        self.directory, self.say = directory, say
        self._box = nacl.secret.SecretBox(key)
        self._key = key

    def exponent_id(self, kind: str, scalars: tuple[int, ...]) -> bytes:
        msg = bytes([KINDS[kind]]) + b"".join(G.scalar_to_bytes(s) for s in scalars)
        return nacl.hash.blake2b(
            msg, digest_size=32, key=self._key, person=b"cr-rows-exponent", encoder=RawEncoder
        )

    def _segments(self, kind: str) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"{kind}-*.rows"))

    def load(self, kind: str, exponent: bytes) -> Rows:
        """Every row of ``kind`` for this exponent; a segment that does not open (damaged, truncated, another key)
        or holds rows of another exponent is named, removed, and its rows are simply missing (computed again)."""
        rows: Rows = {}
        for path in self._segments(kind):
            try:
                rows.update(self._read(path, kind, exponent))
            except (OSError, ValueError) as exc:
                self.say(f"{path.name}: {exc}; removed, its rows will be computed again")
                with contextlib.suppress(OSError):
                    path.unlink()
        return rows

    def _read(self, path: Path, kind: str, exponent: bytes) -> Rows:
        data = path.read_bytes()
        try:
            plain = self._box.decrypt(data)
        except nacl.exceptions.CryptoError:
            raise ValueError("does not authenticate (damaged, truncated or not this trustee's)") from None
        head = len(MAGIC) + 1 + 32 + 4
        if len(plain) < head or not plain.startswith(MAGIC) or plain[len(MAGIC)] != KINDS[kind]:
            raise ValueError(f"not a segment of {kind} rows")
        if plain[len(MAGIC) + 1 : len(MAGIC) + 33] != exponent:
            raise ValueError("rows for another exponent (another tally set or tag key)")
        (count,) = struct.unpack_from("<I", plain, head - 4)
        if len(plain) != head + count * ROW:
            raise ValueError(f"holds {len(plain) - head} bytes of rows, not {count} rows")
        body = memoryview(plain)[head:]
        return {
            bytes(body[i : i + 64]): (bytes(body[i + 64 : i + 96]), bytes(body[i + 96 : i + 128]))
            for i in range(0, len(body), ROW)
        }

    def append(self, kind: str, exponent: bytes, rows: Rows) -> None:
        """One new segment with ``rows`` (nothing when empty); more than :data:`COMPACT_AFTER` segments of the
        kind are then merged into one (the old ones removed after the merged one is in place)."""
        if not rows:
            return
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        old = self._segments(kind)
        self._write(kind, exponent, rows, old)
        if len(old) + 1 > COMPACT_AFTER:
            merged = self.load(kind, exponent)
            parts = self._segments(kind)
            self._write(kind, exponent, merged, parts)
            for path in parts:
                path.unlink()

    def _write(self, kind: str, exponent: bytes, rows: Rows, existing: list[Path]) -> Path:
        n = int(existing[-1].stem.split("-")[1]) + 1 if existing else 0
        target = self.directory / f"{kind}-{n:08d}.rows"
        body = b"".join(itertools.chain.from_iterable((c1, x, y) for c1, (x, y) in rows.items()))
        plain = MAGIC + bytes([KINDS[kind]]) + exponent + struct.pack("<I", len(rows)) + body
        sealed = self._box.encrypt(plain, nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE))
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(bytes(sealed))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        dfd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return target


@dataclass
class Exponents:
    """This trustee's exponents of the rows it computes ahead, and the store they go to."""

    store: RowStore
    fold: int
    fold_id: bytes
    dedup: tuple[int, int] | None
    dedup_id: bytes


def exponents(step: Step, tt: TallyTrustee, walk: turns.Walk) -> Exponents:
    if set(tt.tag_keys) != set(steps.STAGES):
        raise TrusteeBoardError(
            "this vault holds no tag keys for this election: run `plebiscite trustee precompute` first"
        )
    key = rows_key(tt.tag_keys, walk.ctx.fingerprint, tt.index)
    store = RowStore(step.view.mirror / DIRECTORY, key, step.say)
    fold = walk.lam(tt.index) * tt.mac_share % G.ORDER
    dedup = tt.tag_keys["dedup"] if walk.order[0] == tt.index else None
    return Exponents(
        store,
        fold,
        store.exponent_id("fold", (fold,)),
        dedup,
        store.exponent_id("dedup", dedup) if dedup is not None else b"",
    )


def load_rows(step: Step, tt: TallyTrustee, walk: turns.Walk, kind: str) -> None:
    """Before ``trustee tally``'s ``cr-fold-exp`` (``kind`` "fold") or first ``cr-dedup-pass`` ("dedup"): the rows
    kept by ``trustee ahead`` into ``tt`` (``ahead`` with its exponent, or ``dedup_ahead``), as the one-process
    conduct holds them; nothing when none were kept or the vault holds no tag keys."""
    if set(tt.tag_keys) != set(steps.STAGES) or not (step.view.mirror / DIRECTORY).is_dir():
        return
    x = exponents(step, tt, walk)
    if kind == "fold":
        tt.ahead, tt.ahead_exponent = x.store.load("fold", x.fold_id), x.fold
        found = len(tt.ahead)
    elif x.dedup is not None:
        tt.dedup_ahead = x.store.load("dedup", x.dedup_id)
        found = len(tt.dedup_ahead)
    else:
        return
    step.say(f"{kind} rows computed ahead: {found} (the others are computed now)")


def discard_rows(step: Step) -> None:
    """After this trustee's tally steps are all on the record: its rows are of no further use; removed."""
    directory = step.view.mirror / DIRECTORY
    if not directory.is_dir():
        return
    for path in [*directory.glob("*.rows"), *directory.glob(".*.tmp")]:
        path.unlink()
    with contextlib.suppress(OSError):
        directory.rmdir()
