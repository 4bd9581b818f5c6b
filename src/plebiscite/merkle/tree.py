"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proof generation and verification.

Everything here is pure: no database, network or clock.  Hashes are raw 32-byte ``bytes``.

Vocabulary used throughout:

* A *node id* ``(level, index)`` names the perfect subtree over leaves
  ``[index * 2**level, (index + 1) * 2**level)``; level 0 is a leaf hash.
* A *range* ``(start, end)`` is a subtree of the RFC 9162 tree of some size ``n``: every such subtree is
  either perfect and aligned, or it ends at ``n`` ("right edge").  Its MTH is the right-to-left fold of the
  perfect subtrees given by the binary decomposition of ``end - start`` (largest first), see
  :func:`range_node_ids`.

Proof *generation* is written against a :class:`NodeSource` (anything that can return the hashes of perfect
subtrees), so an in-memory tree and a database answer proofs with the same O(log n) lookups.

Proof *verification* follows RFC 9162 §2.1.3.2 and §2.1.4.2 literally.  Style: every verification function
returns ``None`` on success and raises :class:`MerkleProofError` (with the reason) on any failure, malformed
input included — there is no boolean variant to forget to check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleError",
    "MerkleProofError",
    "MerkleRangeError",
    "NodeId",
    "NodeSource",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "largest_power_of_two_below",
    "leaf_hash",
    "node_hash",
    "range_hashes",
    "range_node_ids",
    "root_at",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeId = tuple[int, int]


class MerkleError(ValueError):
    """Base class of every error raised by the Merkle code."""


class MerkleRangeError(MerkleError):
    """A size or index asked of a generator is impossible (e.g. index >= size, first > second)."""


class MerkleProofError(MerkleError):
    """A proof failed verification or is malformed; the message says which check failed."""


class NodeSource(Protocol):
    """Anything that can return perfect-subtree hashes in bulk (one round trip per proof for a database)."""

    def get_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """Return the hash of every requested node; raise if one does not exist."""
        ...


# --------------------------------------------------------------------------- hashing


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d); the 0x00 prefix keeps leaves and interior nodes in separate domains."""
    if not isinstance(leaf, bytes | bytearray | memoryview):
        raise TypeError(f"leaf must be bytes, not {type(leaf).__name__}")
    return hashlib.sha256(_LEAF_PREFIX + bytes(leaf)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) for two 32-byte child hashes."""
    _check_hash(left, "left")
    _check_hash(right, "right")
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _check_hash(value: object, what: str, error: type[MerkleError] = MerkleError) -> bytes:
    if not isinstance(value, bytes):
        raise error(f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise error(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    return value


def _check_count(value: object, what: str, error: type[MerkleError] = MerkleRangeError) -> int:
    # bool is an int subclass; a True "size" is always a bug upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise error(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise error(f"{what} must be >= 0, got {value}")
    return value


def largest_power_of_two_below(n: int) -> int:
    """The RFC 9162 split point k: the largest power of two strictly smaller than n (n >= 2)."""
    if n < 2:
        raise MerkleRangeError(f"the split point needs n >= 2, got {n}")
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes in O(n) time and O(log n) memory (a compact-range fold)."""
    stack: list[tuple[int, bytes]] = []  # (level, hash), levels strictly decreasing
    for position, h in enumerate(leaf_hashes):
        _check_hash(h, f"leaf hash #{position}")
        level = 0
        while stack and stack[-1][0] == level:
            h = node_hash(stack.pop()[1], h)
            level += 1
        stack.append((level, h))
    if not stack:
        return EMPTY_ROOT
    acc = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        acc = node_hash(h, acc)
    return acc


# --------------------------------------------------------------------------- structure


def range_node_ids(start: int, end: int) -> list[NodeId]:
    """Perfect subtrees, left to right, whose right-to-left fold is MTH(D[start:end]).

    Only valid for ranges that are subtrees of an RFC 9162 tree: ``start`` must be a multiple of the smallest
    power of two >= ``end - start`` (true of every range produced by :func:`inclusion_ranges` and
    :func:`consistency_ranges`).  A perfect range gives a single id.
    """
    width = end - start
    if width <= 0:
        raise MerkleRangeError(f"empty or inverted range [{start}, {end})")
    if start % (1 << (width - 1).bit_length()):
        raise MerkleRangeError(f"range [{start}, {end}) is not a subtree of any RFC 9162 tree")
    ids: list[NodeId] = []
    position = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            ids.append((level, position >> level))
            position += 1 << level
    return ids


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf-side first."""
    _check_count(index, "index")
    _check_count(size, "size")
    if index >= size:
        raise MerkleRangeError(f"index {index} is outside a tree of size {size}")
    out: list[tuple[int, int]] = []
    a, b = 0, size
    while b - a > 1:
        k = largest_power_of_two_below(b - a)
        if index < a + k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a += k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PROOF(first, D[second]) (RFC 9162 §2.1.4.1), in proof order.

    ``first == 0`` and ``first == second`` give the empty proof: every tree extends the empty tree, and a tree
    trivially extends itself.
    """
    _check_count(first, "first")
    _check_count(second, "second")
    if first > second:
        raise MerkleRangeError(f"first size {first} is larger than second size {second}")
    if first in (0, second):
        return []
    out: list[tuple[int, int]] = []
    a, b, m, complete_left = 0, second, first, True
    while m != b - a:
        k = largest_power_of_two_below(b - a)
        if m <= k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a, m, complete_left = a + k, m - k, False
    if not complete_left:
        out.append((a, b))
    out.reverse()
    return out


# --------------------------------------------------------------------------- generation


def range_hashes(ranges: Sequence[tuple[int, int]], source: NodeSource) -> list[bytes]:
    """MTH of every range with a single bulk lookup of the perfect subtrees they decompose into."""
    decompositions = [range_node_ids(a, b) for a, b in ranges]
    wanted = list(dict.fromkeys(i for ids in decompositions for i in ids))
    found = source.get_nodes(wanted) if wanted else {}
    out: list[bytes] = []
    for ids in decompositions:
        try:
            hashes = [found[i] for i in ids]
        except KeyError as exc:
            raise MerkleError(f"node source did not return node {exc.args[0]}") from None
        acc = hashes[-1]
        for h in reversed(hashes[:-1]):
            acc = node_hash(h, acc)
        out.append(acc)
    return out


def root_at(size: int, source: NodeSource) -> bytes:
    """MTH(D[size]) from at most log2(size) + 1 perfect subtrees."""
    if _check_count(size, "size") == 0:
        return EMPTY_ROOT
    return range_hashes([(0, size)], source)[0]


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """PATH(index, D[size]): O(log size) node lookups, fetched in one call."""
    return range_hashes(inclusion_ranges(index, size), source)


def consistency_proof(first: int, second: int, source: NodeSource) -> list[bytes]:
    """PROOF(first, D[second]): O(log second) node lookups, fetched in one call."""
    return range_hashes(consistency_ranges(first, second), source)


# --------------------------------------------------------------------------- verification


def _check_proof(proof: object) -> list[bytes]:
    if isinstance(proof, bytes | str) or not isinstance(proof, Sequence):
        raise MerkleProofError(f"proof must be a sequence of hashes, not {type(proof).__name__}")
    return [_check_hash(p, f"proof element #{i}", MerkleProofError) for i, p in enumerate(proof)]


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` sits at ``index`` in the tree of ``size`` leaves whose MTH is ``root``.

    RFC 9162 §2.1.3.2, step by step; raises :class:`MerkleProofError` saying which check failed.
    """
    _check_hash(leaf_hash, "leaf hash", MerkleProofError)
    _check_hash(root, "root hash", MerkleProofError)
    _check_count(index, "index", MerkleProofError)
    _check_count(size, "tree size", MerkleProofError)
    path = _check_proof(proof)
    if index >= size:
        raise MerkleProofError(f"index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            raise MerkleProofError(f"proof is too long: {len(path)} hashes for index {index} of size {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleProofError(f"proof is too short: {len(path)} hashes for index {index} of size {size}")
    if r != root:
        raise MerkleProofError(f"inclusion proof for index {index} of size {size} does not match the root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``second`` leaves extends the tree of ``first`` leaves (RFC 9162 §2.1.4.2).

    Degenerate cases, which the RFC leaves to the caller, are fixed here: ``first == second`` needs an empty
    proof and equal roots; ``first == 0`` needs an empty proof and ``first_root == EMPTY_ROOT``.
    """
    _check_count(first, "first size", MerkleProofError)
    _check_count(second, "second size", MerkleProofError)
    _check_hash(first_root, "first root", MerkleProofError)
    _check_hash(second_root, "second root", MerkleProofError)
    path = _check_proof(proof)
    if first > second:
        raise MerkleProofError(f"first size {first} is larger than second size {second}")
    if first == second or first == 0:
        if path:
            raise MerkleProofError(
                f"proof from size {first} to {second} must be empty, got {len(path)} hashes"
            )
        if first == 0 and first_root != EMPTY_ROOT:
            raise MerkleProofError("first root is not the empty-tree root although first size is 0")
        if first == second and first_root != second_root:
            raise MerkleProofError(f"two different roots for the same size {first}")
        return
    if not path:
        raise MerkleProofError(f"empty proof from size {first} to {second}")
    if first & (first - 1) == 0:  # an exact power of two: the old root itself is the first node
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MerkleProofError(f"proof is too long for sizes {first} -> {second}")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleProofError(f"proof is too short for sizes {first} -> {second}")
    if fr != first_root:
        raise MerkleProofError(f"consistency proof {first} -> {second} does not reproduce the first root")
    if sr != second_root:
        raise MerkleProofError(f"consistency proof {first} -> {second} does not reproduce the second root")
