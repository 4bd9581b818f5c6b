"""``POST /api/ballots`` as a bare ASGI handler, ahead of FastAPI's routing and middleware.

Casting is the one endpoint under load. Through FastAPI, a request crossed about ten layers (telemetry, error and
exception middleware, the router's matching, dependency solving, request and response objects, the header
middleware's wrapper) costing the server more CPU than the rest of the cast bar the database; here it is one
function: read the body (413 past ``MAX_BODY``, with or without a Content-Length), hand it unparsed to
``BoardElection.cast_body`` (check in a worker process, durable commit with a signed head), send the receipt's
JSON bytes. Refusals are the same as everywhere (:mod:`plebiscite.board.refusals`): a 4xx/503 with
``{"detail": "<field>: <reason>"}`` and every security header. Anything else is a bug and propagates (uvicorn
answers 500).

The FastAPI route of the same path stays declared, so ``/openapi.json`` documents the endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from plebiscite.board.refusals import MAX_BODY, Refusal, refusal_for

__all__ = ["BallotEndpoint"]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class _Disconnected(Exception):
    """The client went away before sending its whole body: nothing to answer."""


class BallotEndpoint:
    """The cast endpoint; ``cast`` takes the raw body and returns the receipt's JSON bytes (or raises)."""

    path = "/api/ballots"

    def __init__(self, cast: Callable[[bytes], Awaitable[bytes]], headers: Iterable[tuple[str, str]]) -> None:
        self._cast = cast
        self._headers = [(k.lower().encode(), v.encode()) for k, v in headers]

    def handles(self, scope: Scope) -> bool:
        return scope["type"] == "http" and scope["path"] == self.path and scope["method"] == "POST"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            receipt = await self._cast(await self._body(scope, receive))
            status, payload = 200, receipt
        except _Disconnected:
            return
        except Exception as exc:
            refusal = refusal_for(exc)
            if refusal is None:
                raise
            status, payload = refusal.status, json.dumps({"detail": refusal.detail}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            *self._headers,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    async def _body(scope: Scope, receive: Receive) -> bytes:
        too_large = Refusal(413, f"body: larger than {MAX_BODY} bytes")
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY):
                raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
