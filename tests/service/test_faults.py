"""Board faults under load: a check worker killed while 200 clients cast; oversized, slow and half-sent requests.

Each runs the real server (``plebiscite serve`` in its own process, uvloop + httptools, as deployed).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx

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
