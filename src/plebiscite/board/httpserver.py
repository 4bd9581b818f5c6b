"""The board's HTTP server: uvicorn with httptools, plus the limits neither of them sets.

uvicorn bounds the time an idle kept-alive connection stays open (``timeout_keep_alive``) and nothing else that
matters here: with httptools it reads request heads of any size (a 64 MiB header took 4.8 s of the event loop's
time to parse, ``httptools`` grows the value by concatenation), any number of header fields, and waits forever for
a request that is half sent (one byte a minute holds a connection, and its memory, indefinitely). Its h11 parser
bounds the head's size (``h11_max_incomplete_event_size``) but casts at half the rate. So the protocol class is
uvicorn's own httptools protocol with three limits added, refused before anything reaches the application:

* the request head (request line and header fields, up to the blank line) over :data:`MAX_HEAD_BYTES` → 431;
* more than :data:`MAX_HEADER_FIELDS` header fields → 431;
* a request not received in full within :data:`REQUEST_READ_TIMEOUT` seconds of its first byte, or a new
  connection that sends nothing for as long → 408 (or, once the application has begun its answer, the connection
  is closed).

Each answer is ``{"detail": "<field>: <reason>"}`` with ``Connection: close``, and the connection is closed. The
values are in ``docs/api.md`` ("Limits").
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = [
    "MAX_HEADER_FIELDS",
    "MAX_HEAD_BYTES",
    "REQUEST_READ_TIMEOUT",
    "BoundedHttpToolsProtocol",
    "bounded_protocol",
    "server_config",
]

MAX_HEAD_BYTES = 32 * 1024
"""The request line and all header fields together; browsers send a few hundred bytes, the booth about 600."""
MAX_HEADER_FIELDS = 100
REQUEST_READ_TIMEOUT = 30.0
"""Seconds from a request's first byte (or a new connection) to its last; a 1 MiB ballot takes well under a second
on any link that can vote."""
KEEP_ALIVE = 5
"""uvicorn's ``timeout_keep_alive``: an idle kept-alive connection is closed after this many seconds."""

_HEAD_END = b"\r\n\r\n"


class _HeaderFieldsLimit(Exception):
    """Raised from the parser's header callback to stop parsing at once (httptools re-raises it wrapped)."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and a deadline to read each request."""

    max_head_bytes = MAX_HEAD_BYTES
    max_header_fields = MAX_HEADER_FIELDS
    read_timeout = REQUEST_READ_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request head (at the start and after each complete request)
        self._head_bytes = 0
        self._head_tail = b""  # the last bytes seen of the head, for a blank line split across reads
        self._fields = 0
        self._refusal: tuple[int, str] | None = None
        self._read_deadline: asyncio.TimerHandle | None = None

    # --- connection -------------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is timed out too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head and not self._count_head(data):
            self._refuse(431, f"headers: the request head is larger than {self.max_head_bytes} bytes")
            return
        super().data_received(data)

    def _count_head(self, data: bytes) -> bool:
        """Add the head's bytes in ``data`` to the count; False once over the limit."""
        seen = self._head_tail + data
        end = seen.find(_HEAD_END)
        if end >= 0:
            self._head_bytes += max(0, end + len(_HEAD_END) - len(self._head_tail))
            self._in_head = False
            self._head_tail = b""
        else:
            self._head_bytes += len(data)
            self._head_tail = seen[-(len(_HEAD_END) - 1) :]
        return self._head_bytes <= self.max_head_bytes

    # --- parser callbacks --------------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._fields = 0
        if self._read_deadline is None:
            self._arm()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        if self._fields > self.max_header_fields:
            self._refusal = (431, f"headers: more than {self.max_header_fields} header fields")
            raise _HeaderFieldsLimit
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # the request is read; the application's time is not bounded here
        self._in_head, self._head_bytes, self._head_tail = True, 0, b""

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error, which a refused header field also is: then the refusal instead."""
        if self._refusal is not None:
            self._refuse(*self._refusal)
        else:
            super().send_400_response(msg)

    # --- the read deadline -------------------------------------------------------------------------------------
    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # the application is answering already: just stop waiting for the rest
            return
        self._refuse(408, f"request: not received in full within {self.read_timeout:g} seconds")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer ``status`` with a JSON ``detail`` and close the connection; nothing reaches the application."""
        self._disarm()
        if self.cycle is not None:
            self.cycle.response_started = True  # the application's answer, if it comes, is dropped
            self.cycle.disconnected = True
        body = json.dumps({"detail": detail}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        head = [
            b"HTTP/1.1 %d %s\r\n" % (status, reason),
            *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def bounded_protocol(
    max_head_bytes: int = MAX_HEAD_BYTES,
    max_header_fields: int = MAX_HEADER_FIELDS,
    read_timeout: float = REQUEST_READ_TIMEOUT,
) -> type[BoundedHttpToolsProtocol]:
    """The protocol class with other limits (tests use a short read timeout)."""
    return type(
        "BoundedHttpToolsProtocol",
        (BoundedHttpToolsProtocol,),
        {
            "max_head_bytes": max_head_bytes,
            "max_header_fields": max_header_fields,
            "read_timeout": read_timeout,
        },
    )


def server_config(
    app: Any, host: str, port: int, protocol: type[HttpToolsProtocol] | None = None
) -> uvicorn.Config:
    """uvicorn's configuration for the board: the bounded protocol, quiet logs (refusals are answers, not news)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol or BoundedHttpToolsProtocol,
        timeout_keep_alive=KEEP_ALIVE,
        log_level="warning",
        access_log=False,
    )


def serve_forever(app: Any, host: str, port: int) -> None:
    """Run the board's app until interrupted (``plebiscite serve``)."""
    uvicorn.Server(server_config(app, host, port)).run()
