"""The voting service: the bulletin board over HTTP (FastAPI), with the booth's static files.

Public reads need nothing; voters need nothing but a valid ballot (its signature is the credential); the
administrator authenticates with a bearer token; trustees authenticate by signing their posts with the key they
announced in the key ceremony. Every refusal is a 4xx whose ``detail`` names the field and the reason; nothing is
written unless every check passed. Interactive spec: ``/docs``; machine-readable: ``/openapi.json``; prose:
docs/api.md.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.background import BackgroundTask

from plebiscite.ballot.challenge import describe
from plebiscite.board import cr_tally
from plebiscite.board.cr_setup_api import cr_setup_router
from plebiscite.board.election import BoardElection
from plebiscite.board.export import write_record_zip
from plebiscite.board.fastcast import BallotEndpoint
from plebiscite.board.refusals import MAX_BODY, TRUSTEE_MAX_BODY, Refusal, parse_json, refusal_for
from plebiscite.board.trustee_api import trustee_router
from plebiscite.board.witness_api import served_heads, witness_router
from plebiscite.booth import SECURITY_HEADERS as BOOTH_HEADERS
from plebiscite.booth import STATIC_DIR as BOOTH_DIR
from plebiscite.canonical import hex_bytes
from plebiscite.record import events as ev

MAX_INT = 2**63 - 1  # what SQL integers hold

# The booth's strict headers (no inline code, no third-party origin, Trusted Types) go on every response: harmless
# on JSON, and one policy is easier to audit than two. The Swagger/ReDoc pages are off because they load scripts
# from a CDN; the spec itself is at /openapi.json.
SECURITY_HEADERS = BOOTH_HEADERS


_HEADER_LIST = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers (Starlette's BaseHTTPMiddleware costs ~1 ms a request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in _HEADER_LIST if h[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error(status: int, detail: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail)


async def _body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refused with 413 past ``limit`` whether or not a Content-Length announced it."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise _error(413, f"body: larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _error(413, f"body: larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_body(request: Request, limit: int = MAX_BODY) -> Any:
    try:
        return parse_json(await _body(request, limit))
    except Refusal as exc:
        raise _error(exc.status, exc.detail) from None


async def _trustee_body(request: Request) -> Any:
    """A trustee's step: a coercion-resistant tally pass carries every row it transforms (about 0.4 kB a ballot for
    a yes/no shuffle), so its limit is ``TRUSTEE_MAX_BODY``, not a ballot's."""
    return await _json_body(request, TRUSTEE_MAX_BODY)


class BoardApp(FastAPI):
    """FastAPI, except that ``POST /api/ballots`` goes straight to :class:`BallotEndpoint` (see fastcast.py)."""

    ballots: BallotEndpoint | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.ballots is not None and self.ballots.handles(scope):
            await self.ballots(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(election: BoardElection, admin_token: str, checkpoint_period: float = 1.0) -> FastAPI:
    """The ASGI app for one election on one board; ``checkpoint_period``: seconds between two moves of the head
    offered to witnesses (board/witness_api.py)."""
    app = BoardApp(
        title="plebiscite board",
        version="1",
        description="Public bulletin board and voting service of a plebiscite referendum (docs/api.md).",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders)
    bearer = HTTPBearer(auto_error=False)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        return JSONResponse(status_code=400, content={"detail": f"{loc}: {first.get('msg')}"})

    def admin(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if creds is None or not secrets.compare_digest(creds.credentials.encode(), admin_token.encode()):
            raise _error(401, "authorization: a valid administrator bearer token is required")

    def run(operation: Any, *args: Any) -> Any:
        try:
            return operation(*args)
        except Exception as exc:
            refusal = refusal_for(exc)
            if refusal is None:
                raise
            raise _error(refusal.status, refusal.detail) from None

    # --- public ----------------------------------------------------------------------------------------------
    @app.get("/api/election", summary="Manifest, election parameters and phase")
    def get_election() -> dict[str, Any]:
        s = election.state
        elections = [e for e in election.events() if e.type == ev.ELECTION] if s.context else []
        return {
            "manifest": s.manifest_payload,
            "election": elections[0].payload if elections else None,
            "phase": s.phase,
        }

    @app.get("/api/roll", summary="The public roll (credential public keys)")
    def get_roll() -> dict[str, Any]:
        return {"credentials": sorted(k.hex() for k in election.state.roll)}

    @app.get("/api/board/head", summary="Latest signed tree head")
    def get_head() -> dict[str, Any]:
        size = election.board.size()
        if size == 0:
            raise _error(404, "board: empty")
        return served_heads(election, [run(election.heads.covering, size - 1)])[0]

    @app.get("/api/board/heads", summary="Signed tree heads from a size on")
    def get_heads(
        min_size: int = Query(0, ge=0, le=MAX_INT), limit: int = Query(1000, ge=1, le=1000)
    ) -> list[dict[str, Any]]:
        return served_heads(election, run(election.board.heads, min_size, limit))

    @app.get("/api/board/entries", summary="Board entries, paged")
    def get_entries(
        start: int = Query(0, ge=0, le=MAX_INT), limit: int = Query(100, ge=1, le=1000)
    ) -> list[dict[str, Any]]:
        return [
            {"index": e.index, "type": e.kind, "leaf": e.leaf.decode()}
            for e in run(election.board.entries, start, limit)
        ]

    @app.get("/api/board/inclusion", summary="Inclusion proof for a tracking code (or an index)")
    def get_inclusion(
        tracking_code: str | None = Query(None, pattern="^[0-9a-f]{64}$"),
        index: int | None = Query(None, ge=0, le=MAX_INT),
        size: int | None = Query(None, ge=1, le=MAX_INT),
    ) -> dict[str, Any]:
        if tracking_code is not None:
            entry = run(election.board.find, f"ballot:{tracking_code}")
            if entry is None:
                raise _error(404, "tracking_code: no ballot with this tracking code on the board")
            index = entry.index
        if index is None:
            raise _error(400, "tracking_code: give a tracking code or an index")
        if index >= run(election.board.size):
            raise _error(400, f"index: {index} is beyond the log")
        head = run(election.heads.covering, index) if size is None else run(election.board.head_at, size)
        if head is None:
            raise _error(404, f"size: no signed head of size {size}")
        if index >= head.tree_size:
            raise _error(400, f"index: {index} is not in a tree of size {head.tree_size}")
        proof = run(election.board.inclusion_proof, index, head.tree_size)
        leaf = run(election.board.entry, index).leaf
        return {
            "index": index,
            "tree_size": head.tree_size,
            "proof": [h.hex() for h in proof],
            "tree_head": head.model_dump(),
            "leaf": leaf.hex(),
        }

    @app.get("/api/board/consistency", summary="Consistency proof between two tree sizes")
    def get_consistency(
        first: int = Query(..., ge=0, le=MAX_INT), second: int = Query(..., ge=0, le=MAX_INT)
    ) -> dict[str, Any]:
        if first > second:
            raise _error(400, "first: must not exceed second")
        if second > run(election.board.size):
            raise _error(400, f"second: size {second} is beyond the log")
        proof = run(election.board.consistency_proof, first, second)
        return {"first": first, "second": second, "proof": [h.hex() for h in proof]}

    @app.get("/api/board/key", summary="The board's Ed25519 public key")
    def get_key() -> dict[str, str]:
        return {"public_key": election.board_key}

    @app.get("/api/result", summary="The published result")
    def get_result() -> dict[str, Any]:
        if election.state.result is None:
            raise _error(404, "result: not published yet")
        return election.state.result

    @app.get("/api/record.zip", summary="The whole record (events, signed heads, board key)")
    def get_record() -> FileResponse:
        path = write_record_zip(election)  # written a page at a time to a temporary file, sent, then deleted
        return FileResponse(
            path,
            media_type="application/zip",
            filename="record.zip",
            background=BackgroundTask(path.unlink, missing_ok=True),
        )

    # --- voters -----------------------------------------------------------------------------------------------
    @app.post("/api/ballots", summary="Cast a ballot; returns the receipt", response_model=None)
    async def post_ballot(request: Request) -> Response:
        # Documents the endpoint; requests are served by BallotEndpoint (below), which does the same.
        try:
            receipt = await election.cast_body(await _body(request))
        except Exception as exc:
            refusal = refusal_for(exc)
            if refusal is None:
                raise
            raise _error(refusal.status, refusal.detail) from None
        return Response(receipt, media_type="application/json")

    app.ballots = BallotEndpoint(election.cast_body, SECURITY_HEADERS.items())

    @app.post("/api/challenges", summary="Challenge (open) a ballot instead of casting it")
    async def post_challenge(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) != {"ballot", "opening"}:
            raise _error(400, "body: expected an object with keys ballot and opening")
        code, plain = await run_in_threadpool(run, election.challenge, body["ballot"], body["opening"])
        return {"tracking_code": code, "choices": describe(election.conduct.context, plain)}

    # --- administrator --------------------------------------------------------------------------------------
    @app.post("/api/admin/roll", dependencies=[Depends(admin)], summary="Publish the roll after the ceremony")
    async def admin_roll(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        keys = body.get("credentials") if isinstance(body, dict) and set(body) == {"credentials"} else None
        if not isinstance(keys, list) or not keys:
            raise _error(400, "credentials: expected a non-empty list of credential public keys")
        manifest = election.state.manifest
        if manifest is not None and manifest.mode != "standard":
            raise _error(409, f"roll: a {manifest.mode} election publishes its roll with /api/admin/cr-roll")
        try:
            roll = [hex_bytes(k, 32, f"credentials[{i}]") for i, k in enumerate(keys)]
        except ValueError as exc:
            raise _error(400, str(exc)) from None
        await run_in_threadpool(run, election.admin, lambda c: c.register(roll))
        return {"phase": election.state.phase, "credentials": len(roll)}

    @app.post("/api/admin/open", dependencies=[Depends(admin)], summary="Open voting (fixes the fingerprint)")
    def admin_open() -> dict[str, Any]:
        ctx = run(election.admin, lambda c: c.open_voting())
        return {"phase": election.state.phase, "fingerprint": ctx.fingerprint.hex()}

    @app.post("/api/admin/close", dependencies=[Depends(admin)], summary="Close voting")
    def admin_close() -> dict[str, Any]:
        def close(c: Any) -> None:
            if cr_tally.is_coercion_resistant(c):  # the roll precomputation belongs to the voting phase
                cr_tally.close_guard(c, election.events(), election.cr_work)
            c.close()

        run(election.admin, close)
        return {"phase": election.state.phase}

    @app.post("/api/admin/tally", dependencies=[Depends(admin)], summary="Aggregate the counted ballots")
    def admin_tally() -> dict[str, Any]:
        if cr_tally.is_coercion_resistant(election.conduct):  # the trustees run it, step by step, after this
            start = run(
                election.admin, lambda c: cr_tally.start_tally(c, election.events(), election.cr_work)
            )
            return {"phase": election.state.phase, "tally_started": start}
        payload = run(election.tally)
        return {"phase": election.state.phase, "counted": len(payload["counted"])}

    @app.post("/api/admin/result", dependencies=[Depends(admin)], summary="Combine partial decryptions")
    def admin_result() -> dict[str, Any]:
        return run(election.admin, lambda c: c.combine())

    @app.get("/api/admin/status", dependencies=[Depends(admin)], summary="Phase and counts, for monitoring")
    def admin_status() -> dict[str, Any]:
        s = election.state
        return {
            "phase": s.phase,
            "entries": election.board.size(),
            "ballots": len(s.ballots),
            "challenged": len(s.challenged),
            "roll": len(s.roll),
            "threshold": s.threshold,
            "partial_decryptions": sorted(s.partials),
        }

    app.include_router(cr_setup_router(election, _trustee_body, run, admin))

    # --- trustees: each post signed by the trustee's manifest key (board/trustee_steps.py) ----------------------
    app.include_router(trustee_router(election, _trustee_body, run))

    # --- witnesses: cosignatures on signed heads (board/witness_api.py) ------------------------------------------
    app.include_router(witness_router(election, _json_body, run, checkpoint_period))

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"ok": True, "size": election.board.size()}

    if BOOTH_DIR.is_dir():
        from fastapi.staticfiles import StaticFiles
        from starlette.middleware.gzip import GZipMiddleware

        # Compressed for voters on slow mobile networks (≈ 750 kB of scripts; docs/booth.md, performance). Only the
        # booth's public static files: nothing secret is ever in them, so compression leaks nothing (no BREACH).
        static = StaticFiles(directory=BOOTH_DIR, html=True)
        app.mount("/booth", GZipMiddleware(static, minimum_size=1024), name="booth")

    return app
