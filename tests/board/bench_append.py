"""Append throughput and latency of the board (not a test; run by hand).

    .venv/bin/python tests/board/bench_append.py [--pg] [--clients 200] [--per-client 20]

SQLite runs in a temporary directory with the production settings (WAL, synchronous=FULL).  ``--pg`` also
starts a private PostgreSQL cluster *with fsync on* (see tests/pg.py) and measures the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from plebiscite.board import Board
from plebiscite.merkle import leaf_hash, verify_inclusion
from tests.pg import PostgresCluster, create_database, find_pg_bin

KEY = nacl.signing.SigningKey(b"\x07" * 32)


def single(board: Board, n: int) -> str:
    start = time.perf_counter()
    for i in range(n):
        board.append("ballot", b"single %d" % i, f"single-{i}")
    return f"single thread: {n / (time.perf_counter() - start):8.0f} appends/s"


def concurrent(board: Board, clients: int, per_client: int, rate: float | None = None) -> str:
    """``clients`` threads appending back to back, or — with ``rate`` — paced to that many appends/s in all."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    tag = "paced" if rate else "burst"

    def client(c: int) -> None:
        mine = []
        barrier.wait()
        begin = time.perf_counter() + (c / rate if rate else 0)
        for i in range(per_client):
            if rate:  # open loop: each client sends every clients/rate seconds, staggered
                time.sleep(max(0.0, begin + i * clients / rate - time.perf_counter()))
            t0 = time.perf_counter()
            board.append("ballot", b"%s client %d ballot %d" % (tag.encode(), c, i), f"{tag}{c}-{i}")
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    label = f"{clients} threads" + (f" paced at {rate:.0f}/s" if rate else "")
    return (
        f"{label}: {len(latencies) / elapsed:8.0f} appends/s, "
        f"latency p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"
    )


def batch(board: Board, n: int) -> str:
    start = time.perf_counter()
    for b in range(n // 1000):
        board.append_many(("ballot", b"batch %d/%d" % (b, i)) for i in range(1000))
    return f"append_many:   {n / (time.perf_counter() - start):8.0f} entries/s (batches of 1000)"


def proofs(board: Board) -> str:
    head = board.sign_head()
    size = head.tree_size
    start = time.perf_counter()
    count = 200
    for k in range(count):
        index = (k * 7919) % size
        proof = board.inclusion_proof(index, size)
        verify_inclusion(board.entry(index).leaf_hash, index, size, proof, head.root)
    per = (time.perf_counter() - start) / count * 1000
    assert leaf_hash(board.entry(0).leaf) == board.entry(0).leaf_hash
    return f"proof at size {size}: {per:.2f} ms per inclusion proof (+ entry read + verify)"


def audit(board: Board) -> str:
    start = time.perf_counter()
    problems = board.check_integrity()
    assert problems == [], problems
    return f"check_integrity of {board.size()} entries: {time.perf_counter() - start:.2f} s"


def run(name: str, url: str, args: argparse.Namespace) -> None:
    with Board.open(url, KEY) as board:
        print(f"[{name}] {single(board, args.single)}", flush=True)
        print(f"[{name}] {concurrent(board, args.clients, args.per_client)}", flush=True)
        print(f"[{name}] {concurrent(board, args.clients, args.per_client, args.rate)}", flush=True)
        print(f"[{name}] {batch(board, args.batch)}", flush=True)
        print(f"[{name}] {proofs(board)}", flush=True)
        print(f"[{name}] {audit(board)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", action="store_true", help="also benchmark PostgreSQL (fsync on)")
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--rate", type=float, default=500.0, help="total appends/s of the paced run")
    parser.add_argument("--batch", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", args)
    if args.pg:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise SystemExit("PostgreSQL binaries not found")
        cluster = PostgresCluster(bin_dir, fsync=True)
        try:
            run("postgresql", create_database(cluster.start()), args)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
