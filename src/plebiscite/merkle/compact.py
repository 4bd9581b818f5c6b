"""Incremental Merkle structures: a compact range (frontier) and an in-memory tree.

A log of ``n`` leaves is covered by at most ``log2(n) + 1`` perfect subtrees, one per set bit of ``n`` — the
*frontier* or compact range ``[0, n)``.  Keeping only those hashes lets an appender compute the new root in
O(log n) per leaf and tells it exactly which interior nodes became complete, so a store can persist each
interior node once, the moment it exists, and answer any proof later with O(log n) lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from plebiscite.merkle.tree import (
    EMPTY_ROOT,
    MerkleError,
    MerkleRangeError,
    NodeId,
    _check_count,
    _check_hash,
    consistency_proof,
    inclusion_proof,
    node_hash,
    root_at,
)

__all__ = ["CompactRange", "MerkleTree", "frontier_ids"]


def frontier_ids(size: int) -> list[NodeId]:
    """Node ids of the perfect subtrees covering ``[0, size)``, left (largest) to right (smallest)."""
    _check_count(size, "size")
    ids: list[NodeId] = []
    position = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            ids.append((level, position >> level))
            position += 1 << level
    return ids


class CompactRange:
    """The frontier of a log of ``size`` leaves: append in O(log n) amortised O(1), root in O(log n)."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """Rebuild a frontier from stored nodes; ``hashes`` follow :func:`frontier_ids` order."""
        _check_count(size, "size")
        if len(hashes) != size.bit_count():
            raise MerkleError(f"a frontier of size {size} has {size.bit_count()} hashes, got {len(hashes)}")
        self._size = size
        self._hashes = [_check_hash(h, f"frontier hash #{i}") for i, h in enumerate(hashes)]

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Frontier hashes in :func:`frontier_ids` order."""
        return tuple(self._hashes)

    def copy(self) -> CompactRange:
        """An independent copy (appends to it leave this one untouched — used to stage a transaction)."""
        clone = CompactRange.__new__(CompactRange)
        clone._size = self._size
        clone._hashes = list(self._hashes)
        return clone

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf hash; return every interior node (level >= 1) it completed, lowest level first."""
        h = _check_hash(leaf_hash, "leaf hash")
        index = self._size
        completed: list[tuple[NodeId, bytes]] = []
        level = 0
        while index >> level & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            completed.append(((level, index >> level), h))
        self._hashes.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """MTH of the covered leaves: fold the frontier right to left."""
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            acc = node_hash(h, acc)
        return acc


class MerkleTree:
    """An in-memory append-only tree storing every perfect subtree (about 2n hashes for n leaves).

    Meant for verifiers, mirrors and tests that hold a whole log: appends are amortised O(1), roots at any
    past size and proofs cost O(log n).  It is also a :class:`~plebiscite.merkle.tree.NodeSource`.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Start empty, or with the given leaf hashes appended in order."""
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> int:
        """Append a leaf hash and return its index."""
        h = _check_hash(leaf_hash, "leaf hash")
        index = len(self._levels[0])
        self._levels[0].append(h)
        level = 0
        while index & 1:  # this leaf completed the node one level up
            index >>= 1
            below = self._levels[level]
            h = node_hash(below[-2], below[-1])
            level += 1
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(h)
        return len(self._levels[0]) - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes in order."""
        for h in leaf_hashes:
            self.append(h)

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        if not 0 <= index < self.size:
            raise MerkleRangeError(f"index {index} is outside a tree of size {self.size}")
        return self._levels[0][index]

    def get_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """Perfect subtree hashes by id (the NodeSource protocol)."""
        out: dict[NodeId, bytes] = {}
        for level, index in ids:
            if level >= len(self._levels) or not 0 <= index < len(self._levels[level]):
                raise MerkleRangeError(f"node {(level, index)} does not exist in a tree of size {self.size}")
            out[(level, index)] = self._levels[level][index]
        return out

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if _check_count(size, "size") > self.size:
            raise MerkleRangeError(f"size {size} is larger than the tree ({self.size} leaves)")
        return size

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all)."""
        return root_at(self._check_size(size), self)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) (default size: all leaves)."""
        return inclusion_proof(index, self._check_size(size), self)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[second]) (default second: all leaves)."""
        return consistency_proof(first, self._check_size(second), self)
