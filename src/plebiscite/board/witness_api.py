"""The board's witness endpoints (docs/board.md §4, docs/api.md): cosignatures in, cosigned heads out.

* ``GET /api/board/checkpoint``: the head witnesses are asked to cosign. The board signs a head for every batch of
  ballots, so under load two witnesses polling a few milliseconds apart would each cosign a different head and no
  head would gather ``w`` cosignatures. The checkpoint is the latest head as of the last time it moved, and it
  moves at most once every ``period`` seconds: witnesses polling more often than that meet on the same head.
* ``POST /api/board/cosignatures`` ``{"tree_size": n, "cosignature": {...}}``: accepted only from a witness the
  manifest names (403), on a head this board signed (404), with a signature that verifies on that head (422);
  an election without witnesses refuses every cosignature (409); a malformed body is a 400.
* ``GET /api/board/witnessed``: the latest head carrying at least ``w`` cosignatures, with them (404 if none yet, or
  if the election names no witnesses).

``GET /api/board/head`` and ``/heads`` (service.py) add ``"cosignatures"`` to every head that has some, through
:func:`served_heads`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from plebiscite.board.election import BoardElection
from plebiscite.merkle.cosign import (
    Cosignature,
    CosignatureError,
    WitnessPolicy,
    cosignature_dicts,
    verify_cosignature,
)
from plebiscite.merkle.heads import SignedTreeHead

__all__ = ["Checkpoint", "policy_of", "served_heads", "witness_router"]


def policy_of(election: BoardElection) -> WitnessPolicy | None:
    """The election's witnesses as its manifest names them (None: no witnesses)."""
    manifest = election.state.manifest
    if manifest is None or manifest.witnesses is None:
        return None
    return WitnessPolicy(tuple(manifest.witnesses.keys), manifest.witnesses.threshold)


def served_heads(election: BoardElection, heads: list[SignedTreeHead]) -> list[dict[str, Any]]:
    """Heads as the API serves them: the five STH fields, plus ``cosignatures`` on those that have some."""
    if not heads or policy_of(election) is None:
        return [h.model_dump() for h in heads]
    found = election.board.cosignatures(sizes=[h.tree_size for h in heads])
    out = []
    for head in heads:
        data = head.model_dump()
        if head.tree_size in found:
            data["cosignatures"] = cosignature_dicts(found[head.tree_size])
        out.append(data)
    return out


class Checkpoint:
    """The head offered to witnesses: moves to the latest head at most once every ``period`` seconds."""

    def __init__(self, election: BoardElection, period: float, clock: Callable[[], float] = time.monotonic):
        self.election = election
        self.period = period
        self._clock = clock
        self._head: SignedTreeHead | None = None
        self._moved = 0.0
        self._lock = threading.Lock()

    def current(self) -> SignedTreeHead | None:
        """The checkpoint (signing a head over the latest entries when it moves); None on an empty board."""
        with self._lock:
            now = self._clock()
            if self._head is not None and now - self._moved < self.period:
                return self._head
            size = self.election.board.size()
            if size == 0:
                return None
            latest = self.election.heads.covering(size - 1)
            if self._head is None or latest.tree_size > self._head.tree_size:
                self._head = latest
                self._moved = now
            return self._head


def _parse(body: Any) -> tuple[int, Cosignature]:
    if not isinstance(body, dict) or set(body) != {"tree_size", "cosignature"}:
        raise HTTPException(400, "body: expected an object with keys tree_size and cosignature")
    size = body["tree_size"]
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size < 2**63:
        raise HTTPException(400, "tree_size: expected an integer in [0, 2**63)")
    try:
        return size, Cosignature.from_dict(body["cosignature"])
    except CosignatureError as exc:
        raise HTTPException(422, f"cosignature: {exc}") from None


def witness_router(
    election: BoardElection,
    json_body: Callable[[Request], Awaitable[Any]],
    run: Callable[..., Any],
    period: float = 1.0,
) -> APIRouter:
    """``run(operation, *args)`` turns storage errors into their HTTP refusals (503)."""
    router = APIRouter(prefix="/api/board", tags=["witnesses"])
    checkpoint = Checkpoint(election, period)

    def accept(size: int, cosignature: Cosignature) -> dict[str, Any]:
        policy = policy_of(election)
        if policy is None:
            raise HTTPException(409, "witnesses: this election's manifest names no witnesses")
        if cosignature.witness not in policy.keys:
            raise HTTPException(403, "cosignature.witness: not a witness named in the manifest")
        head = run(election.board.head_at, size)
        if head is None:
            raise HTTPException(404, f"tree_size: this board signed no head of size {size}")
        try:
            verify_cosignature(head, cosignature)
        except CosignatureError as exc:
            raise HTTPException(422, f"cosignature.signature: {exc}") from None
        stored = run(election.board.add_cosignature, size, cosignature)
        count = len(run(election.board.cosignatures, [size]).get(size, []))
        return {"tree_size": size, "witness": cosignature.witness, "stored": stored, "cosignatures": count}

    @router.post("/cosignatures", summary="A witness's cosignature on a head this board signed")
    async def post_cosignature(request: Request) -> dict[str, Any]:
        size, cosignature = _parse(await json_body(request))
        return await run_in_threadpool(accept, size, cosignature)

    @router.get("/checkpoint", summary="The head witnesses are asked to cosign (moves at most once a period)")
    def get_checkpoint() -> dict[str, Any]:
        head = run(checkpoint.current)
        if head is None:
            raise HTTPException(404, "board: empty")
        return served_heads(election, [head])[0]

    @router.get("/witnessed", summary="The latest head carrying the threshold of witnesses' cosignatures")
    def get_witnessed() -> dict[str, Any]:
        policy = policy_of(election)
        if policy is None:  # no witnessed head can exist: a 404 like "none yet", with the reason
            raise HTTPException(404, "witnesses: this election's manifest names no witnesses")
        size = run(election.board.latest_witnessed_size, policy.threshold)
        head = None if size is None else run(election.board.head_at, size)
        if head is None:
            raise HTTPException(404, f"witnessed: no head carries {policy.summary} cosignatures yet")
        return served_heads(election, [head])[0]

    return router
