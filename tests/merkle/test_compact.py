"""The frontier (compact range) and the in-memory tree agree with the reference at every size."""

from __future__ import annotations

import hashlib

import pytest

from plebiscite.merkle import CompactRange, MerkleError, MerkleTree, frontier_ids, leaf_hash, root_of

from .reference import ref_mth

DATA = [hashlib.sha256(b"compact/%d" % i).digest() for i in range(200)]
HASHES = [leaf_hash(d) for d in DATA]


def test_frontier_root_and_completed_nodes_at_every_size() -> None:
    compact = CompactRange()
    tree = MerkleTree()
    for n, h in enumerate(HASHES):
        assert compact.root() == ref_mth(DATA[:n])
        completed = compact.append(h)
        tree.append(h)
        # exactly the nodes that became perfect, and their hashes are the tree's
        expected_levels = list(range(1, ((n + 1) & -(n + 1)).bit_length()))
        assert [level for (level, _), _ in completed] == expected_levels
        for node_id, value in completed:
            assert tree.get_nodes([node_id])[node_id] == value
        # the frontier can be rebuilt from stored nodes alone
        ids = frontier_ids(n + 1)
        assert CompactRange(n + 1, [tree.get_nodes(ids)[i] for i in ids]).hashes == compact.hashes
    assert compact.root() == tree.root() == root_of(HASHES) == ref_mth(DATA)


def test_copy_is_independent() -> None:
    original = CompactRange()
    for h in HASHES[:5]:
        original.append(h)
    staged = original.copy()
    staged.append(HASHES[5])
    assert original.size == 5 and staged.size == 6
    assert original.root() == root_of(HASHES[:5])


def test_a_frontier_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(MerkleError, match="has 2 hashes, got 1"):
        CompactRange(3, [HASHES[0]])
    with pytest.raises(MerkleError, match="must be 32 bytes"):
        CompactRange(1, [b"short"])


def test_frontier_ids_cover_the_range_left_to_right() -> None:
    assert frontier_ids(0) == []
    assert frontier_ids(1) == [(0, 0)]
    assert frontier_ids(13) == [(3, 0), (2, 2), (0, 12)]
    assert frontier_ids(1_000_000)[0] == (19, 0)


def test_in_memory_tree_rejects_missing_nodes() -> None:
    tree = MerkleTree(HASHES[:3])
    with pytest.raises(MerkleError, match="does not exist"):
        tree.get_nodes([(1, 1)])
    with pytest.raises(MerkleError, match="outside"):
        tree.leaf_hash(3)
