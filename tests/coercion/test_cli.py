"""`plebiscite demo-coercion`: the JSON contract and input errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plebiscite.cli.main import app


def test_demo_coercion_json(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    args = [
        "demo-coercion",
        "--voters",
        "6",
        "--coerced",
        "2",
        "--record",
        str(record),
        "--json",
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(app, [*args, "--seed", "4"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["verified"] is True and out["record"] == str(record)
    assert out["result"] == out["expected"]
    assert out["coercion"]["coerced"] == 2 and out["coercion"]["ballots_counted"] == 6
    assert out["coercion"]["if_coercion_had_worked"] != out["expected"]


def test_demo_coercion_refuses_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo-coercion", "--voters", "3", "--coerced", "5", "--record", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--coerced" in result.output


def test_demo_coercion_over_http_json(tmp_path: Path) -> None:
    """The door-to-door scenario through the real service: trustee processes, registrar, devices; same JSON."""
    import subprocess
    import sys

    record = tmp_path / "rec"
    args = [
        "demo",
        "--coercion",
        "--http",
        "--voters",
        "6",
        "--coerced",
        "2",
        "--record",
        str(record),
        "--json",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "plebiscite.cli.main", *args, "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["verified"] is True and out["result"] == out["expected"]
    assert out["coercion"]["http"] is True and out["coercion"]["ballots_counted"] == 6
    assert out["coercion"]["fake_ballots"] == 3 and out["coercion"]["ballots_cast"] == 9
    assert out["coercion"]["if_coercion_had_worked"] != out["expected"] or out["coercion"]["coerced"] == 0
