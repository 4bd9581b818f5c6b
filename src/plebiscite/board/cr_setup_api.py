"""Administrator endpoints for a coercion-resistant election's setup: the registrar's MAC key and the encrypted roll.

Both are checked by ``coercion/setup_posts.py`` with the verifier's functions before anything is appended. The
registrar's posts travel with the administrator's token (the registrar works for the organiser); the MAC-key payload
is moreover signed by the registrar's own key, which every verifier checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from plebiscite.board import cr_tally
from plebiscite.board.election import BoardElection
from plebiscite.coercion import setup_posts


def cr_setup_router(
    election: BoardElection,
    json_body: Callable[[Request], Awaitable[Any]],
    run: Callable[..., Any],
    admin: Callable[..., None],
) -> APIRouter:
    router = APIRouter(prefix="/api/admin", dependencies=[Depends(admin)], tags=["coercion-resistant setup"])

    @router.post("/cr-mac-key", summary="The registrar's signed MAC-key dealing (after the key ceremony)")
    async def post_mac_key(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        await run_in_threadpool(
            run, election.admin, lambda c: setup_posts.post_mac_key(c, election.events(), body)
        )
        return {"phase": election.state.phase, "accepted": "cr-mac-key"}

    @router.post(
        "/cr-roll", summary="The encrypted roll: voter keys and Enc(V), as the registrar issued them"
    )
    async def post_roll(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if not isinstance(body, dict) or set(body) != {"entries"}:
            raise HTTPException(400, 'body: expected {"entries": [{"voter_key", "credential"}…]}')
        count = await run_in_threadpool(
            run, election.admin, lambda c: setup_posts.post_roll(c, election.events(), body["entries"])
        )
        return {"phase": election.state.phase, "entries": count}

    @router.post(
        "/precompute", summary="Start the roll precomputation: name the tally set (while voting runs)"
    )
    async def post_precompute(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if not isinstance(body, dict) or set(body) != {"trustees"}:
            raise HTTPException(400, 'body: expected {"trustees": [index…]}')
        start = await run_in_threadpool(
            run,
            election.admin,
            lambda c: cr_tally.start_precompute(c, election.events(), body["trustees"], election.cr_work),
        )
        return {"phase": election.state.phase, "precompute": start}

    return router
