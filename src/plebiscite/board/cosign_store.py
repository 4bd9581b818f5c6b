"""Witnesses' cosignatures in the board's database (table ``cosignatures``, docs/board.md §5).

One row per (head size, witness): a witness's later cosignature of a head it already cosigned is not stored again
(the first stays; both are statements about the same tree). Rows are append-only like the log itself (triggers in
``db.py``). What is stored was verified first by :mod:`plebiscite.board.witness_api`; readers verify it again.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select

from plebiscite.board.db import Database, cosignatures
from plebiscite.merkle.cosign import Cosignature

__all__ = ["add", "for_sizes", "latest_witnessed", "up_to"]

_COLUMNS = (
    cosignatures.c.tree_size,
    cosignatures.c.witness,
    cosignatures.c.cosigned_at,
    cosignatures.c.signature,
)


def add(db: Database, tree_size: int, cosignature: Cosignature) -> bool:
    """Store ``cosignature`` on the head of ``tree_size``; False if this witness's cosignature is there already."""

    def attempt() -> bool:
        with db.write("cosignatures") as conn:
            present = conn.execute(
                select(cosignatures.c.witness).where(
                    cosignatures.c.tree_size == tree_size, cosignatures.c.witness == cosignature.witness
                )
            ).first()
            if present is not None:
                return False
            conn.execute(
                insert(cosignatures).values(
                    tree_size=tree_size,
                    witness=cosignature.witness,
                    cosigned_at=cosignature.cosigned_at,
                    signature=bytes.fromhex(cosignature.signature),
                )
            )
            return True

    return db.retry(attempt, what="storing a cosignature")


def _rows_to_map(rows: Sequence[Sequence[object]]) -> dict[int, list[Cosignature]]:
    out: dict[int, list[Cosignature]] = {}
    for size, witness, cosigned_at, signature in rows:
        out.setdefault(int(size), []).append(  # type: ignore[call-overload]
            Cosignature(
                witness=str(witness),
                cosigned_at=int(cosigned_at),  # type: ignore[call-overload]
                signature=bytes(signature).hex(),  # type: ignore[call-overload]
            )
        )
    return out


def for_sizes(db: Database, sizes: Sequence[int]) -> dict[int, list[Cosignature]]:
    """The stored cosignatures of the heads of these sizes, by size, each list sorted by witness key."""
    if not sizes:
        return {}
    query = (
        select(*_COLUMNS)
        .where(cosignatures.c.tree_size.in_(sorted(set(sizes))))
        .order_by(cosignatures.c.tree_size, cosignatures.c.witness)
    )

    def attempt() -> dict[int, list[Cosignature]]:
        with db.read() as conn:
            return _rows_to_map(conn.execute(query).all())

    return db.retry(attempt, what="reading cosignatures")


def up_to(db: Database, max_size: int) -> dict[int, list[Cosignature]]:
    """Every stored cosignature on a head of size at most ``max_size`` (a record's export), by size."""
    query = (
        select(*_COLUMNS)
        .where(cosignatures.c.tree_size <= max_size)
        .order_by(cosignatures.c.tree_size, cosignatures.c.witness)
    )

    def attempt() -> dict[int, list[Cosignature]]:
        with db.read() as conn:
            return _rows_to_map(conn.execute(query).all())

    return db.retry(attempt, what="reading cosignatures")


def latest_witnessed(db: Database, threshold: int) -> int | None:
    """The largest head size with at least ``threshold`` stored cosignatures (by distinct witnesses), or None."""
    query = (
        select(cosignatures.c.tree_size)
        .group_by(cosignatures.c.tree_size)
        .having(func.count() >= threshold)
        .order_by(cosignatures.c.tree_size.desc())
        .limit(1)
    )

    def attempt() -> int | None:
        with db.read() as conn:
            row = conn.execute(query).first()
            return None if row is None else int(row[0])

    return db.retry(attempt, what="finding the latest witnessed head")
