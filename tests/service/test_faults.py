"""Board faults under load: a check worker killed while 200 clients cast; oversized, slow and half-sent requests.

Each runs the real server (``plebiscite serve`` in its own process, uvloop + httptools, as deployed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.httpserver import bounded_protocol, server_config

from .conftest import ADMIN, Ballot, ServerProcess, Setup

CLIENTS = 200


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (the server's check workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


async def cast_all(url: str, ballots: list[Ballot], kills: list[asyncio.Event]) -> tuple[dict[int, int], int]:
    """200 clients cast every ballot; ``kills[i]`` is set after 60 + 120·i answers. Status counts (0: the
    connection dropped), and the ballots accepted after the first kill."""
    todo = list(reversed(ballots))
    statuses: dict[int, int] = {}
    errors: list[str] = []
    answered = 0
    after_kill = 0
    # A new connection per request: a kept-alive connection the server closes (idle past uvicorn's keep-alive
    # timeout) just as a client reuses it is a race of HTTP/1.1 itself, which would blur what is measured here.
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def voter() -> None:
            nonlocal answered, after_kill
            while todo:
                ballot = todo.pop()
                try:
                    r = await client.post("/api/ballots", json=ballot.json)
                    status = r.status_code
                except httpx.HTTPError as exc:
                    status = 0
                    errors.append(f"{ballot.tracking_code}: {exc!r}")
                statuses[status] = statuses.get(status, 0) + 1
                answered += 1
                if kills[0].is_set() and status == 200:
                    after_kill += 1
                for i, kill in enumerate(kills):
                    if answered == 60 + 120 * i:
                        kill.set()

        await asyncio.gather(*(voter() for _ in range(CLIENTS)))
    assert not errors, errors[:5]
    return statuses, after_kill


def test_a_killed_check_worker_gives_503_only_and_is_replaced(
    yesno_setup: Setup, yesno_ballots: list[Ballot], tmp_path: Path
) -> None:
    """Twice, a worker is stopped (so checks queue up in it) and then SIGKILLed while 200 clients cast: its
    checks get 503, nothing gets another 5xx or a dropped connection, the log has no traceback, and it is replaced."""
    server = ServerProcess(f"sqlite:///{tmp_path / 'board.db'}", yesno_setup.path, tmp_path / "server", 2)
    try:
        url = server.start()
        assert httpx.post(f"{url}/api/admin/open", headers=ADMIN, timeout=60).status_code == 200
        assert server.proc is not None
        pid = server.proc.pid
        first = httpx.post(f"{url}/api/ballots", json=yesno_ballots[0].json, timeout=60)
        assert first.status_code == 200  # the workers start on the first cast
        killed = []

        async def scenario() -> tuple[dict[int, int], int]:
            kills = [asyncio.Event(), asyncio.Event()]

            async def killer() -> None:
                for kill in kills:
                    await kill.wait()
                    victim = next(
                        c for c in children(pid) if c not in killed
                    )  # not a dead one not yet reaped
                    os.kill(victim, signal.SIGSTOP)  # it stops answering: checks queue up in it
                    await asyncio.sleep(0.3)
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)

            task = asyncio.create_task(killer())
            result = await cast_all(url, yesno_ballots[1:], kills)
            await task
            return result

        statuses, after_kill = asyncio.run(scenario())
        time.sleep(0.5)
        log = server.log()
        assert set(statuses) <= {200, 503} and statuses.get(503, 0) > 0, (statuses, log[-3000:])
        assert "Traceback" not in log and "Error" not in log, log[-3000:]
        assert after_kill > 0, statuses
        again = httpx.post(f"{url}/api/ballots", json=yesno_ballots[0].json, timeout=60)
        assert again.status_code == 200  # dead workers are replaced on the next cast
        now = children(pid)
        assert len(now) == 2 and not set(killed) & set(now), (killed, now)
    finally:
        server.stop()


# ------------------------------------------------------------------------------------ request heads and deadlines


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout``)."""
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def healthz_ms(client: httpx.Client) -> float:
    """One /healthz on an open kept-alive connection: the server's latency, not the client's connection setup."""
    start = time.perf_counter()
    assert client.get("/healthz").status_code == 200
    return (time.perf_counter() - start) * 1000


def test_oversized_heads_and_too_many_fields_are_refused_at_once(yesno_setup: Setup, tmp_path: Path) -> None:
    """The real ``serve``: a 64 MiB header is cut off after 32 KiB with 431 while /healthz stays fast; 101 header
    fields get 431 too; a normal request still works."""
    server = ServerProcess(f"sqlite:///{tmp_path / 'board.db'}", yesno_setup.path, tmp_path / "server", 0)
    try:
        url = server.start()
        host, port = url.removeprefix("http://").split(":")
        latencies: list[float] = []
        stop = threading.Event()
        watcher = httpx.Client(base_url=url, timeout=5)
        healthz_ms(watcher)  # connected before the attack

        def probe() -> None:
            until = time.monotonic() + 0.5  # during the attack and just after it
            while not stop.is_set() or time.monotonic() < until:
                latencies.append(healthz_ms(watcher))
                time.sleep(0.02)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            start = time.monotonic()
            with socket.create_connection((host, int(port))) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: board\r\nX-Big: ")
                sent = 0
                with contextlib.suppress(OSError):  # the server closes while we are still sending
                    while sent < 64 << 20:
                        sock.sendall(b"a" * (1 << 20))
                        sent += 1 << 20
                answer = read_answer(sock, 5)
            elapsed = time.monotonic() - start
        finally:
            stop.set()
            prober.join()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b'"detail": "headers: the request head is larger than 32768 bytes"' in answer
        assert sent < 64 << 20 and elapsed < 5, (sent, elapsed)
        assert latencies and max(latencies) < 100, latencies

        fields = b"".join(b"X-F%d: v\r\n" % i for i in range(101))
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: board\r\n" + fields + b"\r\n")
            answer = read_answer(sock, 5)
        assert answer.startswith(b"HTTP/1.1 431 ") and b"more than 100 header fields" in answer, answer[:300]
        assert healthz_ms(watcher) < 100
        watcher.close()
        log = server.log()
        assert "Traceback" not in log, log[-2000:]
    finally:
        server.stop()


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A minimal ASGI app: reads the whole body, answers its length."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def test_half_sent_requests_and_silent_connections_time_out() -> None:
    """With a 1 s read deadline: a head sent halfway, a body sent halfway and a connection that sends nothing are
    all answered 408 (or closed) within about a second, while whole requests on other connections go through."""
    port = free_port()
    config = server_config(echo_app, "127.0.0.1", port, bounded_protocol(read_timeout=1.0))
    with LoopbackServer(echo_app, port, config) as server:
        url = server.url

        def answer_to(payload: bytes) -> tuple[bytes, float]:
            start = time.monotonic()
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(payload)
                answer = read_answer(sock, 10)
            return answer, time.monotonic() - start

        half_head, t1 = answer_to(b"POST /x HTTP/1.1\r\nHost: board\r\nContent-Le")
        half_body, t2 = answer_to(b"POST /x HTTP/1.1\r\nHost: board\r\nContent-Length: 100\r\n\r\n0123456789")
        silent, t3 = answer_to(b"")
        for answer in (half_head, half_body, silent):
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert b"not received in full within 1 seconds" in answer
        assert all(0.9 < t < 3 for t in (t1, t2, t3)), (t1, t2, t3)
        whole = httpx.post(f"{url}/x", content=b"z" * 100_000, timeout=5)
        assert whole.status_code == 200 and whole.text == "100000"
        with httpx.Client(
            base_url=url, timeout=5
        ) as client:  # a kept-alive connection is not cut by the deadline
            for _ in range(3):
                assert client.post("/x", content=b"abc").text == "3"
                time.sleep(0.6)
