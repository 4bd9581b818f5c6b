"""The board's trustee endpoints: ``POST /api/trustee/{step}`` and ``GET /api/trustee/state``.

Authentication, replay and ordering rules are in :mod:`plebiscite.board.trustee_steps`; this module only carries
them over HTTP. Steps run under the election's exclusive lock, in a worker thread, like every phase change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from plebiscite.board import trustee_steps
from plebiscite.board.election import BoardElection


def trustee_router(
    election: BoardElection,
    json_body: Callable[[Request], Awaitable[Any]],
    run: Callable[..., Any],
) -> APIRouter:
    """``run(operation, *args)`` turns the operation's expected exceptions into their HTTP refusals."""
    router = APIRouter(prefix="/api/trustee", tags=["trustees"])

    def accept(step: str, body: Any) -> int:
        def check_and_append(conduct: Any) -> int:
            return trustee_steps.accept(conduct, step, body, election.events, election.cr_work)

        return int(run(election.admin, check_and_append))

    @router.get("/state", summary="The key ceremony's round and who has done which trustee step")
    def get_state() -> dict[str, Any]:
        return trustee_steps.ceremony_state(election.state)

    @router.post(
        "/{step}",
        summary="A trustee's signed post: trustee (announce), shares, complaint, share-reveal, partial-decryption",
    )
    async def post_step(step: str, request: Request) -> dict[str, Any]:
        if step not in trustee_steps.KNOWN:
            known = ", ".join(sorted(trustee_steps.KNOWN))
            raise HTTPException(404, f"step: unknown trustee step {step!r} (known: {known})")
        body = await json_body(request)
        index = await run_in_threadpool(accept, step, body)
        return {"step": step, "trustee": index, "accepted": True, "size": election.board.size()}

    return router


__all__ = ["trustee_router"]
