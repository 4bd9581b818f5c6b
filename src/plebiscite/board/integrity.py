"""Full audit of a stored board: recompute the whole tree from the leaves and compare with everything stored.

Stored leaf hashes, interior nodes and signed heads are *derived* data; the leaves are the record.  So the
audit trusts nothing but the leaf bytes and the board's public key:

1. entries must have indexes 0..n-1 without gaps; each stored ``leaf_hash`` must equal SHA-256(0x00||leaf);
2. the tree is rebuilt from the recomputed leaf hashes; every interior node that should exist must be stored
   with the recomputed value, and no node may exist beyond the log;
3. every stored head must carry a valid signature by the board's key, have a non-decreasing timestamp, not
   exceed the log, and its root must equal the recomputed root at its size.

An entry edited in place changes its leaf hash (1), or — if the editor also rewrote the hash and nodes — the
recomputed roots under every later head (3).  A deleted entry leaves a gap (1) or, at the tail, a head
beyond the log (3).  Tampering with entries that no head covers yet and no node references is, by nature,
indistinguishable from those entries never having been appended; publishing heads often bounds that window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import nacl.signing
from sqlalchemy import func, select

from plebiscite.board.db import Database, entries, meta, nodes, tree_heads
from plebiscite.board.records import IntegrityProblem
from plebiscite.merkle import (
    EMPTY_ROOT,
    CompactRange,
    SignedTreeHead,
    TreeHeadError,
    leaf_hash,
    log_id_for,
    verify_tree_head,
)

__all__ = ["check_integrity"]

_CHUNK = 4096
_MAX_LEVEL = 64


def check_integrity(db: Database, public_key: nacl.signing.VerifyKey | None) -> list[IntegrityProblem]:
    """Audit the board in ``db``; returns the problems found (empty list: consistent)."""
    problems: list[IntegrityProblem] = []
    with db.read() as conn:
        stored_meta = {str(k): str(v) for k, v in conn.execute(select(meta.c.key, meta.c.value))}
        heads = conn.execute(
            select(
                tree_heads.c.tree_size, tree_heads.c.root_hash, tree_heads.c.timestamp, tree_heads.c.signature
            ).order_by(tree_heads.c.tree_size)
        ).all()
    if public_key is not None and stored_meta.get("log_id") != log_id_for(public_key):
        problems.append(
            IntegrityProblem("meta_mismatch", f"stored log_id {stored_meta.get('log_id')!r} is not the key's")
        )
    head_roots: dict[int, bytes] = {int(size): bytes(root) for size, root, _, _ in heads}
    recomputed: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in head_roots else {}
    compact = CompactRange()
    intact = True  # False after a gap: positions beyond it cannot be recomputed
    expected_index = 0
    last = -1
    while True:
        with db.read() as conn:
            rows = conn.execute(
                select(entries.c.idx, entries.c.leaf, entries.c.leaf_hash)
                .where(entries.c.idx > last)
                .order_by(entries.c.idx)
                .limit(_CHUNK)
            ).all()
        if not rows:
            break
        expected_nodes: dict[int, dict[int, bytes]] = defaultdict(dict)
        for idx, leaf, stored_hash in rows:
            idx = int(idx)
            last = idx
            if idx != expected_index:
                problems.append(
                    IntegrityProblem(
                        "missing_entry", f"entries {expected_index}..{idx - 1} are missing", expected_index
                    )
                )
                intact = False
            expected_index = idx + 1
            computed = leaf_hash(bytes(leaf))
            if bytes(stored_hash) != computed:
                problems.append(
                    IntegrityProblem("leaf_hash_mismatch", "stored leaf_hash is not SHA-256(0x00||leaf)", idx)
                )
            if intact:
                for (level, node_index), value in compact.append(computed):
                    expected_nodes[level][node_index] = value
                if compact.size in head_roots:
                    recomputed[compact.size] = compact.root()
        problems.extend(_compare_nodes(db, expected_nodes))
    size = expected_index
    problems.extend(_check_extra_nodes(db, compact.size if intact else 0, size, intact))
    problems.extend(_check_heads(heads, recomputed, size, public_key))
    return problems


def _compare_nodes(db: Database, expected: dict[int, dict[int, bytes]]) -> list[IntegrityProblem]:
    problems: list[IntegrityProblem] = []
    with db.read() as conn:
        for level, wanted in sorted(expected.items()):
            low, high = min(wanted), max(wanted)
            rows = conn.execute(
                select(nodes.c.idx, nodes.c.hash).where(
                    nodes.c.level == level, nodes.c.idx >= low, nodes.c.idx <= high
                )
            ).all()
            stored = {int(i): bytes(h) for i, h in rows}
            for node_index, value in sorted(wanted.items()):
                first_leaf = node_index << level
                if node_index not in stored:
                    problems.append(
                        IntegrityProblem(
                            "missing_node", f"node ({level}, {node_index}) is not stored", first_leaf
                        )
                    )
                elif stored[node_index] != value:
                    problems.append(
                        IntegrityProblem(
                            "node_mismatch",
                            f"node ({level}, {node_index}) does not match the leaves it covers",
                            first_leaf,
                        )
                    )
    return problems


def _check_extra_nodes(db: Database, verified_size: int, size: int, intact: bool) -> list[IntegrityProblem]:
    """Nodes that cover leaves past the end of the log (or past a gap) betray deleted entries."""
    problems: list[IntegrityProblem] = []
    with db.read() as conn:
        total = conn.execute(select(func.count()).select_from(nodes)).scalar() or 0
        expected = sum(verified_size >> level for level in range(1, _MAX_LEVEL))
        if intact and total == expected:
            return problems
        limit = size if intact else verified_size
        for level in range(1, _MAX_LEVEL):
            rows = conn.execute(
                select(nodes.c.idx).where(nodes.c.level == level, nodes.c.idx >= (limit >> level)).limit(10)
            ).all()
            for (node_index,) in rows:
                end = (int(node_index) + 1) << level
                if end > size:
                    problems.append(
                        IntegrityProblem(
                            "unexpected_node",
                            f"node ({level}, {node_index}) covers leaves up to {end - 1}; the log has {size}",
                            int(node_index) << level,
                        )
                    )
        odd = conn.execute(select(func.count()).select_from(nodes).where(nodes.c.level < 1)).scalar()
        if odd:
            problems.append(IntegrityProblem("unexpected_node", f"{odd} nodes have level < 1"))
    return problems


def _check_heads(
    heads: Sequence[Sequence[Any]],
    recomputed: dict[int, bytes],
    size: int,
    public_key: nacl.signing.VerifyKey | None,
) -> list[IntegrityProblem]:
    problems: list[IntegrityProblem] = []
    if heads and public_key is None:
        problems.append(
            IntegrityProblem("head_unverifiable", "heads are stored but no public key is recorded")
        )
    previous_timestamp = 0
    for row in heads:
        tree_size, root, timestamp = int(row[0]), bytes(row[1]), int(row[2])
        signature = bytes(row[3])
        if timestamp < previous_timestamp:
            problems.append(
                IntegrityProblem(
                    "head_timestamp_regression", f"head {tree_size} is older than a smaller head", tree_size
                )
            )
        previous_timestamp = max(previous_timestamp, timestamp)
        if public_key is not None:
            try:
                sth = SignedTreeHead(
                    log_id=log_id_for(public_key),
                    tree_size=tree_size,
                    root_hash=root.hex(),
                    timestamp=timestamp,
                    signature=signature.hex(),
                )
                verify_tree_head(sth, public_key)
            except (TreeHeadError, ValueError) as exc:
                problems.append(IntegrityProblem("head_bad_signature", f"head {tree_size}: {exc}", tree_size))
        if tree_size > size:
            problems.append(
                IntegrityProblem(
                    "head_beyond_log",
                    f"head {tree_size} covers more than the {size} stored entries",
                    tree_size,
                )
            )
        elif tree_size not in recomputed:
            problems.append(
                IntegrityProblem(
                    "head_unverifiable", f"head {tree_size} lies beyond a gap in the entries", tree_size
                )
            )
        elif recomputed[tree_size] != root:
            problems.append(
                IntegrityProblem(
                    "head_root_mismatch", f"head {tree_size} root differs from the recomputed root", tree_size
                )
            )
    return problems
