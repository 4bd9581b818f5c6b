"""Child process for the multi-process test: open the board, wait for "go", append, report as JSON lines.

Run as ``python append_worker.py URL KEY_SEED_HEX WORKER_ID COUNT GO_FILE``.  Several of these append to the
same database at once; the parent checks that no index was given twice and none was lost.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import nacl.signing

from plebiscite.board import Board


def main() -> None:
    url, seed_hex, worker, count, go_file = sys.argv[1:6]
    board = Board.open(url, nacl.signing.SigningKey(bytes.fromhex(seed_hex)))
    print(json.dumps({"ready": worker}), flush=True)
    deadline = time.monotonic() + 60
    while not Path(go_file).exists():
        if time.monotonic() > deadline:
            raise SystemExit("never got the go signal")
        time.sleep(0.005)
    results: list[dict[str, object]] = []
    lock = threading.Lock()

    def run(thread: int) -> None:
        for i in range(thread, int(count), 2):
            leaf = f"proc {worker} item {i}".encode()
            # every worker also casts the same shared keys: exactly one of them may win each
            dedup = f"shared-{i}" if i % 10 == 0 else None
            r = board.append("test", leaf, dedup)
            with lock:
                results.append({"index": r.index, "leaf": leaf.hex(), "existing": r.existing, "dedup": dedup})
        board.sign_head()

    threads = [threading.Thread(target=run, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        print(json.dumps(r), flush=True)
    board.close()


if __name__ == "__main__":
    main()
