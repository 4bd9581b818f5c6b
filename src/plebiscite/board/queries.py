"""SQL building blocks of the board, each run inside a transaction the caller opened (and locked).

Kept apart from :mod:`plebiscite.board.storage` so the transaction and locking policy (there) and the
statements (here) can each be read on their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import nacl.signing
from sqlalchemy import Connection, bindparam, func, insert, select, tuple_

from plebiscite.board.db import SCHEMA_VERSION, cosignatures, entries, meta, nodes, tree_heads
from plebiscite.board.errors import BoardCorruptError, KeyMismatchError
from plebiscite.board.records import AppendResult, Entry, NewEntry
from plebiscite.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleProofError,
    NodeId,
    SignedTreeHead,
    consistency_ranges,
    log_id_for,
    sign_tree_head,
    verify_consistency,
)
from plebiscite.merkle.cosign import Cosignature
from plebiscite.merkle.tree import range_hashes

IN_CHUNK = 500  # stay far below SQLite's bound-parameter limit
SQLITE_PAIRS = 400  # two parameters each: below the 999 of old SQLite builds

ENTRY_COLUMNS = (
    entries.c.idx,
    entries.c.kind,
    entries.c.leaf,
    entries.c.leaf_hash,
    entries.c.dedup_key,
    entries.c.created_at,
)
_LEAF_HASHES = select(entries.c.idx, entries.c.leaf_hash).where(
    entries.c.idx.in_(bindparam("indexes", expanding=True))
)
_NODE_HASHES_PAIRS = select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
    tuple_(nodes.c.level, nodes.c.idx).in_(bindparam("pairs", expanding=True))
)
HEAD_COLUMNS = (
    tree_heads.c.tree_size,
    tree_heads.c.root_hash,
    tree_heads.c.timestamp,
    tree_heads.c.signature,
)
# Statements of the append path, built once: building a Core construct per call cost more than running it.
_LOG_SIZE = select(func.max(entries.c.idx))
_BY_DEDUP_KEY = select(entries.c.dedup_key, entries.c.idx, entries.c.leaf_hash).where(
    entries.c.dedup_key.in_(bindparam("keys", expanding=True))
)
_LATEST_HEAD = select(*HEAD_COLUMNS).order_by(tree_heads.c.tree_size.desc()).limit(1)
_INSERT_ENTRIES = insert(entries)
_INSERT_NODES = insert(nodes)
_INSERT_HEAD = insert(tree_heads)


def now_ms() -> int:
    """Wall clock in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


class DbNodes:
    """NodeSource over one connection: leaf hashes from ``entries``, interior nodes from ``nodes``.

    A whole proof costs at most two queries (one per table) whatever the tree size.
    """

    def __init__(self, conn: Connection) -> None:
        """Read through ``conn`` (inside the caller's transaction)."""
        self._conn = conn

    def get_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """Hashes of the requested perfect subtrees; a missing one means the database was altered."""
        found: dict[NodeId, bytes] = {}
        leaves = [i for level, i in ids if level == 0]
        inner = sorted({(level, i) for level, i in ids if level > 0})
        for start in range(0, len(leaves), IN_CHUNK):
            rows = self._conn.execute(_LEAF_HASHES, {"indexes": leaves[start : start + IN_CHUNK]})
            found.update(((0, int(idx)), bytes(h)) for idx, h in rows)
        if inner:
            found.update(self._inner_nodes(inner))
        missing = [i for i in ids if i not in found]
        if missing:
            raise BoardCorruptError(f"stored tree nodes {missing[:5]} are missing; run check_integrity()")
        return found

    def _inner_nodes(self, wanted: list[NodeId]) -> dict[NodeId, bytes]:
        # Plans must hit the (level, idx) primary key whatever the table statistics say. SQLite scans the table
        # for a row-value IN but turns an OR of (level = ? AND idx = ?) terms into one index probe per term
        # (a "MULTI-INDEX OR"): sent as driver SQL, since building the OR as a Core construct costs more than
        # running it. PostgreSQL turns a row-value IN into a BitmapOr of index probes; its expanding parameter
        # keeps SQLAlchemy's compiled cache warm.
        out: dict[NodeId, bytes] = {}
        sqlite = self._conn.dialect.name == "sqlite"
        chunk_size = SQLITE_PAIRS if sqlite else IN_CHUNK
        for start in range(0, len(wanted), chunk_size):
            chunk = wanted[start : start + chunk_size]
            if sqlite:
                where = " OR ".join(["(level = ? AND idx = ?)"] * len(chunk))
                params = tuple(x for pair in chunk for x in pair)
                sql = f"SELECT level, idx, hash FROM nodes WHERE {where}"  # noqa: S608 - placeholders only
                rows = self._conn.exec_driver_sql(sql, params)
            else:
                rows = self._conn.execute(_NODE_HASHES_PAIRS, {"pairs": chunk})
            for level, idx, h in rows:
                out[(int(level), int(idx))] = bytes(h)
        return out


def log_size(conn: Connection) -> int:
    """Number of entries: max(idx) + 1 (indexes are dense from 0)."""
    top = conn.execute(_LOG_SIZE).scalar()
    return 0 if top is None else int(top) + 1


def entry_from_row(row: Sequence[object]) -> Entry:
    """Build an :class:`Entry` from a row of :data:`ENTRY_COLUMNS`."""
    idx, kind, leaf, lh, dedup_key, created_at = row
    return Entry(
        index=int(idx),  # type: ignore[call-overload]
        kind=str(kind),
        leaf=bytes(leaf),  # type: ignore[call-overload]
        leaf_hash=bytes(lh),  # type: ignore[call-overload]
        dedup_key=None if dedup_key is None else str(dedup_key),
        created_at=int(created_at),  # type: ignore[call-overload]
    )


def head_from_row(row: Sequence[object], log_id: str) -> SignedTreeHead:
    """Build a :class:`SignedTreeHead` from a row of :data:`HEAD_COLUMNS`."""
    size, root, timestamp, signature = row
    return SignedTreeHead(
        log_id=log_id,
        tree_size=int(size),  # type: ignore[call-overload]
        root_hash=bytes(root).hex(),  # type: ignore[call-overload]
        timestamp=int(timestamp),  # type: ignore[call-overload]
        signature=bytes(signature).hex(),  # type: ignore[call-overload]
    )


def bind_key(conn: Connection, signing_key: nacl.signing.SigningKey | None) -> nacl.signing.VerifyKey | None:
    """Record schema version and (first) public key in ``meta``; refuse a key other than the recorded one."""
    stored = {str(k): str(v) for k, v in conn.execute(select(meta.c.key, meta.c.value))}
    if stored.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise BoardCorruptError(f"board schema version {stored['schema_version']} is not supported")
    fresh = {"schema_version": SCHEMA_VERSION, "hash": "sha256/rfc9162"}
    if signing_key is not None:
        public_hex = bytes(signing_key.verify_key).hex()
        if stored.get("public_key", public_hex) != public_hex:
            raise KeyMismatchError(
                f"this board signs as log {stored.get('log_id')}; the key given is log "
                f"{log_id_for(signing_key.verify_key)}"
            )
        fresh |= {"public_key": public_hex, "log_id": log_id_for(signing_key.verify_key)}
    new_rows = [{"key": k, "value": v} for k, v in fresh.items() if k not in stored]
    if new_rows:
        conn.execute(insert(meta), new_rows)
    stored |= fresh
    return nacl.signing.VerifyKey(bytes.fromhex(stored["public_key"])) if "public_key" in stored else None


def stage_append(
    conn: Connection,
    frontier: CompactRange,
    batch: Sequence[NewEntry],
    hashes: Sequence[bytes],
    created_at: int,
) -> tuple[list[AppendResult], CompactRange]:
    """Insert ``batch`` after the ``frontier.size`` existing entries (caller holds the write lock).

    Returns one result per item and the advanced frontier (a copy: the caller adopts it after commit).
    """
    known: dict[str, AppendResult] = {}
    keys = list(dict.fromkeys(item.dedup_key for item in batch if item.dedup_key is not None))
    for start in range(0, len(keys), IN_CHUNK):
        for key, idx, lh in conn.execute(_BY_DEDUP_KEY, {"keys": keys[start : start + IN_CHUNK]}):
            known[str(key)] = AppendResult(int(idx), bytes(lh), True)
    staged = frontier.copy()
    entry_rows: list[dict[str, object]] = []
    node_rows: list[dict[str, object]] = []
    results: list[AppendResult] = []
    for item, lh in zip(batch, hashes, strict=True):
        if item.dedup_key is not None and item.dedup_key in known:
            results.append(known[item.dedup_key])
            continue
        index = staged.size
        for (level, node_index), value in staged.append(lh):
            node_rows.append({"level": level, "idx": node_index, "hash": value})
        entry_rows.append(
            {
                "idx": index,
                "kind": item.kind,
                "leaf": item.leaf,
                "leaf_hash": lh,
                "dedup_key": item.dedup_key,
                "created_at": created_at,
            }
        )
        results.append(AppendResult(index, lh, False))
        if item.dedup_key is not None:
            known[item.dedup_key] = AppendResult(index, lh, True)
    if entry_rows:
        conn.execute(_INSERT_ENTRIES, entry_rows)
    if node_rows:
        conn.execute(_INSERT_NODES, node_rows)
    return results, staged


def sign_next_head(
    conn: Connection, signing_key: nacl.signing.SigningKey, clock: Callable[[], int], size: int | None = None
) -> SignedTreeHead:
    """Sign and store a head for the current size (caller holds the tree_heads lock); see Board.sign_head.

    ``size``: the log's size if the caller knows it (it appended in this transaction), saving a query.
    """
    log_id = log_id_for(signing_key.verify_key)
    size = log_size(conn) if size is None else size
    last = conn.execute(_LATEST_HEAD).first()
    latest = None if last is None else head_from_row(last, log_id)
    if latest is not None and latest.tree_size == size:
        return latest
    if latest is not None and latest.tree_size > size:
        raise BoardCorruptError(f"the latest head has size {latest.tree_size} but the log has {size} entries")
    source = DbNodes(conn)
    # The new root and the consistency proof from the latest head, with one bulk lookup of stored nodes.
    ranges = [(0, size), *(consistency_ranges(latest.tree_size, size) if latest is not None else [])]
    root, *proof = range_hashes(ranges, source) if size > 0 else [EMPTY_ROOT]
    if latest is not None:
        try:
            verify_consistency(latest.tree_size, size, latest.root, root, proof)
        except MerkleProofError as exc:
            raise BoardCorruptError(
                f"refusing to sign a head inconsistent with the last one: {exc}"
            ) from None
    timestamp = max(clock(), latest.timestamp if latest is not None else 0)
    sth = sign_tree_head(signing_key, size, root, timestamp)
    row = {
        "tree_size": size,
        "root_hash": root,
        "timestamp": timestamp,
        "signature": bytes.fromhex(sth.signature),
    }
    conn.execute(_INSERT_HEAD, row)
    return sth


def insert_signed(
    conn: Connection, heads: Sequence[SignedTreeHead], cosigned: Sequence[tuple[int, Cosignature]]
) -> None:
    """Store heads and witnesses' cosignatures as they were signed (a restore, ``Board.restore``; checked by the
    caller): nothing is re-signed, so the restored board serves the very heads receipts and witnesses hold."""
    if heads:
        rows = [
            {
                "tree_size": h.tree_size,
                "root_hash": h.root,
                "timestamp": h.timestamp,
                "signature": bytes.fromhex(h.signature),
            }
            for h in heads
        ]
        conn.execute(_INSERT_HEAD, rows)
    if cosigned:
        conn.execute(
            insert(cosignatures),
            [
                {
                    "tree_size": size,
                    "witness": c.witness,
                    "cosigned_at": c.cosigned_at,
                    "signature": bytes.fromhex(c.signature),
                }
                for size, c in cosigned
            ],
        )
