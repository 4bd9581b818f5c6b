"""Many writers at once — threads, several Board instances, several processes — lose and duplicate nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from plebiscite.board import AppendResult, Board
from plebiscite.merkle import leaf_hash, root_of, verify_heads_consistent

from .conftest import KEY

OpenBoard = Callable[..., Board]


def assert_log_is_sound(board: Board, appended: dict[bytes, int]) -> None:
    """Dense indexes, every acknowledged leaf at its index, root = reference root, audit clean."""
    size = board.size()
    stored = []
    start = 0
    while page := board.entries(start, 1000):
        stored.extend(page)
        start = page[-1].index + 1
    assert [e.index for e in stored] == list(range(size))
    assert len({e.leaf for e in stored}) == size
    by_leaf = {e.leaf: e.index for e in stored}
    for leaf, index in appended.items():
        assert by_leaf[leaf] == index, leaf
    assert board.root(size) == root_of(leaf_hash(e.leaf) for e in stored)
    assert board.check_integrity() == []


def test_many_threads_appending_at_once(board: Board) -> None:
    threads, per_thread = 24, 40
    appended: dict[bytes, int] = {}
    shared: dict[str, set[int]] = {}
    batches: list[list[AppendResult]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            leaf = f"t{t}-{i}".encode()
            key = f"shared-{i}" if i % 8 == 0 else None  # every thread races for the same keys
            result = board.append("ballot", leaf, key)
            with lock:
                if key:
                    shared.setdefault(key, set()).add(result.index)
                if not result.existing:
                    appended[leaf] = result.index
        batch = board.append_many(("ballot", f"t{t}-batch-{j}".encode()) for j in range(10))
        with lock:
            batches.append(batch)
            appended.update({f"t{t}-batch-{j}".encode(): r.index for j, r in enumerate(batch)})

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    unique_keys = per_thread // 8
    expected = threads * (per_thread - unique_keys) + unique_keys + threads * 10
    assert board.size() == expected
    assert all(len(indexes) == 1 for indexes in shared.values())  # one winner per key, seen by all
    for batch in batches:  # a batch is one transaction: consecutive indexes
        assert [r.index for r in batch] == list(range(batch[0].index, batch[0].index + 10))
    assert_log_is_sound(board, appended)


def test_two_board_instances_interleaving(open_board: OpenBoard) -> None:
    """Separate engines and in-memory frontiers (as in two processes) must resync from the database."""
    a, b = open_board(), open_board()
    appended: dict[bytes, int] = {}
    for i in range(60):
        writer = (a, b)[(i * 7 // 3) % 2]
        leaf = f"interleaved {i}".encode()
        appended[leaf] = writer.append("ballot", leaf).index
        if i % 13 == 0:
            writer.sign_head()
    assert appended == {f"interleaved {i}".encode(): i for i in range(60)}
    heads = a.heads()
    final = b.sign_head()
    for head in heads:
        verify_heads_consistent(
            head, final, a.consistency_proof(head.tree_size, final.tree_size), KEY.verify_key
        )
    assert_log_is_sound(a, appended)


def test_several_processes_appending_at_once(board_url: str, open_board: OpenBoard, tmp_path: Path) -> None:
    processes, count = 3, 120
    go = tmp_path / "go"
    worker = Path(__file__).with_name("append_worker.py")
    children = [
        subprocess.Popen(
            [sys.executable, str(worker), board_url, bytes(KEY).hex(), str(p), str(count), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    try:
        for child in children:  # all opened (schema creation raced too) before anyone appends
            assert child.stdout is not None
            line = child.stdout.readline()
            assert "ready" in line, child.stderr.read() if child.stderr else line
        go.touch()
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
    results = [json.loads(line) for out, _ in outputs for line in out.splitlines() if line.strip()]
    assert len(results) == processes * count
    fresh = [r for r in results if not r["existing"]]
    indexes = [r["index"] for r in fresh]
    assert len(indexes) == len(set(indexes)), "two entries were given the same index"
    winners: dict[str, set[int]] = {}
    for r in results:
        if r["dedup"]:
            winners.setdefault(r["dedup"], set()).add(r["index"])
    assert all(len(w) == 1 for w in winners.values())
    board = open_board()
    expected = processes * count - (processes - 1) * (count // 10)
    assert board.size() == expected == len(fresh)
    assert_log_is_sound(board, {bytes.fromhex(r["leaf"]): r["index"] for r in fresh})
    heads = board.heads()
    assert heads, "the workers signed heads"
    latest = board.sign_head()
    for head in heads:
        proof = board.consistency_proof(head.tree_size, latest.tree_size)
        verify_heads_consistent(head, latest, proof, KEY.verify_key)


def test_group_commit_shares_transactions_under_load(board: Board) -> None:
    """With many concurrent appenders, far fewer transactions than appends are needed."""
    transactions = 0
    original = board._write_batch

    def counting(batch: list) -> list:  # type: ignore[type-arg]
        nonlocal transactions
        transactions += 1
        time.sleep(0.002)  # a slower disk makes batching visible
        return original(batch)

    board._committer._write_batch = counting  # type: ignore[method-assign]
    barrier = threading.Barrier(32)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(10):
            board.append("ballot", f"{t}/{i}".encode())

    workers = [threading.Thread(target=work, args=(t,)) for t in range(32)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert board.size() == 320
    assert transactions < 160, transactions
