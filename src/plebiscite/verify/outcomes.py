"""What the verifier keeps of every checked ballot: 72 bytes in three flat columns, and the failures apart.

A national referendum has tens of millions of ballots; kept as one Python object each (tracking code string,
credential, names of failed checks) they would cost 250 bytes and more a ballot, and the sets and dictionaries of
the counting rules as much again. So a checked ballot is a row of ``indices`` (its event index), ``codes`` (its
tracking code, the 32 raw bytes of the SHA-256) and ``credentials`` (its credential's 32 bytes), and the counting
rules (last ballot per credential, unique tracking codes) run on those columns with numpy. The rare failures are
kept by event index with their check's name and reason.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

ROW = 32
"""Bytes per tracking code and per credential."""
_VOID = np.dtype((np.void, ROW))


@dataclass
class Outcomes:
    indices: array = field(default_factory=lambda: array("q"))
    codes: bytearray = field(default_factory=bytearray)
    credentials: bytearray = field(default_factory=bytearray)
    failures: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Event index → (name of the failed check, reason)."""
    undecoded: set[int] = field(default_factory=set)
    """Event indices of ballots that could not even be decoded (no tracking code, no credential)."""

    def __len__(self) -> int:
        return len(self.indices)

    def add(
        self, index: int, code: str | None, credential: bytes | None, failed: str | None, reason: str
    ) -> None:
        self.indices.append(index)
        self.codes += bytes.fromhex(code) if code else bytes(ROW)
        self.credentials += credential if credential else bytes(ROW)
        if code is None:
            self.undecoded.add(index)
        if failed is not None:
            self.failures[index] = (failed, reason)

    def add_passed(self, indices: list[int], codes: list[bytes], credentials: list[bytes]) -> None:
        """Rows of ballots that passed, their tracking codes and credentials as raw 32-byte strings."""
        joined = b"".join(codes), b"".join(credentials)
        if not len(codes) == len(credentials) == len(indices) or any(
            len(j) != ROW * len(indices) for j in joined
        ):
            raise ValueError(
                "outcomes: a passed row needs an index, a 32-byte tracking code and a 32-byte credential"
            )
        self.indices.extend(indices)
        self.codes += joined[0]
        self.credentials += joined[1]

    def extend(self, other: Outcomes) -> None:
        self.indices.extend(other.indices)
        self.codes += other.codes
        self.credentials += other.credentials
        self.failures.update(other.failures)
        self.undecoded |= other.undecoded

    def in_record_order(self) -> Outcomes:
        """The same rows sorted by event index (chunks may come back in any order)."""
        idx = self.index_array()
        if len(idx) < 2 or bool(np.all(idx[1:] > idx[:-1])):
            return self
        order = np.argsort(idx, kind="stable")
        return Outcomes(
            array("q", idx[order].tolist()),
            bytearray(self.code_array()[order].tobytes()),
            bytearray(self.credential_array()[order].tobytes()),
            self.failures,
            self.undecoded,
        )

    def index_array(self) -> np.ndarray:
        return (
            np.frombuffer(self.indices, dtype=np.int64) if len(self.indices) else np.zeros(0, dtype=np.int64)
        )

    def code_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.codes), dtype=_VOID)

    def credential_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.credentials), dtype=_VOID)

    def code(self, row: int) -> str:
        return bytes(self.codes[row * ROW : (row + 1) * ROW]).hex()

    def passed(self) -> np.ndarray:
        """Mask of the rows whose ballot passed every per-ballot check."""
        failed = np.fromiter(self.failures, dtype=np.int64, count=len(self.failures))
        return ~np.isin(self.index_array(), failed)

    def rows_with_codes(self, codes: set[str]) -> np.ndarray:
        """Mask of the rows whose tracking code is one of ``codes`` (hex; a handful: the challenged ballots)."""
        if not codes:
            return np.zeros(len(self), dtype=bool)
        wanted = np.frombuffer(b"".join(bytes.fromhex(c) for c in sorted(codes)), dtype=_VOID)
        return np.isin(self.code_array(), wanted)
