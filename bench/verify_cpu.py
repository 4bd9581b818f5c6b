"""One verification of a record in this process: wall time, CPU time (the verifier and its workers), peak RSS and a
digest of the report — the A/B measure of docs/native.md §6.3, where the machine is shared and CPU time is the
steady figure.

    .venv/bin/python bench/verify_cpu.py RECORD [WORKERS]
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/verify_cpu.py RECORD   # older code: git archive COMMIT src

Run the two interleaved, a few times each; the report digests must be equal.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from pathlib import Path

import plebiscite
from plebiscite.verify.runner import verify_record


def main() -> None:
    record, workers = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2
    wall, cpu = time.perf_counter(), time.process_time()
    report = verify_record(record, workers).to_json()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, reaped at its shutdown
    workers_cpu = children.ru_utime + children.ru_stime
    out = {
        "code": str(Path(plebiscite.__file__).parents[1]),
        "wall_s": round(wall, 2),
        "main_cpu_s": round(cpu, 2),
        "workers_cpu_s": round(workers_cpu, 2),
        "total_cpu_s": round(cpu + workers_cpu, 2),
        "peak_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "ok": report["ok"],
        "report": hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()[:16],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
