"""Load on the voting service: 200 concurrent clients casting real ballots on loopback, durable receipts per second.

    .venv/bin/python bench/board_load.py                     # --check-workers 0, 1 and 2; writes the JSON
    .venv/bin/python bench/board_load.py --py-spy 15 --gil   # plus a profiled run (py-spy: pip install py-spy)
    .venv/bin/python bench/board_load.py --help

What runs: the real ``plebiscite serve`` as a subprocess on a fresh SQLite board per run (WAL, ``synchronous=FULL``:
a receipt is only sent after the transaction holding the ballot was fsynced), imported from a prepared record
(manifest, 2-of-3 key ceremony, roll). Every ballot is a real one (encrypted, proved, signed by its own credential
on the roll; yes/no referendum, ``--full`` for the 3-question one), generated on every core before any timing, and
sent once. The clients are asyncio tasks, one keep-alive connection each, speaking HTTP/1.1 directly over asyncio
streams (``--client httpx`` uses httpx.AsyncClient instead, which costs ~10 ms of CPU per request at 200
connections on the same 2 cores as the server). Per run, on one server:

1. warm-up (``--warmup`` ballots, not timed);
2. back to back (closed loop): each client sends its next ballot as soon as it has the previous receipt; gives the
   throughput, and a latency that is clients / throughput by Little's law;
3. paced (open loop): ballot n is due at start + n / ``--rate`` (500/s by default) for ``--paced-seconds``; latency
   is counted from the due time, so a server that falls behind is charged for the queue (no coordinated omission).

Each phase checks what it measured: every receipt index distinct, the board's size grown by exactly the number of
receipts, 50 receipts verified (signed head, inclusion proof). The server's CPU (its process and check workers, from
/proc) and the clients' are recorded next to the wall time, with load averages and ``uptime`` before and after: on
a 2-core machine shared with other work, read the CPU per ballot as well as the rates. ``--py-spy SECONDS`` adds a
separate run (``--profile-workers``, default 1) sampled with py-spy (``--gil``: only samples holding the GIL, i.e.
the Python CPU profile), summarised by category and function.

Results go to ``bench/results/board_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.conduct import Conduct
from plebiscite.demo import random_selection
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.merkle import SignedTreeHead, leaf_hash, verify_inclusion, verify_tree_head
from plebiscite.record.signer import key_path
from plebiscite.setup.credentials import Credential
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest
from plebiscite.setup.samples import referendum

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0


# ------------------------------------------------------------------------------------------------ the election


def prepare(
    path: Path, voters: int, full: bool, witness_keys: tuple[str, ...] = ()
) -> tuple[Manifest, ElectionContext, list[Credential]]:
    """Prepared record at ``path``; the context voting will open with (the fingerprint depends on the record only).
    ``witness_keys``: the manifest names these witnesses, all of them needed (``--witnesses``)."""
    manifest = referendum("bench-board-load", extra_questions=full)
    if witness_keys:
        named = {"keys": list(witness_keys), "threshold": len(witness_keys)}
        manifest = Manifest.model_validate({**manifest.model_dump(mode="json"), "witnesses": named})
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    conduct.run_ceremony(trustees)
    credentials = [Credential.generate(manifest.election_id) for _ in range(voters)]
    conduct.register([c.public_key for c in credentials])
    scratch = Path(tempfile.mkdtemp(prefix="plebiscite-bench-ctx-"))
    try:
        shutil.copytree(path, scratch / "record")
        shutil.copy(
            key_path(path), key_path(scratch / "record")
        )  # the record's heads' signing key, beside it
        ctx = Conduct.open_record(scratch / "record").open_voting()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest, ctx, credentials


_CTX: tuple[ElectionContext, Manifest] | None = None


def _init(ctx: ElectionContext, manifest: Manifest) -> None:
    global _CTX
    _CTX = (ctx, manifest)


def _encrypt(job: tuple[bytes, str, int]) -> tuple[str, bytes]:
    seed, election_id, salt = job
    assert _CTX is not None
    ctx, manifest = _CTX
    ballot, _ = encrypt_ballot(
        ctx, Credential(election_id, seed), random_selection(manifest, random.Random(salt))
    )
    return ballot.tracking_code(), json.dumps(ballot.to_json(), separators=(",", ":")).encode()


def make_ballots(
    ctx: ElectionContext, manifest: Manifest, credentials: list[Credential]
) -> list[tuple[str, bytes]]:
    """One ballot per credential, encrypted on every core; (tracking code, JSON body)."""
    jobs = [(c.seed, c.election_id, i) for i, c in enumerate(credentials)]
    with ProcessPoolExecutor(os.cpu_count() or 1, initializer=_init, initargs=(ctx, manifest)) as pool:
        return list(pool.map(_encrypt, jobs, chunksize=64))


# ------------------------------------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``plebiscite serve`` on a fresh SQLite board, in its own process group."""

    def __init__(self, record: Path, workdir: Path, check_workers: int, python: str = sys.executable) -> None:
        """``python``: the interpreter that runs the server (another checkout's venv for an A/B comparison)."""
        workdir.mkdir(parents=True)
        (workdir / "admin-token.txt").write_text(TOKEN + "\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        command = [
            python, "-m", "plebiscite.cli.main", "serve",
            "--db", f"sqlite:///{workdir / 'board.db'}", "--record", str(record),
            "--board-key-file", str(workdir / "board-key.hex"), "--admin-token-file", str(workdir / "admin-token.txt"),
            "--host", "127.0.0.1", "--port", str(self.port), "--check-workers", str(check_workers),
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        """The server and its children (check workers)."""
        out = [self.proc.pid]
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                children = (task / "children").read_text().split()
                out += [int(c) for c in children]
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its live children, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # leftover check workers
            os.killpg(self.proc.pid, signal.SIGKILL)


class WitnessProcesses:
    """``plebiscite witness run`` for each witness key directory, polling the server every ``interval`` seconds
    (each run gets fresh state directories holding the keys, as a fresh board gets a fresh database)."""

    def __init__(
        self, key_dirs: list[Path], workdir: Path, url: str, board_key: str, interval: float
    ) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        for number, key_dir in enumerate(key_dirs, start=1):
            state = workdir / f"witness-{number}"
            state.mkdir(mode=0o700)
            shutil.copy2(key_dir / "witness-key.hex", state / "witness-key.hex")
            log = workdir / f"witness-{number}.log"
            command = [
                sys.executable, "-m", "plebiscite.cli.main", "witness", "run", "--state", str(state),
                "--board", url, "--board-key", board_key, "--interval", str(interval),
            ]  # fmt: skip
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
                )
            self.logs.append(log)

    def cpu_seconds(self) -> float:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def outcomes(self) -> list[dict[str, int]]:
        """Per witness, how many rounds ended how (cosigned, unchanged, error, refused…), from its output."""
        out = []
        for log in self.logs:
            words = [line.split(":", 1)[0] for line in log.read_text(errors="replace").splitlines()[1:]]
            out.append(dict(Counter(w for w in words if w and " " not in w)))
        return out

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


# ------------------------------------------------------------------------------------------------ the clients


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams: POST a body, read the JSON answer.

    A load generator must not cost more CPU than the server it measures; httpx.AsyncClient spends several ms of CPU
    per request with 200 connections (``--client httpx`` to see it), this spends a small fraction of one.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length = -1
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length < 0:
            raise RuntimeError("response without Content-Length")
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def _clients(
    url: str,
    bodies: list[tuple[str, bytes]],
    clients: int,
    start_at: float,
    kind: str,
    due: list[float] | None,
) -> dict[str, Any]:
    """Back to back (``due`` None), or each ballot sent at its due time (open loop; latency then counts from the
    due time, so a client late because the server is slow is charged for it: no coordinated omission)."""
    queue = list(reversed(list(zip(due or [0.0] * len(bodies), bodies, strict=True))))
    latencies: list[float] = []
    receipts: list[dict[str, Any]] = []
    errors: Counter[str] = Counter()
    ends: list[float] = []
    parsed = httpx.URL(url)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def one() -> None:
            raw = RawConnection(parsed.host, parsed.port or 80)
            try:
                while queue:
                    when, (code, body) = queue.pop()
                    if due is not None:
                        await asyncio.sleep(max(0.0, when - time.monotonic()))
                    t0 = when if due is not None else time.monotonic()
                    try:
                        if kind == "raw":
                            status, answer = await raw.post("/api/ballots", body)
                        else:
                            r = await client.post(
                                "/api/ballots", content=body, headers={"Content-Type": "application/json"}
                            )
                            status, answer = r.status_code, r.content
                    except (OSError, httpx.HTTPError, asyncio.IncompleteReadError, ValueError) as exc:
                        errors[type(exc).__name__] += 1
                        await raw.close()
                        raw = RawConnection(parsed.host, parsed.port or 80)
                        continue
                    t1 = time.monotonic()
                    if status != 200:
                        errors[f"HTTP {status}"] += 1
                        continue
                    receipt = json.loads(answer)
                    if receipt.get("tracking_code") != code:
                        errors["wrong tracking code"] += 1
                        continue
                    latencies.append(t1 - t0)
                    ends.append(t1)
                    receipts.append(receipt)
            finally:
                await raw.close()

        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        started = time.monotonic()
        cpu0 = os.times()
        await asyncio.gather(*(one() for _ in range(clients)))
        cpu1 = os.times()
    return {
        "latencies": latencies,
        "receipts": receipts,
        "errors": dict(errors),
        "started": started,
        "ended": max(ends, default=started),
        "ends": ends,
        "cpu_s": (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system),
    }


def _client_process(
    url: str,
    bodies: list[tuple[str, bytes]],
    clients: int,
    start_at: float,
    kind: str,
    due: list[float] | None,
    out: Any,
) -> None:
    out.send(asyncio.run(_clients(url, bodies, clients, start_at, kind, due)))
    out.close()


def run_clients(
    url: str, bodies: list[tuple[str, bytes]], clients: int, procs: int, kind: str = "raw", rate: float = 0.0
) -> dict[str, Any]:
    """``clients`` concurrent clients split over ``procs`` processes, all starting at the same moment; back to
    back, or (``rate`` > 0) ballot n due at start + n / rate."""
    start_at = time.monotonic() + 1.0 + 0.3 * procs
    schedule = [start_at + n / rate for n in range(len(bodies))] if rate > 0 else None
    ctx: Any = mp.get_context("spawn" if procs > 1 else "fork")  # typeshed's BaseContext lacks .Process
    pipes, workers = [], []
    for p in range(procs):
        mine = bodies[p::procs]
        due = schedule[p::procs] if schedule is not None else None
        share = clients // procs + (1 if p < clients % procs else 0)
        receive, send = ctx.Pipe(duplex=False)
        w = ctx.Process(target=_client_process, args=(url, mine, share, start_at, kind, due, send))
        w.start()
        send.close()  # ours: so that a client process dying shows as EOFError, not a hang
        pipes.append(receive)
        workers.append(w)
    parts = [pipe.recv() for pipe in pipes]
    for w in workers:
        w.join()
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part["errors"])
    return {
        "latencies": [x for part in parts for x in part["latencies"]],
        "ends": [x for part in parts for x in part["ends"]],
        "receipts": [x for part in parts for x in part["receipts"]],
        "errors": dict(errors),
        "started": min(part["started"] for part in parts),
        "ended": max(part["ended"] for part in parts),
        "client_cpu_s": sum(part["cpu_s"] for part in parts),
    }


# ------------------------------------------------------------------------------------------------ profiling


def start_py_spy(pid: int, seconds: float, out: Path, gil: bool) -> subprocess.Popen[bytes] | None:
    """Sample the server and its check workers; with ``gil`` only the thread holding the GIL (= Python CPU)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        print("py-spy not found (pip install py-spy); not profiling", file=sys.stderr)
        return None
    command = [exe, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", "200",
               "--duration", str(int(seconds)), "--output", str(out), "--nonblocking"]  # fmt: skip
    command.append("--gil" if gil else "--idle")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


CATEGORIES = [  # (substring of a frame's file, category); a sample goes to the innermost frame that matches
    ("sqlalchemy/", "database (SQLAlchemy, sqlite3)"),
    ("plebiscite/merkle/", "Merkle proofs and heads"),
    ("nacl/", "ballot check (crypto)"),
    ("plebiscite/hazmat/", "ballot check (crypto)"),
    ("plebiscite/proofs/", "ballot check (crypto)"),
    ("plebiscite/ballot/", "ballot check (decode, hash)"),
    ("pydantic", "pydantic"),
    ("multiprocessing/", "IPC with check workers"),
    ("concurrent/futures/", "IPC with check workers"),
    ("anyio/to_thread", "handoff to worker threads"),
    ("threading.py", "thread locks and conditions"),
    ("json/", "JSON encode/decode"),
    ("plebiscite/record/", "event encoding"),
    ("h11/", "HTTP server (uvicorn, h11)"),
    ("uvicorn/", "HTTP server (uvicorn, h11)"),
    ("starlette/middleware/base.py", "BaseHTTPMiddleware (SecurityHeaders)"),
    ("starlette/", "framework (starlette, fastapi, anyio)"),
    ("fastapi/", "framework (starlette, fastapi, anyio)"),
    ("anyio/", "framework (starlette, fastapi, anyio)"),
    ("plebiscite/board/", "board and service code"),
    ("asyncio/", "event loop"),
    ("selectors.py", "event loop"),
]


def category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for marker, name in CATEGORIES:
            if marker in frame:
                return name
    return "other"


def summarise_py_spy(raw: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed-stack output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    per_process: Counter[str] = Counter()
    where: Counter[str] = Counter()  # innermost plebiscite frames > the function the sample is in
    kinds: Counter[str] = Counter()  # by category(), per process kind
    ours_inclusive: Counter[str] = Counter()  # plebiscite functions, server process, inclusive
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        per_process[frames[0].split(" ")[0] if frames else "?"] += count

        def name(frame: str) -> str:
            func, _, where = frame.partition(" (")
            where = where.rstrip(")")
            path, _, _line = where.rpartition(":")
            for marker in ("site-packages/", "/src/", "/lib/python3"):
                if marker in path:
                    path = path.split(marker, 1)[1]
            return f"{func} ({path})"

        names = [name(f) for f in frames[1:]] or ["?"]
        own[names[-1]] += count
        for n in set(names):
            inclusive[n] += count
        ours = [n for n in names if "plebiscite/" in n]
        where[f"{' > '.join(ours[-2:]) or '(no plebiscite frame)'} > {names[-1]}"] += count
        processes = [f for f in frames if f.startswith("process ")]
        worker = len(processes) > 1 and processes[-1] != processes[0]
        if not worker:
            for n in {n for n in names if "plebiscite/" in n and "plebiscite/cli/" not in n}:
                ours_inclusive[n] += count
        kinds[("check worker: " if worker else "server: ") + category(frames)] += count
    if not total:
        return {"samples": 0}
    share = lambda c: round(100.0 * c / total, 1)  # noqa: E731
    return {
        "samples": total,
        "by_process_pct": {k: share(v) for k, v in per_process.most_common()},
        "self_pct": {k: share(v) for k, v in own.most_common(top)},
        "inclusive_pct": {k: share(v) for k, v in inclusive.most_common(top)},
        "hot_paths_pct": {k: share(v) for k, v in where.most_common(top)},
        "categories_pct": {k: share(v) for k, v in kinds.most_common()},
        "plebiscite_inclusive_pct": {k: share(v) for k, v in ours_inclusive.most_common(top)},
    }


# ------------------------------------------------------------------------------------------------ one run


def _p99_by_window(result: dict[str, Any], window: float) -> list[float]:
    """p99 latency (ms) of the requests sent in each ``window`` seconds: shows whether a queue builds up."""
    buckets: dict[int, list[float]] = {}
    for latency, end in zip(result["latencies"], result["ends"], strict=True):
        sent = end - latency - result["started"]
        buckets.setdefault(max(0, int(sent // window)), []).append(latency * 1000)
    return [round(percentile(buckets[k], 99), 1) for k in sorted(buckets)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


@dataclass
class Options:
    clients: int
    procs: int
    client: str
    rate: float  # the paced (open-loop) phase's offered load
    py_spy: float
    gil: bool
    profile_out: Path | None
    witness_dirs: list[Path] = dataclasses.field(default_factory=list)  # --witnesses: their key directories
    witness_interval: float = 0.5


def measure(
    server: Server, key: bytes, bodies: list[tuple[str, bytes]], opts: Options, rate: float, profile_as: str
) -> dict[str, Any]:
    """One timed phase on a running server; checks what it measured (distinct indexes, sampled proofs)."""
    base = httpx.get(f"{server.url}/healthz", timeout=30).json()["size"]
    load_before, uptime_before = os.getloadavg(), uptime()
    cpu_before = server.cpu_seconds()
    profiler = None
    if opts.py_spy > 0 and profile_as:
        profiler = start_py_spy(server.proc.pid, opts.py_spy, server.log.with_name("py-spy.txt"), opts.gil)
    result = run_clients(server.url, bodies, opts.clients, opts.procs, opts.client, rate)
    cpu_after = server.cpu_seconds()
    load_after, uptime_after = os.getloadavg(), uptime()
    profile: dict[str, Any] | None = None
    if profiler is not None:
        _, err = profiler.communicate(timeout=opts.py_spy + 60)
        raw = server.log.with_name("py-spy.txt")
        profile = summarise_py_spy(raw) if raw.exists() else {"error": err.decode(errors="replace")[-500:]}
        if raw.exists() and opts.profile_out is not None:
            shutil.copy(raw, opts.profile_out.with_name(f"{opts.profile_out.name}-{profile_as}.txt"))
    receipts = result["receipts"]
    indexes = [r["index"] for r in receipts]
    assert len(set(indexes)) == len(indexes), "two receipts with one index"
    size = httpx.get(f"{server.url}/healthz", timeout=30).json()["size"]
    assert size == base + len(receipts), (size, base, len(receipts))
    for receipt in random.Random(1).sample(receipts, min(50, len(receipts))):
        head = SignedTreeHead.from_dict(receipt["tree_head"])
        verify_tree_head(head, key)
        proof = [bytes.fromhex(h) for h in receipt["inclusion_proof"]]
        verify_inclusion(leaf_hash(bytes.fromhex(receipt["leaf"])), receipt["index"], head.tree_size, proof,
                         head.root)  # fmt: skip
    lat_ms = [x * 1000 for x in result["latencies"]]
    seconds = result["ended"] - result["started"]
    achieved = len(receipts) / seconds if seconds > 0 else 0.0
    return {
        "mode": f"paced at {rate:g} ballots/s in total (open loop)"
        if rate > 0
        else "back to back (closed loop)",
        "offered_ballots_per_s": rate or None,
        "ballots": len(receipts),
        "errors": result["errors"],
        "seconds": round(seconds, 3),
        "ballots_per_s": round(achieved, 1),
        "latency_ms": {
            "p50": round(percentile(lat_ms, 50), 1),
            "p90": round(percentile(lat_ms, 90), 1),
            "p99": round(percentile(lat_ms, 99), 1),
            "max": round(max(lat_ms), 1),
            "mean": round(statistics.fmean(lat_ms), 1),
        }
        if lat_ms
        else {},
        "p99_ms_by_window": _p99_by_window(result, window=2.0),
        "signed_heads_in_receipts": len({r["tree_head"]["tree_size"] for r in receipts}),
        "server_cpu_s": round(cpu_after - cpu_before, 2),
        "server_cpu_ms_per_ballot": round(1000 * (cpu_after - cpu_before) / max(1, len(receipts)), 2),
        "client_cpu_ms_per_ballot": round(1000 * result["client_cpu_s"] / max(1, len(receipts)), 2),
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in load_after],
        },
        "uptime": {"before": uptime_before, "after": uptime_after},
        "py_spy": profile,
    }


def one_run(
    record: Path,
    workdir: Path,
    check_workers: int,
    bodies: list[tuple[str, bytes]],
    sizes: list[int],
    opts: Options,
) -> dict[str, Any]:
    """A fresh board and server: warm-up, back-to-back phase, paced phase (each with its own ballots)."""
    warm_n, closed_n, _ = sizes
    warmup, closed, paced = bodies[:warm_n], bodies[warm_n : warm_n + closed_n], bodies[warm_n + closed_n :]
    mul_before = mul_microseconds()
    server = Server(record, workdir, check_workers)
    witnesses: WitnessProcesses | None = None
    witnessing: dict[str, Any] | None = None
    try:
        assert httpx.post(f"{server.url}/api/admin/open", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=60).status_code == 200  # fmt: skip
        key = bytes.fromhex(httpx.get(f"{server.url}/api/board/key", timeout=30).json()["public_key"])
        if opts.witness_dirs:
            witnesses = WitnessProcesses(
                opts.witness_dirs, workdir, server.url, key.hex(), opts.witness_interval
            )
        cpu_witnesses = witnesses.cpu_seconds() if witnesses else 0.0
        warm = run_clients(server.url, warmup, opts.clients, opts.procs, opts.client)
        if warm["errors"]:
            raise RuntimeError(f"warm-up errors: {warm['errors']}")
        closed_loop = measure(server, key, closed, opts, 0.0, f"w{check_workers}")
        open_loop = measure(server, key, paced, opts, opts.rate, "") if paced and opts.rate > 0 else None
        if witnesses is not None:
            witnessing = witness_summary(server.url, witnesses, cpu_witnesses)
    finally:
        if witnesses is not None:
            witnesses.stop()
        server.stop()
    return {
        "witnesses": witnessing,
        "check_workers": check_workers,
        # The VM's speed drifts (the same multiplication takes 58–92 µs from one minute to the next): read the
        # latencies with it.
        "libsodium_mul_us": {"before": mul_before, "after": mul_microseconds()},
        "clients": opts.clients,
        "client_processes": opts.procs,
        "client": opts.client,
        "warmup_ballots": len(warmup),
        "closed_loop": closed_loop,
        "open_loop": open_loop,
        "target_met": bool(
            closed_loop["ballots_per_s"] >= TARGET_RATE
            and open_loop is not None
            and not open_loop["errors"]
            and open_loop["ballots_per_s"] >= 0.98 * TARGET_RATE
            and open_loop["latency_ms"].get("p99", 1e9) <= TARGET_P99_MS
        ),
    }


def witness_summary(url: str, witnesses: WitnessProcesses, cpu_before: float) -> dict[str, Any]:
    """What the witnesses did during the run: the board's latest witnessed head against its size, their rounds."""
    time.sleep(3.0)  # a checkpoint period and a poll, so the last head is cosigned too
    size = httpx.get(f"{url}/healthz", timeout=30).json()["size"]
    answer = httpx.get(f"{url}/api/board/witnessed", timeout=30)
    witnessed = answer.json() if answer.status_code == 200 else None
    return {
        "count": len(witnesses.procs),
        "board_size": size,
        "latest_witnessed_size": None if witnessed is None else witnessed["tree_size"],
        "cosignatures_on_it": None if witnessed is None else len(witnessed.get("cosignatures", [])),
        "rounds": witnesses.outcomes(),
        "witnesses_cpu_s": round(witnesses.cpu_seconds() - cpu_before, 2),
    }


# ------------------------------------------------------------------------------------------------ main


def mul_microseconds(n: int = 400) -> float:
    """CPU microseconds of one variable-base multiplication right now (the yardstick of the machine's speed)."""
    from plebiscite.hazmat import group as G

    points = [G.mul_base(i + 2) for i in range(n)]
    scalar = G.random_scalar()
    start = time.process_time()
    for p in points:
        G.mul(p, scalar)
    return round((time.process_time() - start) / n * 1e6, 1)


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "machine": platform.machine(),
    }


def versions() -> dict[str, Any]:
    import fastapi
    import sqlalchemy
    import uvicorn

    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True,
                           check=False)  # fmt: skip
    return {
        "python": platform.python_version(),
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "httpx": httpx.__version__,
        "git_commit": commit.stdout.strip(),
        "src_modified": bool(dirty.stdout.strip()),
    }


def describe(phase: dict[str, Any]) -> str:
    lat = phase["latency_ms"]
    return (
        f"{phase['mode']}: {phase['ballots']} receipts in {phase['seconds']} s = {phase['ballots_per_s']} ballots/s; "
        f"latency p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms, max {lat.get('max')} ms "
        f"(p99 per 2 s: {phase.get('p99_ms_by_window')}); "
        f"errors {phase['errors'] or 'none'}; CPU per ballot: server {phase['server_cpu_ms_per_ballot']} ms, "
        f"client {phase['client_cpu_ms_per_ballot']} ms; load {phase['load_average']['before']} -> "
        f"{phase['load_average']['after']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (connections)")
    parser.add_argument("--ballots", type=int, default=3000, help="ballots of the back-to-back phase")
    parser.add_argument(
        "--rate", type=float, default=TARGET_RATE, help="offered load of the paced phase (0: skip)"
    )
    parser.add_argument("--paced-seconds", type=float, default=8.0, help="length of the paced phase")
    parser.add_argument("--warmup", type=int, default=400, help="ballots cast before timing, per run")
    parser.add_argument("--check-workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--client-procs", type=int, default=1, help="processes the clients are spread over")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw", help="HTTP client of the load")
    parser.add_argument(
        "--full", action="store_true", help="the 3-question demo referendum instead of yes/no"
    )
    parser.add_argument(
        "--coercion",
        action="store_true",
        help="a coercion-resistant election: cr-ballots, half with fake credentials (bench/cr_ballots.py)",
    )
    parser.add_argument(
        "--py-spy",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also a profiled run (py-spy, back to back)",
    )
    parser.add_argument("--profile-workers", type=int, default=1, help="--check-workers of the profiled run")
    parser.add_argument(
        "--gil", action="store_true", help="py-spy: only samples holding the GIL (CPU profile)"
    )
    parser.add_argument("--profile-out", type=Path, help="keep py-spy's raw stacks as PROFILE_OUT-w<N>.txt")
    parser.add_argument("--out", type=Path, help="default: bench/results/board_load[_coercion].json")
    parser.add_argument("--no-write", action="store_true", help="print only, do not write --out")
    parser.add_argument(
        "--witnesses",
        type=int,
        default=0,
        help="witnesses named in the manifest (all needed), each a `plebiscite witness run` process cosigning "
        "the board's checkpoint during the whole run (docs/board.md §4)",
    )
    parser.add_argument(
        "--witness-interval", type=float, default=0.5, help="seconds between a witness's polls"
    )
    args = parser.parse_args()
    if args.out is None:
        args.out = (
            ROOT
            / "bench"
            / "results"
            / (
                "board_load_coercion.json"
                if args.coercion
                else "board_load_witnesses.json"
                if args.witnesses
                else "board_load.json"
            )
        )
    opts = Options(
        args.clients, args.client_procs, args.client, args.rate, args.py_spy, args.gil, args.profile_out
    )
    paced = int(args.rate * args.paced_seconds)
    sizes = [args.warmup, args.ballots, paced]

    work = Path(tempfile.mkdtemp(prefix="plebiscite-board-load-"))
    witness_keys: tuple[str, ...] = ()
    if args.witnesses:
        from plebiscite.witness.state import init_state

        opts.witness_dirs = [work / f"witness-key-{i}" for i in range(1, args.witnesses + 1)]
        opts.witness_interval = args.witness_interval
        witness_keys = tuple(bytes(init_state(d)).hex() for d in opts.witness_dirs)
    try:
        t0 = time.monotonic()
        # one ballot per voter; every run has a fresh board, so the same ballots are cast in every run
        if args.coercion:
            import cr_ballots  # bench/ is the script's directory

            cr_manifest, cr_ctx, cr_creds = cr_ballots.prepare(work / "prepared", sum(sizes), args.full)
            bodies = cr_ballots.make_ballots(cr_ctx, cr_manifest, cr_creds)
        else:
            manifest, ctx, credentials = prepare(work / "prepared", sum(sizes), args.full, witness_keys)
            bodies = make_ballots(ctx, manifest, credentials)
        print(f"prepared {len(bodies)} ballots ({'3 questions' if args.full else 'yes/no'}) "
              f"in {time.monotonic() - t0:.1f} s; {uptime()}", flush=True)  # fmt: skip
        runs = []
        plan = [(w, dataclasses.replace(opts, py_spy=0.0), sizes) for w in args.check_workers]
        if args.py_spy > 0:  # an extra run, profiled, so that the measured runs are not slowed by the sampler
            plan.append(
                (args.profile_workers, dataclasses.replace(opts, rate=0.0), [args.warmup, args.ballots, 0])
            )
        profiled: dict[str, Any] | None = None
        for number, (workers, run_opts, run_sizes) in enumerate(plan):
            result = one_run(work / "prepared", work / f"run-{number}", workers, bodies, run_sizes, run_opts)
            if run_opts.py_spy > 0:
                profiled = result
            else:
                runs.append(result)
            mul = result["libsodium_mul_us"]
            print(
                f"check-workers {workers}{' (profiled with py-spy)' if run_opts.py_spy else ''} "
                f"(one libsodium multiplication: {mul['before']} µs before, {mul['after']} µs after):",
                flush=True,
            )
            if result["witnesses"]:
                print(f"  witnesses: {result['witnesses']}", flush=True)
            for phase in (result["closed_loop"], result["open_loop"]):
                if phase is None:
                    continue
                print(f"  {describe(phase)}", flush=True)
                profile = phase["py_spy"]
                if profile:
                    print(
                        f"  py-spy: {profile.get('samples')} samples; by process {profile.get('by_process_pct')}"
                    )
                    for title in ("categories_pct", "plebiscite_inclusive_pct", "self_pct", "hot_paths_pct"):
                        print(f"  {title}:")
                        for fn, pct in list(profile.get(title, {}).items())[:20]:
                            print(f"    {pct:5.1f}%  {fn}")
        report = {
            "benchmark": "bench/board_load.py",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": " ".join([".venv/bin/python", "bench/board_load.py", *sys.argv[1:]]),
            "machine": machine(),
            "versions": versions(),
            "config": {
                "ballot": ("3-question demo referendum" if args.full else "yes/no referendum (1 question)")
                + (", coercion-resistant cr-ballots (half with fake credentials)" if args.coercion else ""),
                "backend": "sqlite (WAL, synchronous=FULL)",
                "clients": args.clients,
                "client_processes": args.client_procs,
                "client": args.client,
                "warmup_ballots": args.warmup,
                "closed_loop_ballots": args.ballots,
                "paced_rate": args.rate,
                "paced_ballots": paced,
                "target": {"ballots_per_s": TARGET_RATE, "p99_ms": TARGET_P99_MS},
                "witnesses": args.witnesses,
                "witness_interval_s": args.witness_interval if args.witnesses else None,
            },
            "runs": runs,
            "profile": profiled,
        }
        if not args.no_write:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
            print(f"wrote {args.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
