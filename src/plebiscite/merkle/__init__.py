"""Pure RFC 9162 Merkle log primitives and Ed25519-signed tree heads (no I/O).

``tree`` holds hashing, proof generation (against any :class:`NodeSource`) and verification; ``compact`` the
incremental structures (frontier and in-memory tree); ``heads`` signed tree heads and fork evidence.
"""

from plebiscite.merkle.compact import CompactRange, MerkleTree, frontier_ids
from plebiscite.merkle.heads import (
    STH_TAG,
    ForkDetected,
    ForkEvidence,
    SignedTreeHead,
    TreeHeadError,
    log_id_for,
    sign_tree_head,
    tree_head_signing_bytes,
    verify_heads_consistent,
    verify_tree_head,
)
from plebiscite.merkle.tree import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleError,
    MerkleProofError,
    MerkleRangeError,
    NodeId,
    NodeSource,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    range_node_ids,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "STH_TAG",
    "CompactRange",
    "ForkDetected",
    "ForkEvidence",
    "MerkleError",
    "MerkleProofError",
    "MerkleRangeError",
    "MerkleTree",
    "NodeId",
    "NodeSource",
    "SignedTreeHead",
    "TreeHeadError",
    "consistency_proof",
    "consistency_ranges",
    "frontier_ids",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "log_id_for",
    "node_hash",
    "range_node_ids",
    "root_at",
    "root_of",
    "sign_tree_head",
    "tree_head_signing_bytes",
    "verify_consistency",
    "verify_heads_consistent",
    "verify_inclusion",
    "verify_tree_head",
]
