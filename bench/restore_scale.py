"""Restore a big record into an empty SQLite board: time and peak memory (issue 14, docs/board.md §5).

    .venv/bin/python bench/restore_scale.py /tmp/plebiscite-bench/scale-n100000 /tmp/restore-bench

The source record (``bench/scale_record.py`` builds one) is not changed: its events are linked into the work
directory, and heads are signed over them every 1,000 events (and at the end) under a fresh board key, as a board
signs them, with ``board.json``: a mirror of that board. The restore (``board/restore.py``: every line checked
canonical, every head's signature and root, written in one transaction) then runs in a fresh process, which reports
its wall time and peak RSS (``ru_maxrss``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import nacl.signing

from plebiscite.board.restore import is_own_record, restore
from plebiscite.board.storage import Board
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.heads import sign_tree_head
from plebiscite.merkle.tree import leaf_hash
from plebiscite.record import store

EVERY = 1_000


def prepare(source: Path, work: Path, key: nacl.signing.SigningKey) -> None:
    """A mirror of ``source`` in ``work``: its events linked, heads signed by ``key``."""
    mirror = work / "mirror"
    store.write_record(mirror, [], board_key=bytes(key.verify_key).hex())
    (mirror / store.EVENTS_FILE).unlink()
    os.symlink((source / store.EVENTS_FILE).resolve(), mirror / store.EVENTS_FILE)
    frontier = CompactRange()
    stamp = int(time.time() * 1000)
    with open(mirror / store.EVENTS_FILE, "rb") as events, open(mirror / store.HEADS_FILE, "wb") as heads:
        for line in events:
            frontier.append(leaf_hash(line[:-1]))
            if frontier.size % EVERY == 0:
                heads.write(
                    sign_tree_head(key, frontier.size, frontier.root(), stamp).to_json().encode() + b"\n"
                )
        if frontier.size % EVERY:
            heads.write(sign_tree_head(key, frontier.size, frontier.root(), stamp).to_json().encode() + b"\n")


def run(work: Path, key: nacl.signing.SigningKey) -> dict[str, object]:
    """Restore ``work/mirror`` into a fresh ``work/board.db`` (this process does nothing else)."""
    db = work / "board.db"
    for name in ("board.db", "board.db-wal", "board.db-shm"):
        (work / name).unlink(missing_ok=True)
    start = time.perf_counter()
    with Board.open(f"sqlite:///{db}", key) as board:
        assert is_own_record(work / "mirror", board)
        done = restore(board, work / "mirror")
    return {
        "entries": done.entries,
        "heads": done.heads,
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "db_mb": round(db.stat().st_size / 2**20, 1),
    }


def main() -> None:
    source, work = Path(sys.argv[1]), Path(sys.argv[2])
    key = nacl.signing.SigningKey(bytes(32 * [7]))
    if len(sys.argv) > 3 and sys.argv[3] == "--run":
        print(json.dumps(run(work, key)))
        return
    work.mkdir(parents=True, exist_ok=True)
    prepare(source, work, key)
    load = os.getloadavg()
    out = subprocess.run(
        [sys.executable, __file__, str(source), str(work), "--run"],
        check=True,
        capture_output=True,
        text=True,
    )
    print(out.stdout.strip(), f"load before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
