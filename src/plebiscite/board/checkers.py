"""Ballot checks in worker processes, driven from the server's event loop without any thread.

A ballot check (decode, signature, every proof) costs about a millisecond of CPU, so the server runs it in other
processes to use the other cores. ``concurrent.futures.ProcessPoolExecutor`` did that with a management thread, a
feeder thread, a pickled dict each way and a Condition per future: several GIL hand-offs per ballot, which cost
the server as much CPU as the check itself. Here each worker is a plain subprocess (``python -m
plebiscite.board.checkers``) speaking length-prefixed frames over its stdin/stdout pipes, read and written by the
event loop itself:

* the server sends the election context once (pickled: the worker is our own child, on a private pipe), then the
  raw request bodies, untouched (nothing is parsed twice);
* the worker parses the JSON, checks the ballot fully (with the check of the election's mode: a standard
  ``ballot`` or a coercion-resistant ``cr-ballot``), and answers ``200`` + the 64-hex tracking code + one length
  byte and the ballot's replay key (a ``cr-ballot``'s credential ciphertext ``C1``; empty for a standard ballot)
  + the ballot event's canonical bytes (the Merkle leaf), or the status and ``detail`` of the refusal
  (:mod:`plebiscite.board.refusals`, the same as in the server).

A worker answers in order, so the server matches answers to requests with a FIFO per worker. The frames already
queued in a worker when it is ready are checked together, a standard election's ballots in one native call
(``ballot.check.accepted_together``: the proofs' equations as one batch), each still getting exactly the answer
it gets alone (docs/native.md §1). A worker that dies fails its outstanding checks with 503 (casting is
idempotent: the client retries) and is replaced on next use.
Worker and server talk over one ``socketpair`` (the worker's stdin and stdout), so the event loop owns one
descriptor per worker and learns of its death once (``tests/service/test_faults.py`` kills one under 200 clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import select
import socket
import subprocess
import sys
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any, cast

from plebiscite.ballot.check import accepted_bodies, accepted_together, check_ballot
from plebiscite.board.refusals import Refusal, parse_json, refusal_for
from plebiscite.coercion import ballot as cr_ballot
from plebiscite.coercion import events as cev
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext

__all__ = ["CheckPool", "Checked", "check_bodies", "check_body", "check_cast", "check_value"]

_LEN = 4
_CODE = 64  # hex tracking code


@dataclass(frozen=True, slots=True)
class Checked:
    """A ballot that passed every check, as the commit needs it."""

    tracking_code: str
    leaf: bytes
    """The ballot event's canonical bytes: the Merkle leaf."""
    credential: bytes = b""
    """A ``cr-ballot``'s credential ciphertext ``C1`` (``a‖b``, 64 bytes): the board refuses a second ballot with
    the same ``C1`` and other content (a replay). Empty for a standard ballot, whose signature binds it instead."""


def check_value(value: Any, ctx: ElectionContext) -> Checked:
    """Fully check a ballot (parsed JSON) with the check of the election's mode (the manifest's ``mode``).

    Raises the check's error (BallotError, …) for a bad ballot.
    """
    if ctx.manifest.mode == cev.MODE:
        cr = cr_ballot.check_ballot(value, ctx)
        leaf = ev.make_event(0, cev.BALLOT, cr.to_json()).raw
        return Checked(cr.tracking_code(), leaf, cr.credential.a + cr.credential.b)
    ballot = check_ballot(value, ctx)
    return Checked(ballot.tracking_code(), ev.make_event(0, ev.BALLOT, ballot.to_json()).raw)


def check_body(body: bytes, ctx: ElectionContext) -> Checked:
    """Parse and fully check a cast request body (:func:`check_value`).

    Raises :class:`Refusal` for a body that is not JSON, or the check's error (BallotError, …) for a bad ballot.
    """
    return check_value(parse_json(body), ctx)


def check_cast(body: bytes, ctx: ElectionContext) -> Checked:
    """A cast request body checked alone as a check worker checks it (:func:`check_bodies`: in the crate straight
    from the bytes when it can; the board's inline path, ``--check-workers 0``). Raises the body's refusal: the
    same exception :func:`check_body` raises for it."""
    [answer] = check_bodies([body], ctx)
    if isinstance(answer, Exception):
        raise answer
    return answer


def _encode(checked: Checked) -> bytes:
    credential = checked.credential
    return (
        checked.tracking_code.encode("ascii") + len(credential).to_bytes(1, "big") + credential + checked.leaf
    )


def _decode(data: bytes) -> Checked:
    end = _CODE + 1 + data[_CODE]
    return Checked(data[:_CODE].decode("ascii"), data[end:], data[_CODE + 1 : end])


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(_LEN, "big") + payload


_READ = 1 << 16  # bytes a read asks for: below malloc's mmap threshold, so a read costs no mapping of its own
MAX_BATCH = 64
"""The most request frames a worker checks in one native call (64 yes/no ballots are about 10 ms of CPU: the
first answer of a full batch waits that long)."""


def check_bodies(bodies: list[bytes], ctx: ElectionContext) -> list[Checked | Exception]:
    """:func:`check_body` for bodies that arrived together: one answer each, in order, each the one that body gets
    alone. A standard election's bodies go to the native engine in one call, straight from their bytes
    (``ballot.check.accepted_bodies``: a lone ballot's signature and proofs in one multiscalar multiplication,
    several ballots' proofs as one batch); a body it does not read is parsed here and those go through one call
    more (``accepted_together``); each body not accepted by either, and a coercion-resistant election's ballots,
    are checked alone (:func:`check_value`)."""
    together: list[tuple[str, bytes] | bool | None] = [None] * len(bodies)
    if ctx.manifest.mode != cev.MODE:
        try:
            together = accepted_bodies(bodies, ctx)
        except Exception:  # a bug in the batch path: logged; each ballot alone still gets its answer
            traceback.print_exc(file=sys.stderr)
        if all(type(found) is tuple for found in together):  # all accepted: the usual case, answered at once
            return [Checked(*cast(tuple[str, bytes], found)) for found in together]
    answers: list[Checked | Exception | None] = [None] * len(bodies)
    unread: list[int] = []
    for k, (body, found) in enumerate(zip(bodies, together, strict=True)):
        if isinstance(found, tuple):
            answers[k] = Checked(*found)
        elif found is None:
            unread.append(k)
        else:
            answers[k] = _alone(body, ctx)
    for k, answer in zip(unread, _check_parsed([bodies[k] for k in unread], ctx), strict=True):
        answers[k] = answer
    return cast(list[Checked | Exception], answers)  # every place filled above: one answer a body, in order


def _alone(body: bytes, ctx: ElectionContext) -> Checked | Exception:
    try:
        return check_body(body, ctx)
    except Exception as exc:  # its own refusal (or a bug: a 500), for the caller to map
        return exc


def _check_parsed(bodies: list[bytes], ctx: ElectionContext) -> list[Checked | Exception]:
    """The bodies parsed in Python; a standard election's ballots then go through one native call
    (``ballot.check.accepted_together``); each it does not accept is checked alone (:func:`check_value`)."""
    if not bodies:
        return []
    values: list[Any] = []
    answers: list[Checked | Exception | None] = []
    for body in bodies:
        try:
            values.append(parse_json(body))
            answers.append(None)
        except Refusal as exc:
            answers.append(exc)
    together: list[tuple[str, bytes] | None] = [None] * len(values)
    if ctx.manifest.mode != cev.MODE:
        try:
            together = accepted_together(values, ctx)
        except Exception:  # a bug in the batch path: logged; each ballot alone still gets its answer
            traceback.print_exc(file=sys.stderr)
    checked: list[Checked | Exception] = []
    for value, accepted in zip(values, together, strict=True):
        if accepted is not None:
            checked.append(Checked(*accepted))
            continue
        try:
            checked.append(check_value(value, ctx))
        except Exception as exc:  # its own refusal (or a bug: a 500), for the caller to map
            checked.append(exc)
    fill = iter(checked)
    return [next(fill) if a is None else a for a in answers]


def _reply(result: Checked | Exception) -> bytes:
    if isinstance(result, Checked):
        return (200).to_bytes(2, "big") + _encode(result)
    refusal = refusal_for(result)
    if refusal is None:  # a bug in the check: say so in the server's log, answer 500
        traceback.print_exception(result, file=sys.stderr)
        refusal = Refusal(500, "ballot: internal error while checking")
    return refusal.status.to_bytes(2, "big") + refusal.detail.encode()


def _frames(buffer: bytearray) -> list[bytes]:
    """The complete frames at the front of ``buffer``, taken out of it."""
    frames, at = [], 0
    while len(buffer) - at >= _LEN:
        end = at + _LEN + int.from_bytes(buffer[at : at + _LEN], "big")
        if len(buffer) < end:
            break
        frames.append(bytes(buffer[at + _LEN : end]))
        at = end
    del buffer[:at]
    return frames


def _read_ready(fd: int, buffer: bytearray) -> bool:
    """Block until the server sends something, then take everything already sent; False at end of input."""
    data = os.read(fd, _READ)
    if not data:
        return False
    buffer += data
    while select.select([fd], [], [], 0)[0]:
        more = os.read(fd, _READ)
        if not more:
            break  # end of input: the next blocking read says so
        buffer += more
    return True


def worker_main() -> None:
    """The worker: read the context, then answer the request frames in order; exit at end of input.

    The frames already queued when the worker is ready are checked together (:func:`check_bodies`, at most
    :data:`MAX_BATCH` at a time), so ballots that arrive together share one native call; a lone ballot is
    checked at once, as before."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by accident goes to stderr, never into the protocol
    fd = sys.stdin.fileno()
    buffer = bytearray()
    ctx: ElectionContext | None = None
    pending: list[bytes] = []
    while pending or _read_ready(fd, buffer):
        pending += _frames(buffer)
        if ctx is None and pending:
            ctx = pickle.loads(pending.pop(0))  # noqa: S301 - our own parent, over a private pipe
        if ctx is None or not pending:
            continue
        batch, pending = pending[:MAX_BATCH], pending[MAX_BATCH:]
        out.write(b"".join(_frame(_reply(r)) for r in check_bodies(batch, ctx)))
        out.flush()


class _Worker(asyncio.Protocol):
    """One worker process and its socket, seen from the event loop.

    The worker's stdin and stdout are the two ends' child side of one ``socketpair``; the server keeps the other end
    as a single socket transport. One transport means one ``connection_lost`` whatever breaks first (the worker's
    death, a write to a closed peer), and the transport owns the descriptor: nothing closes it behind the event
    loop's back. (With two pipe transports and the pipes closed by hand, a replacement worker's new pipe could get
    the number of a descriptor the loop still watched — ``FileExistsError`` and a 500 — and uvloop's write-pipe
    transport crashed on the dead reader's end-of-file.)
    """

    def __init__(self, context: bytes) -> None:
        parent, child = socket.socketpair()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "plebiscite.board.checkers"],
                stdin=child.fileno(),
                stdout=child.fileno(),
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self._socket: socket.socket | None = parent
        self._context = context
        self._buffer = bytearray()
        self.waiting: deque[asyncio.Future[bytes]] = deque()
        self.transport: asyncio.Transport | None = None
        self.alive = True

    async def connect(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._socket is not None
        sock, self._socket = self._socket, None
        try:
            await loop.create_unix_connection(lambda: self, sock=sock)
        except BaseException:
            sock.close()
            raise
        assert self.transport is not None
        self.transport.write(_frame(self._context))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def submit(self, loop: asyncio.AbstractEventLoop, body: bytes) -> asyncio.Future[bytes]:
        if not self.alive or self.transport is None or self.transport.is_closing():
            raise _stopped()
        future: asyncio.Future[bytes] = loop.create_future()
        self.waiting.append(future)
        self.transport.write(_frame(body))
        return future

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= _LEN:
            end = _LEN + int.from_bytes(buffer[:_LEN], "big")
            if len(buffer) < end:
                break
            answer = bytes(buffer[_LEN:end])
            del buffer[:end]
            if not self.waiting:  # an answer nobody asked for: the worker is broken
                self.stop()
                return
            future = self.waiting.popleft()
            if not future.done():  # the client may have gone
                future.set_result(answer)

    def eof_received(self) -> bool:
        return False  # the worker closed its end: it is gone (connection_lost follows)

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(_stopped())
        self.kill()

    def stop(self) -> None:
        """Stop using this worker: its checks fail with 503 (through ``connection_lost``) and it is killed."""
        self.alive = False
        if self.transport is not None:
            self.transport.abort()
        else:
            self.kill()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
        if self._socket is not None:  # never handed to the event loop
            self._socket.close()
            self._socket = None


def _stopped() -> Refusal:
    return Refusal(503, "board: a ballot checker stopped; cast again")


class CheckPool:
    """``workers`` checker processes for one election context, used from one event loop."""

    def __init__(self, ctx: ElectionContext, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a check pool needs at least one worker, got {workers}")
        self._context = pickle.dumps(ctx)
        self._size = workers
        self._workers: list[_Worker] = []
        self._starting: asyncio.Lock | None = None

    async def _ready(self) -> list[_Worker]:
        live = [w for w in self._workers if w.alive]
        if len(live) == self._size:
            return live
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:  # one replacement per dead worker, even with many casts waiting
            self._workers = [w for w in self._workers if w.alive]
            loop = asyncio.get_running_loop()
            while len(self._workers) < self._size:
                try:
                    worker = _Worker(self._context)
                except OSError:  # no processes or descriptors left: the client retries later
                    raise Refusal(503, "board: cannot start a ballot checker now; cast again") from None
                try:
                    await worker.connect(loop)
                except OSError:
                    worker.kill()
                    raise Refusal(503, "board: cannot start a ballot checker now; cast again") from None
                except BaseException:
                    worker.kill()
                    raise
                self._workers.append(worker)
            return self._workers

    async def check(self, body: bytes) -> Checked:
        """Check a request body in the least busy worker; the checked ballot, or raise :class:`Refusal`."""
        workers = await self._ready()
        worker = min(workers, key=lambda w: len(w.waiting))
        answer = await worker.submit(asyncio.get_running_loop(), body)
        status = int.from_bytes(answer[:2], "big")
        if status != 200:
            raise Refusal(status, answer[2:].decode())
        return _decode(answer[2:])

    def close(self) -> None:
        """Stop every worker (from any thread; the event loop may already be gone)."""
        for worker in self._workers:
            worker.alive = False
            worker.kill()  # the worker exits; its socket goes with the transport (or the loop) that holds it
        self._workers = []

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.alive]


if __name__ == "__main__":
    worker_main()
