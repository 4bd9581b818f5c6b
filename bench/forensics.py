"""Benchmark: the full forensics report on the two Russian files, plus the calibration table.

Times `plebiscite forensics FILE --report ... --json` (the default `--preset auto`) end to end (a fresh process
each time, so interpreter start-up and imports count), records the stage timings the analysis reports, the figures
next to the published ones, and power / false-alarm rates on simulated elections. Writes
bench/results/forensics.json.

    .venv/bin/python bench/forensics.py [--repeat 2] [--calibration-sims 100]

The machine may be shared: the load average before each run is recorded with its time, and so is the CPU
time of the report process, which does not depend on what else is running.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path("/work/shared/data/elections/russia")
RESULTS = Path(__file__).resolve().parent / "results" / "forensics.json"
PUBLISHED = {
    "2011": {"integer_excess": 1003, "integer_z": 8.9, "klimek_f_i": 0.64, "klimek_f_e": 0.033},
    "2012": {"integer_excess": 1160, "integer_z": 10.0, "klimek_f_i": 0.39, "klimek_f_e": 0.021},
}


def run_report(data: Path, workdir: Path) -> tuple[float, float, dict[str, Any], int]:
    """Wall seconds and CPU seconds (user + system of the child) of one full report, its JSON, HTML size."""
    exe = Path(sys.executable).with_name("plebiscite")
    report = workdir / f"{data.stem}.html"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(exe), "forensics", str(data), "--report", str(report), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, json.loads(done.stdout), report.stat().st_size


def figures(data: dict[str, Any], year: str) -> dict[str, Any]:
    ip, kl, sh = data["integer_percentages"], data["klimek"], data["shpilkin"]
    spikes = data["coarse_fraction_spikes"]
    return {
        "integer_percentages": {
            k: ip[k]
            for k in ("observed_stations", "expected_stations", "excess_stations", "z", "p_value", "runs")
        },
        "klimek": {k: kl[k] for k in ("f_i", "f_e", "f_i_interval95", "f_e_interval95", "theta", "alpha")}
        | {"share_only_fit": kl["share_only_fit"]},
        "shpilkin": {
            k: sh[k]
            for k in (
                "excess_votes",
                "excess_range_over_reference_choices",
                "excess_interval95_bootstrap",
                "others_peak_turnout",
                "leader_share_of_valid_in_reference",
                "leader_share_of_valid_reported",
            )
        },
        "coarse_fraction_spikes": {q: {k: spikes[q][k] for k in ("excess_stations", "z")} for q in spikes},
        "stuffing_upper_tail": {k: data["stuffing_upper_tail"][k] for k in ("excess_stations", "z")},
        "mixture": {
            k: data["mixture"][k]
            for k in (
                "parameters",
                "intervals95",
                "lr_statistic",
                "p_value_no_fraud",
                "fraudulent_votes_for_leader",
                "fraudulent_share_of_leader_votes",
                "em_rounds",
                "converged",
            )
        },
        "digits": {
            k: {f: data["digits"][k][f] for f in ("chi2", "p_value", "counts_used")} for k in data["digits"]
        },
        "concentration": data["concentration"],
        "published": PUBLISHED[year],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per file (the minimum is reported)")
    parser.add_argument(
        "--calibration-sims", type=int, default=100, help="simulations per cell; 0 keeps the last table"
    )
    args = parser.parse_args()

    out: dict[str, Any] = {
        "command": "plebiscite forensics FILE --report FILE.html --json (defaults otherwise: --preset auto)",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
        },
        "elections": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for year in ("2011", "2012"):
            path = DATA / f"{year}.csv.zip"
            runs: list[dict[str, Any]] = []
            data: dict[str, Any] = {}
            size = 0
            for _ in range(args.repeat):
                load = os.getloadavg()[0]
                elapsed, cpu, data, size = run_report(path, Path(tmp))
                runs.append(
                    {
                        "wall_seconds": round(elapsed, 2),
                        "cpu_seconds": round(cpu, 2),
                        "load_average_1min_before": round(load, 2),
                        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    }
                )
                print(f"{year}: {elapsed:.2f} s wall, {cpu:.2f} s CPU (load {load:.2f})", flush=True)
            out["elections"][year] = {
                "stations": data["summary"]["stations"],
                "report_bytes": size,
                "runs": runs,
                "best_wall_seconds": min(r["wall_seconds"] for r in runs),
                "stage_seconds_last_run": data["timings_seconds"],
                "figures": figures(data, year),
            }
    if args.calibration_sims > 0:
        from plebiscite.forensics.calibration import calibration_table

        start = time.perf_counter()
        out["calibration"] = {
            "stations": 5000,
            "regions": 20,
            "alpha": 0.01,
            "table": calibration_table(sims=args.calibration_sims, alpha=0.01, seed=0),
            "seconds": None,
        }
        out["calibration"]["seconds"] = round(time.perf_counter() - start, 1)
    elif RESULTS.exists():  # timing-only run: keep the last calibration table
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        if "calibration" in previous:
            out["calibration"] = previous["calibration"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
